/// A run of bytes in the input stream, by absolute offset.
public struct ByteSpan: Sendable, Equatable, Hashable {
    public var offset: UInt64
    public var count: UInt64

    public init(offset: UInt64, count: UInt64) {
        self.offset = offset
        self.count = count
    }

    public var end: UInt64 { offset + count }
}

/// An opcode's argument, decoded only as far as parsing needs. Variable-length data
/// stays in the input and is addressed by span, so reading an instruction allocates nothing.
public enum PickleArgument: Sendable, Equatable {
    case none
    /// Fixed-width integers: BININT*, PROTO, EXT*, binary memo indices, FRAME length.
    case integer(Int64)
    /// FRAME's and the *8 opcodes' unsigned 8-byte values that may not fit in Int64.
    case unsigned(UInt64)
    /// BINFLOAT.
    case float(Double)
    /// Length-prefixed payload: strings, bytes, LONG1/LONG4 digits.
    case data(ByteSpan)
    /// A newline-terminated argument, without its newline.
    case line(ByteSpan)
    /// GLOBAL and INST: module and qualified name, each without its newline.
    case linePair(ByteSpan, ByteSpan)
}

/// One decoded instruction: where it starts, what it is, and its argument.
public struct PickleInstruction: Sendable, Equatable {
    public var offset: UInt64
    public var opcode: PickleOpcode
    public var argument: PickleArgument
    /// Bytes the instruction occupies, opcode byte included.
    public var length: UInt64
}

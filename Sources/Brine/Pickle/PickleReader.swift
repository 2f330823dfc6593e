import BrineIO

/// Reads pickle instructions one at a time from a `ByteWindow` — CPython's
/// `pickletools.genops`, without building any Python values.
///
/// Arguments are checked against the input before use: a declared length is compared with
/// the bytes left, so a hostile length fails at once instead of allocating. The bytes of the
/// last instruction's argument stay readable through `withArgumentBytes` until the next read.
public final class PickleReader {
    public let window: ByteWindow

    public init(window: ByteWindow) {
        self.window = window
    }

    public convenience init(source: ByteSource, maximumWindow: Int = 64 << 20) {
        self.init(window: ByteWindow(source: source, maximumCapacity: maximumWindow))
    }

    /// The offset of the next instruction.
    public var offset: UInt64 { window.offset }

    /// True when no byte is left to read, or only ASCII whitespace (at most
    /// `trailingWhitespaceLimit` bytes), which it consumes: a newline after the last STOP, as
    /// numpy's test data and Python 2 tools leave it. `pickle.load` never reads those bytes, and
    /// none of them is an opcode, so they cannot start another pickle.
    public func isAtEnd() throws(PickleError) -> Bool {
        do {
            if try window.isAtEnd() { return true }
            guard let first = try window.peekByte(), Self.isWhitespace(first) else { return false }
            let limit = Self.trailingWhitespaceLimit
            let count = try window.withBufferedBytes(minimum: limit + 1) { bytes in
                bytes.count <= limit && bytes.allSatisfy(Self.isWhitespace) ? bytes.count : 0
            }
            guard count > 0 else { return false }
            window.consume(count)
            trailingWhitespace &+= UInt64(count)
            return true
        } catch let error as InputError {
            throw PickleError(error)
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    /// Whitespace after the last pickle that `isAtEnd` consumed (charged to the overhead).
    public private(set) var trailingWhitespace: UInt64 = 0
    public static let trailingWhitespaceLimit = 64

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x0A || byte == 0x0D || byte == 0x20 || byte == 0x09
    }

    /// Reads the next instruction; nil only when the input ends before an opcode byte.
    public func readInstruction() throws(PickleError) -> PickleInstruction? {
        do {
            return try readInstructionUnchecked()
        } catch let error as PickleError {
            throw error
        } catch let error as InputError {
            throw PickleError(error)
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    /// Calls `body` with the bytes of a span of the current instruction's argument.
    /// Large arguments that left the window are re-read when the source allows it.
    public func withArgumentBytes<R>(
        _ span: ByteSpan, _ body: (UnsafeRawBufferPointer) throws(PickleError) -> R
    ) throws(PickleError) -> R {
        guard span.count <= UInt64(Int.max) else {
            throw PickleError(offset: span.offset, reason: .limitExceeded(limit: "argument size", value: span.count, option: "--max-window"))
        }
        let count = Int(span.count)
        if let result = try window.withRetainedBytes(at: span.offset, count: count, body) {
            return result
        }
        let source = window.source
        guard source.supportsRandomAccess else {
            throw PickleError(offset: span.offset, reason: .limitExceeded(
                limit: "argument larger than the read window of a compressed stream", value: span.count, option: "--max-window"))
        }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
        defer { scratch.deallocate() }
        let got: Int
        do { got = try source.read(at: span.offset, into: scratch) } catch { throw PickleError(error) }
        guard got == count else {
            throw PickleError(offset: span.offset, reason: .truncated(expected: "\(count) bytes of argument"))
        }
        return try body(UnsafeRawBufferPointer(scratch))
    }

    private func readInstructionUnchecked() throws -> PickleInstruction? {
        let start = window.offset
        guard let byte = try window.readByte() else { return nil }
        guard let opcode = PickleOpcode(byte: byte) else {
            throw PickleError(offset: start, reason: .unknownOpcode(byte))
        }
        let argument = try readArgument(of: opcode, at: start)
        return PickleInstruction(offset: start, opcode: opcode, argument: argument, length: window.offset - start)
    }

    private func readArgument(of opcode: PickleOpcode, at start: UInt64) throws -> PickleArgument {
        switch opcode.argumentKind {
        case .noArgument:
            return .none
        case .uint1:
            return .integer(Int64(try fixed(1, opcode, start, "1-byte argument")))
        case .uint2:
            return .integer(Int64(try fixed(2, opcode, start, "2-byte argument")))
        case .uint4:
            return .integer(Int64(try fixed(4, opcode, start, "4-byte argument")))
        case .int4:
            return .integer(Int64(Int32(truncatingIfNeeded: try fixed(4, opcode, start, "4-byte argument"))))
        case .uint8:
            return .unsigned(try fixed(8, opcode, start, "8-byte argument"))
        case .float8:
            guard let bits = try window.readBigEndianUInt64() else {
                throw PickleError(offset: start, opcode: opcode, reason: .truncated(expected: "8-byte float"))
            }
            return .float(Double(bitPattern: bits))
        case .long1, .string1, .bytes1, .unicode1:
            return .data(try payload(lengthBytes: 1, signed: false, opcode, start))
        case .long4, .string4:
            return .data(try payload(lengthBytes: 4, signed: true, opcode, start))
        case .bytes4, .unicode4:
            return .data(try payload(lengthBytes: 4, signed: false, opcode, start))
        case .bytes8, .bytearray8, .unicode8:
            return .data(try payload(lengthBytes: 8, signed: false, opcode, start))
        case .decimalLineShort, .decimalLineLong, .quotedLine, .line, .unicodeLine, .floatLine:
            return .line(try line(opcode, start))
        case .linePair:
            let module = try line(opcode, start)
            let name = try line(opcode, start)
            return .linePair(module, name)
        }
    }

    private func fixed(_ count: Int, _ opcode: PickleOpcode, _ start: UInt64, _ what: @autoclosure () -> String) throws -> UInt64 {
        guard let value = try window.readLittleEndian(byteCount: count) else {
            throw PickleError(offset: start, opcode: opcode, reason: .truncated(expected: what()))
        }
        return value
    }

    /// A length-prefixed payload: checks the length, then buffers or skips the bytes.
    private func payload(lengthBytes: Int, signed: Bool, _ opcode: PickleOpcode, _ start: UInt64) throws -> ByteSpan {
        let raw = try fixed(lengthBytes, opcode, start, "\(lengthBytes)-byte length")
        if signed, Int32(truncatingIfNeeded: raw) < 0 {
            throw PickleError(offset: start, opcode: opcode, reason: .invalidArgument("negative length \(Int32(truncatingIfNeeded: raw))"))
        }
        let span = ByteSpan(offset: window.offset, count: raw)
        if let remaining = window.remainingInSource, raw > remaining {
            throw PickleError(offset: start, opcode: opcode, reason: .lengthBeyondInput(declared: raw, remaining: remaining))
        }
        let complete: Bool
        if raw <= UInt64(window.maximumCapacity) {
            complete = try window.ensureContiguous(Int(raw))
            if complete { window.consume(Int(raw)) }
        } else {
            complete = try window.skip(raw)
        }
        guard complete else {
            throw PickleError(offset: start, opcode: opcode, reason: .truncated(expected: "\(raw) bytes of data"))
        }
        return span
    }

    /// A newline-terminated argument; the span excludes the newline, which is consumed.
    private func line(_ opcode: PickleOpcode, _ start: UInt64) throws -> ByteSpan {
        let lineStart = window.offset
        guard let distance = try window.peekDistance(to: 0x0A, limit: window.maximumCapacity) else {
            throw PickleError(offset: start, opcode: opcode, reason: .truncated(expected: "newline-terminated argument"))
        }
        window.consume(distance + 1)
        return ByteSpan(offset: lineStart, count: UInt64(distance))
    }
}

extension PickleReader {
    /// Consumes one byte that is not an instruction (joblib's padding-length byte).
    public func readRawByte(expected: String) throws(PickleError) -> UInt8 {
        let offset = window.offset
        let byte: UInt8?
        do { byte = try window.readByte() } catch { throw PickleError(error) }
        guard let byte else { throw PickleError(offset: offset, reason: .truncated(expected: expected)) }
        return byte
    }

    /// Consumes `count` bytes that are not instructions (raw array data joblib writes
    /// inside the pickle stream), checking first that the input holds them.
    public func skipRaw(_ count: UInt64, expected: String) throws(PickleError) {
        let offset = window.offset
        if let remaining = window.remainingInSource, count > remaining {
            throw PickleError(offset: offset, reason: .lengthBeyondInput(declared: count, remaining: remaining))
        }
        let complete: Bool
        do { complete = try window.skip(count) } catch { throw PickleError(error) }
        guard complete else { throw PickleError(offset: offset, reason: .truncated(expected: expected)) }
    }
}

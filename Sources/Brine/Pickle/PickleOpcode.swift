/// A pickle opcode: the byte that starts every instruction (CPython's Lib/pickletools.py).
public enum PickleOpcode: UInt8, Sendable, CaseIterable {
    case int = 0x49
    case binint = 0x4A
    case binint1 = 0x4B
    case binint2 = 0x4D
    case long = 0x4C
    case long1 = 0x8A
    case long4 = 0x8B
    case string = 0x53
    case binstring = 0x54
    case shortBinstring = 0x55
    case binbytes = 0x42
    case shortBinbytes = 0x43
    case binbytes8 = 0x8E
    case bytearray8 = 0x96
    case nextBuffer = 0x97
    case readonlyBuffer = 0x98
    case pushNone = 0x4E
    case newtrue = 0x88
    case newfalse = 0x89
    case unicode = 0x56
    case shortBinunicode = 0x8C
    case binunicode = 0x58
    case binunicode8 = 0x8D
    case float = 0x46
    case binfloat = 0x47
    case emptyList = 0x5D
    case append = 0x61
    case appends = 0x65
    case list = 0x6C
    case emptyTuple = 0x29
    case tuple = 0x74
    case tuple1 = 0x85
    case tuple2 = 0x86
    case tuple3 = 0x87
    case emptyDict = 0x7D
    case dict = 0x64
    case setitem = 0x73
    case setitems = 0x75
    case emptySet = 0x8F
    case additems = 0x90
    case frozenset = 0x91
    case pop = 0x30
    case dup = 0x32
    case mark = 0x28
    case popMark = 0x31
    case get = 0x67
    case binget = 0x68
    case longBinget = 0x6A
    case put = 0x70
    case binput = 0x71
    case longBinput = 0x72
    case memoize = 0x94
    case ext1 = 0x82
    case ext2 = 0x83
    case ext4 = 0x84
    case global = 0x63
    case stackGlobal = 0x93
    case reduce = 0x52
    case build = 0x62
    case inst = 0x69
    case obj = 0x6F
    case newobj = 0x81
    case newobjEx = 0x92
    case proto = 0x80
    case stop = 0x2E
    case frame = 0x95
    case persid = 0x50
    case binpersid = 0x51

    /// The opcode for a byte, or nil when no protocol defines it.
    @inline(__always)
    public init?(byte: UInt8) {
        self.init(rawValue: byte)
    }

    /// True for the opcodes that store into the memo.
    public var isMemoPut: Bool {
        switch self {
        case .put, .binput, .longBinput, .memoize: true
        default: false
        }
    }

    /// True for the opcodes that read from the memo.
    public var isMemoGet: Bool {
        switch self {
        case .get, .binget, .longBinget: true
        default: false
        }
    }
}

/// How an opcode's argument is laid out after the opcode byte (pickletools' ArgumentDescriptor).
public enum PickleArgumentKind: Sendable {
    case noArgument
    /// Newline-terminated decimal; "00"/"01" mean False/True (INT, GET, PUT).
    case decimalLineShort
    /// Newline-terminated decimal with an optional trailing "L" (LONG).
    case decimalLineLong
    case int4, uint1, uint2, uint4, uint8
    /// Little-endian two's-complement integer after a 1- or 4-byte length.
    case long1, long4
    /// Newline-terminated, quoted, backslash-escaped string (STRING).
    case quotedLine
    /// Newline-terminated, unquoted string (PERSID).
    case line
    /// Two newline-terminated strings: module and name (GLOBAL, INST).
    case linePair
    /// Latin-1 str after a 1-byte or signed 4-byte length (SHORT_BINSTRING, BINSTRING).
    case string1, string4
    case bytes1, bytes4, bytes8, bytearray8
    /// Newline-terminated raw-unicode-escape text (UNICODE).
    case unicodeLine
    /// UTF-8 after a 1-, 4- or 8-byte length.
    case unicode1, unicode4, unicode8
    /// Newline-terminated float literal (FLOAT).
    case floatLine
    /// Big-endian IEEE 754 double (BINFLOAT).
    case float8
}

/// An opcode's effect on the unpickling stack, as pickletools models it.
public struct StackEffect: Sendable, Equatable {
    /// Pops everything down to and including the topmost mark.
    public var usesMark: Bool
    /// Items popped below the mark (or in all, when there is no mark).
    public var popsBelowMark: Int
    /// Items pushed.
    public var pushes: Int
    /// Pushes a mark (only MARK does).
    public var pushesMark: Bool
}

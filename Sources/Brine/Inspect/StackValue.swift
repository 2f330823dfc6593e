/// A value on the symbolic unpickling stack: a scalar described in place, or a node.
/// Plain data, so pushing and popping never allocates.
struct StackValue {
    var kind: ValueKind
    /// The node for containers, objects and arrays; -1 for scalars.
    var node: Int = -1
    /// File bytes of this value not yet charged to any node (all of a scalar's bytes;
    /// for a node, bytes charged since it was pushed are in the node itself).
    var bytes: UInt64
    /// Estimated CPython memory of a scalar; 0 for references, which share an object.
    var memory: UInt64
    /// For str/bytes: where the data sits in the stream; for an int too wide for Int64, its
    /// LONG1/LONG4 bytes (`spelling` `.latin1`) or LONG/INT decimal line (`.utf8`).
    var span = ByteSpan(offset: 0, count: 0)
    /// How the span spells the characters of a str (or of an encoded bytes value).
    var spelling = TextSpelling.utf8
    /// A bytes value written as `_codecs.encode(text, 'latin1')` (protocols 0-2): `span`
    /// is that text, one character per byte, and `payload` the byte count.
    var isEncodedText = false
    /// Small int value, float bits, global id or extension code, by kind; for bytes built
    /// by a call (protocols 0-4), the byte count.
    var payload: Int64 = 0
    /// Whether `payload` holds the exact int (false for ints too wide for Int64).
    var hasExactInteger = false
    /// The memo index this value was last stored under, or -1.
    var memoIndex: Int64 = -1
    /// True when the value came from the memo (GET) or DUP: a second reference.
    var isReference = false
    /// Offset of the first instruction that built this value; `push` sets it.
    var start: UInt64 = 0
    /// The memo's size when that instruction was read, while every memo store so far
    /// continued the sequence 0, 1, 2, … (-1 otherwise): a strip can then drop this value's
    /// bytes unread, knowing which memo indices they defined.
    var memoStart: Int64 = -1

    var isNode: Bool { node >= 0 }

    static func scalar(_ kind: ValueKind, bytes: UInt64, memory: UInt64) -> StackValue {
        StackValue(kind: kind, bytes: bytes, memory: memory)
    }

    static func node(_ id: Int, kind: ValueKind) -> StackValue {
        StackValue(kind: kind, node: id, bytes: 0, memory: 0)
    }
}

/// How a str's bytes in the stream spell its characters.
enum TextSpelling: UInt8 {
    /// BINUNICODE and its kin.
    case utf8
    /// UNICODE (protocols 0-1): raw-unicode-escape, a line.
    case rawUnicodeEscape
    /// STRING (Python 2's protocol 0 str): a quoted literal with backslash escapes.
    case quotedLiteral
    /// BINSTRING, SHORT_BINSTRING (Python 2's str): bytes, read as Latin-1.
    case latin1
}

/// An open MARK: where the slice above it starts, and its own byte.
struct OpenMark {
    var stackIndex: Int
    var offset: UInt64
    var bytes: UInt64
    var memoStart: Int64
}

/// A place in the stream and the memo's size there (see `StackValue.memoStart`).
struct StreamPoint {
    var offset: UInt64
    var memo: Int64
}

extension StackValue {
    var origin: StreamPoint { StreamPoint(offset: start, memo: memoStart) }
}

extension OpenMark {
    var origin: StreamPoint { StreamPoint(offset: offset, memo: memoStart) }
}

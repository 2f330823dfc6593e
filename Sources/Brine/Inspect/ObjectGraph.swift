/// Index of a node in an `ObjectGraph`.
public struct NodeID: Hashable, Sendable {
    public let index: Int
}

/// What a value on the symbolic stack is, without its contents.
public enum ValueKind: UInt8, Sendable, CaseIterable, Comparable {
    case none, bool, int, float, str, bytes, bytearray, buffer, emptyTuple, global, ext
    case list, tuple, dict, set, frozenset, instance, array, persistent

    public static func < (lhs: ValueKind, rhs: ValueKind) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The Python type name users know.
    public var pythonName: String {
        switch self {
        case .none: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .str: "str"
        case .bytes: "bytes"
        case .bytearray: "bytearray"
        case .buffer: "PickleBuffer"
        case .emptyTuple, .tuple: "tuple"
        case .global: "global"
        case .ext: "extension"
        case .list: "list"
        case .dict: "dict"
        case .set: "set"
        case .frozenset: "frozenset"
        case .instance: "object"
        case .array: "ndarray"
        case .persistent: "persistent id"
        }
    }
}

/// A label on the edge from a container or object to one of its parts.
public enum EdgeLabel: Sendable, Equatable {
    case index(Int)
    case key(String)
    /// A key that is not a str, as Python's `repr` spells it (`b'k'`).
    case reprKey(String)
    case attribute(String)
    /// The arguments an object was built from (REDUCE, NEWOBJ, INST, OBJ).
    case arguments
    /// A state BUILD attached that is not an attribute dict.
    case state
    /// A set element.
    case element
}

/// Counts and sizes of values folded into a container's summary instead of kept as edges.
public struct ValueSummary: Sendable, Equatable {
    /// Values by kind, indexed by `ValueKind.rawValue` (a fixed array: no hashing per item).
    /// Empty until the first value is folded: most nodes never fold anything, and a hostile
    /// file of millions of tiny containers would otherwise pay 180 heap bytes per node.
    public private(set) var countsByKind: [UInt64] = []
    public var bytes: UInt64 = 0
    public var memory: UInt64 = 0

    public var total: UInt64 { countsByKind.reduce(0, &+) }
    public var isEmpty: Bool { total == 0 && bytes == 0 }

    /// Non-zero counts, largest first (`[(.str, 41_872_113)]`).
    public var counts: [(kind: ValueKind, count: UInt64)] {
        ValueKind.allCases.compactMap { kind in
            let count = Int(kind.rawValue) < countsByKind.count ? countsByKind[Int(kind.rawValue)] : 0
            return count > 0 ? (kind, count) : nil
        }.sorted { $0.count != $1.count ? $0.count > $1.count : $0.kind < $1.kind }
    }

    @inline(__always)
    mutating func add(kind: ValueKind, count: UInt64 = 1, bytes: UInt64, memory: UInt64) {
        if countsByKind.isEmpty { countsByKind = [UInt64](repeating: 0, count: ValueKind.allCases.count) }
        countsByKind[Int(kind.rawValue)] &+= count
        self.bytes &+= bytes
        self.memory &+= memory
    }

    mutating func merge(_ other: ValueSummary) {
        if countsByKind.isEmpty, !other.countsByKind.isEmpty {
            countsByKind = [UInt64](repeating: 0, count: ValueKind.allCases.count)
        }
        if other.countsByKind.isEmpty {
            bytes &+= other.bytes
            memory &+= other.memory
            return
        }
        for index in countsByKind.indices { countsByKind[index] &+= other.countsByKind[index] }
        bytes &+= other.bytes
        memory &+= other.memory
    }
}

/// A kept part of a node: a child node, or a scalar shown by name (small containers only).
public struct Edge: Sendable {
    public var label: EdgeLabel
    public var child: NodeID?
    /// For a scalar edge: its kind, bytes, memory and a short preview of its value.
    public var kind: ValueKind
    public var bytes: UInt64
    public var memory: UInt64
    public var preview: String?
    /// The exact value of a small int scalar, for shapes and flags.
    public var integer: Int64?
    /// True when the child is a memo reference to an object built elsewhere.
    public var isReference: Bool
    /// For dict entries and attributes: the instructions of key and value, `[start, end)`,
    /// and where the value starts — what a rewriter drops or replaces.
    public var entryRange: Range<UInt64>? = nil
    public var valueStart: UInt64? = nil
    /// Where the value's instructions end when an instruction of the entry follows them
    /// (protocol 0-1 SETITEM, one per entry); nil when that is the range's end.
    public var valueEnd: UInt64? = nil
    /// The memo indices those instructions define, and the first the value defines, when
    /// the memo grew strictly in sequence there: a rewriter may then drop them unread.
    public var entryMemo: Range<Int64>? = nil
    public var valueMemoStart: Int64? = nil
    /// For dict entries (and attributes from a state dict): the key's kind, counted in
    /// `elements` once the container is summarised.
    public var keyKind: ValueKind? = nil
    /// Another entry with the same label has an equal key (and is replaced by this one).
    public var keyIsExact = false
}

/// One object the pickle builds, summarised.
public struct ObjectNode: Sendable {
    public var kind: ValueKind
    /// Qualified class or callable (`sklearn.pipeline.Pipeline`) for objects; nil for builtins.
    public var typeName: String?
    /// Bytes of instructions charged to this node itself (opcodes, keys, framing of its parts).
    public var ownBytes: UInt64 = 0
    /// Estimated CPython memory of the object itself, without kept children.
    public var ownMemory: UInt64 = 0
    /// Parts kept as edges.
    public var edges: [Edge] = []
    /// Parts folded away: scalars of large containers, and small children beyond the kept ones.
    public var folded = ValueSummary()
    /// `len()` as Python sees it, for containers.
    public var itemCount: UInt64 = 0
    /// First byte of the instruction that created it.
    public var offset: UInt64
    /// Referenced again through the memo after it was built.
    public var isShared = false
    /// Set once the node had more parts than are kept: scalars are only counted from then on.
    public var isLarge = false
    /// Merged into another node (a BUILD state dict); no longer part of the tree.
    public var isAbsorbed = false
    /// A scalar node (the root of a pickle whose object is a scalar): its shortened repr.
    public var value: String?
    /// For arrays: shape, dtype and data bytes.
    public var array: ArrayInfo?
    /// Levels of kept objects below this one (0 for a leaf); bounded by `--max-depth` so
    /// every recursive walk of the tree (reports, JSON, strip verification) stays shallow.
    public var depth = 0
    /// Subtree totals, filled in when the node's parent takes it.
    public var totalBytes: UInt64 = 0
    public var totalMemory: UInt64 = 0
}

/// What is known of a numpy array without loading it.
public struct ArrayInfo: Sendable, Equatable {
    public var shape: [Int64]
    public var dtype: String
    public var dataBytes: UInt64
    /// Where the raw data sits: "pickle" (a bytes argument), "joblib" (raw after the wrapper),
    /// "buffer" (protocol 5 out of band), "objects" (object arrays pickled element-wise).
    public var storage: String
}

/// All nodes of one inspected stream. Append-only; nodes refer to each other by index.
public struct ObjectGraph: Sendable {
    public internal(set) var nodes: [ObjectNode] = []

    mutating func add(_ node: ObjectNode) -> NodeID {
        nodes.append(node)
        return NodeID(index: nodes.count - 1)
    }

    public subscript(id: NodeID) -> ObjectNode {
        get { nodes[id.index] }
        set { nodes[id.index] = newValue }
    }
}

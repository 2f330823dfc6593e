/// A list, dict or set the stream is still filling. It stays a literal until something
/// needs it by name: a memo fetch, a DUP, or being used while memoized (so a later fetch
/// finds the same object); from then on it is a `_varN` and later items become statements.
final class DecompiledContainer {
    enum Kind { case list, dict, set }

    let kind: Kind
    var parts = DecompiledParts()
    var variable: Int?
    var memoized = false
    var warning: String?
    /// Values under str keys of small dicts: what joblib's array wrapper state is read from.
    var keyed: [String: DecompiledValue] = [:]

    init(_ kind: Kind) { self.kind = kind }

    var literal: String {
        switch kind {
        case .list: return "[" + parts.joined() + "]"
        case .dict: return "{" + parts.joined() + "}"
        case .set: return parts.isEmpty ? "set()" : "{" + parts.joined() + "}"
        }
    }
}

/// The rendered items of a container or tuple: all of them with `--full`, else the first
/// few, then a count of the rest and the stream bytes they take. A dict's str-keyed entries
/// whose value is itself a container (an estimator's `vocabulary_`, `stop_words_`) are shown
/// past that point too, each between counted runs, so that summarising an object's state
/// never hides its big attributes.
struct DecompiledParts {
    private(set) var shown: [String] = []
    private var shownBytes = 0
    /// Items shown after a run was hidden (the big attributes), bounded by `shownItems`.
    private var shownLate = 0
    /// The rendered text so far, up to the run being counted.
    private var closed: [String] = []
    private var hidden: UInt64 = 0
    private var run = HiddenRun()
    private var end: UInt64 = 0

    private struct HiddenRun {
        var count: UInt64 = 0
        var kinds: [String] = []
        var start: UInt64 = 0
    }

    var isEmpty: Bool { shown.isEmpty && hidden == 0 }
    var isSummarising: Bool { hidden > 0 }

    /// Whether an item of `text` bytes would still be shown. `isLargeAttribute`: a str key
    /// whose value is a container.
    func accepts(_ bytes: Int, limits: DecompileOptions, isLargeAttribute: Bool = false) -> Bool {
        if limits.full { return true }
        if hidden > 0 || shown.count >= limits.shownItems || shownBytes + bytes > limits.shownTextBytes {
            return isLargeAttribute && shownLate < limits.shownItems
        }
        return true
    }

    /// `start`: the stream offset of the item, which ends a hidden run before it.
    mutating func show(_ text: String, start: UInt64 = 0) {
        if run.count > 0 {
            closed.append(Self.marker(run, end: start))
            run = HiddenRun()
            shownLate += 1
        } else if hidden > 0 {
            shownLate += 1
        }
        shown.append(text)
        closed.append(text)
        shownBytes += text.utf8.count + 2
    }

    mutating func hide(kind: String, count: UInt64 = 1, start: UInt64) {
        if run.count == 0 { run.start = start }
        run.count += count
        hidden += count
        if run.kinds.count < 3, !run.kinds.contains(kind) { run.kinds.append(kind) }
    }

    /// Where the last batch of items ended (the APPENDS/SETITEMS/ADDITEMS offset).
    mutating func noteEnd(_ offset: UInt64) { end = max(end, offset) }

    func joined() -> String {
        var pieces = closed
        if run.count > 0 { pieces.append(Self.marker(run, end: end)) }
        return pieces.joined(separator: ", ")
    }

    private static func marker(_ run: HiddenRun, end: UInt64) -> String {
        let bytes = end > run.start ? ", " + ByteFormat.human(end - run.start) : ""
        return "... \(ByteFormat.grouped(run.count)) more \(run.kinds.joined(separator: ", "))\(bytes) ..."
    }
}

/// A value on the decompiler's stack: the Python expression that evaluates to it, and the
/// few facts later instructions need (a str's value for STACK_GLOBAL and joblib, a tuple's
/// items for calls).
struct DecompiledValue {
    enum Kind: UInt8 {
        case none, bool, int, float, str, bytes, bytearray, tuple, frozenset, global, variable, container, other
    }

    var kind: Kind
    var text: String = ""
    /// A literal of a summarised container's batch, not decoded unless something else uses it.
    var lazy: PickleInstruction?
    var container: DecompiledContainer?
    /// A tuple's items (rendered), for call arguments and joblib's shapes.
    var items: [DecompiledValue]?
    /// The `_varN` this value is, or -1.
    var variable = -1
    /// For globals: `module.name`.
    var qualified: String?
    /// For short strs: the value itself.
    var string: String?
    /// A finding on a global, carried to the statement that uses it.
    var warning: String?
    /// Offset of the instruction that pushed it.
    var start: UInt64 = 0

    var typeName: String {
        switch kind {
        case .none: "None"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .str: "str"
        case .bytes: "bytes"
        case .bytearray: "bytearray"
        case .tuple: "tuple"
        case .frozenset: "frozenset"
        case .global: "global"
        case .variable: "object"
        case .container:
            switch container?.kind {
            case .list: "list"
            case .dict: "dict"
            default: "set"
            }
        case .other: "object"
        }
    }
}

extension DecompiledValue.Kind {
    /// The symbolic machine's kind: what the memo's one-byte codes and the scanner use.
    var valueKind: ValueKind {
        switch self {
        case .none: .none
        case .bool: .bool
        case .int: .int
        case .float: .float
        case .str: .str
        case .bytes: .bytes
        case .bytearray: .bytearray
        case .tuple: .tuple
        case .frozenset: .frozenset
        case .global: .global
        case .variable, .container, .other: .instance
        }
    }

    init(_ kind: ValueKind) {
        switch kind {
        case .none: self = .none
        case .bool: self = .bool
        case .int: self = .int
        case .float: self = .float
        case .str: self = .str
        case .bytes: self = .bytes
        case .bytearray: self = .bytearray
        case .tuple, .emptyTuple: self = .tuple
        case .frozenset: self = .frozenset
        case .global: self = .global
        default: self = .other
        }
    }
}

/// What the decompiler knows about a `_varN` built by a call: enough to find joblib's
/// array data after the wrapper's BUILD.
struct DecompiledObject {
    var className: String?
    var dtype: String?
    var itemSize: Int64?
    var hasObject = false
}

/// How a pickle uses a global.
public enum GlobalUse: String, Sendable, Codable {
    /// Called: REDUCE, NEWOBJ, NEWOBJ_EX, INST or OBJ — code runs at load time.
    case called
    /// Only named (a function kept as an attribute, a class passed as an argument).
    case referenced
}

/// One use of a global in the stream: what, how, where in the bytes, and the node that uses it.
public struct GlobalReference: Sendable {
    public var module: String
    public var name: String
    public var use: GlobalUse
    /// The GLOBAL, STACK_GLOBAL or INST instruction; for a memoized callable used again,
    /// the instruction that calls it.
    public var offset: UInt64
    /// The object it builds (called) or the container or object that holds it (referenced);
    /// nil when it was consumed by nothing the tree keeps.
    public var node: NodeID?
    /// The label under `node` for a referenced global kept as a part (`tokenizer`).
    public var label: EdgeLabel?

    public var qualifiedName: String { module + "." + name }
}

/// A code object rebuilt by value (cloudpickle's `_builtin_type('CodeType')(*fields)`):
/// the number of fields tells which CPython family made it (18 from 3.11 on, 16 before).
public struct CodeObjectUse: Sendable {
    public var node: NodeID
    public var fieldCount: UInt64
}

/// Strings with leading or trailing whitespace seen inside one container.
public struct PaddedStrings: Sendable {
    public var node: NodeID
    public var count: UInt64 = 0
    /// A few of them, as Python reprs, in stream order.
    public var examples: [String] = []
}

/// What `brine check` needs from a replay beyond the tree: every use of a global and the
/// containers holding whitespace-padded strings. Off (nil) for `brine inspect`, so inspect
/// pays nothing; on, it costs a few table entries per global and one byte test per string.
public final class ReferenceRecorder {
    public private(set) var references: [GlobalReference] = []
    /// Uses recorded per qualified name; past `maximumPerName` only `droppedUses` counts.
    private var usesPerName: [String: Int] = [:]
    public private(set) var droppedUses: UInt64 = 0
    public let maximumPerName: Int
    public let maximumExamples: Int
    /// Referenced globals still waiting for a holder, by the stream offset of their value.
    private var pending: [UInt64: Int] = [:]
    /// Who took a node in: the parent it was attached to, or the object it was absorbed into.
    private(set) var owner: [Int: Int] = [:]
    public private(set) var padded: [Int: PaddedStrings] = [:]
    public private(set) var codeObjects: [CodeObjectUse] = []
    /// Nodes the pickle built and then called (REDUCE/NEWOBJ on a built object): how a
    /// `getattr(...)` result becomes a call.
    public private(set) var calledNodes: Set<Int> = []

    func calledNode(_ node: Int) {
        if calledNodes.count < 1 << 16 { calledNodes.insert(node) }
    }

    func codeObject(node: Int, fieldCount: UInt64) {
        if codeObjects.count < 1024 { codeObjects.append(CodeObjectUse(node: NodeID(index: node), fieldCount: fieldCount)) }
    }
    /// Module and name of each interned global, by the machine's global id.
    private var parts: [Int: (module: String, name: String)] = [:]

    public init(maximumPerName: Int = 64, maximumExamples: Int = 5) {
        self.maximumPerName = maximumPerName
        self.maximumExamples = maximumExamples
    }

    func learn(id: Int, module: String, name: String) {
        if parts[id] == nil { parts[id] = (module, name) }
    }

    func parts(of id: Int) -> (module: String, name: String)? { parts[id] }

    /// A GLOBAL / STACK_GLOBAL pushed at `start`: referenced until something calls or holds it.
    func named(module: String, name: String, offset: UInt64, start: UInt64) {
        if let index = append(GlobalReference(module: module, name: name, use: .referenced, offset: offset)) {
            pending[start] = index
        }
    }

    /// A global called to build `node` (REDUCE/NEWOBJ/OBJ with the callable pushed at `start`, or INST).
    func called(module: String, name: String, start: UInt64, offset: UInt64, node: Int) {
        if let index = pending.removeValue(forKey: start), references[index].node == nil {
            references[index].use = .called
            references[index].node = NodeID(index: node)
            return
        }
        _ = append(GlobalReference(module: module, name: name, use: .called, offset: offset, node: NodeID(index: node)))
    }

    /// A global value attached as a part of `parent`.
    func held(start: UInt64, module: String, name: String, by parent: Int, label: EdgeLabel) {
        if let index = pending.removeValue(forKey: start) {
            references[index].node = NodeID(index: parent)
            references[index].label = label
            return
        }
        // A memo GET of a global already seen: another place that names it.
        _ = append(GlobalReference(module: module, name: name, use: .referenced, offset: start, node: NodeID(index: parent), label: label))
    }

    /// Objects used again through the memo: the first container that holds such a reference.
    private(set) var referencedBy: [Int: Int] = [:]

    func referenced(_ child: Int, by parent: Int) {
        if child != parent, referencedBy[child] == nil { referencedBy[child] = parent }
    }

    func took(_ child: Int, into parent: Int) {
        if child != parent, owner[child] == nil { owner[child] = parent }
    }

    func paddedString(_ repr: String, in container: Int) {
        var entry = padded[container] ?? PaddedStrings(node: NodeID(index: container))
        entry.count &+= 1
        if entry.examples.count < maximumExamples { entry.examples.append(repr) }
        padded[container] = entry
    }

    /// Globals named but never held or called stay with no node; the run's end forgets the pending map.
    func finishPickle() { pending.removeAll(keepingCapacity: true) }

    private func append(_ reference: GlobalReference) -> Int? {
        let key = reference.qualifiedName
        let uses = usesPerName[key, default: 0]
        guard uses < maximumPerName else {
            droppedUses &+= 1
            return nil
        }
        usesPerName[key] = uses + 1
        references.append(reference)
        return references.count - 1
    }
}

/// Leading or trailing whitespace as Python's `str.strip()` sees it, from UTF-8 bytes:
/// ASCII blanks and the common Unicode spaces (NBSP, ideographic, zero-width no-break).
enum Padding {
    @inline(__always)
    static func isPadded(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let first = bytes.first, let last = bytes.last else { return false }
        if isASCIISpace(first) || isASCIISpace(last) { return true }
        // Multi-byte spaces: only the first and the last scalar are decoded, in place (this
        // runs for every string `brine check` meets).
        if first >= 0xC2, isSpace(scalarStarting(at: 0, in: bytes)) { return true }
        if last >= 0x80 {
            var start = bytes.count - 1
            while start > 0, bytes.count - start < 4, bytes[start] & 0xC0 == 0x80 { start -= 1 }
            if isSpace(scalarStarting(at: start, in: bytes, endingAtEnd: true)) { return true }
        }
        return false
    }

    /// The scalar whose UTF-8 starts at `start` (and, with `endingAtEnd`, ends the bytes), or
    /// nil for a malformed, overlong or cut sequence, which `String(decoding:)` would turn
    /// into U+FFFD, not a space either.
    private static func scalarStarting(at start: Int, in bytes: UnsafeRawBufferPointer, endingAtEnd: Bool = false) -> Unicode.Scalar? {
        let lead = bytes[start]
        let length = lead < 0x80 ? 1 : lead < 0xC2 ? 0 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : lead < 0xF5 ? 4 : 0
        guard length > 0, start + length <= bytes.count, !endingAtEnd || start + length == bytes.count else { return nil }
        var value = length == 1 ? UInt32(lead) : UInt32(lead) & (0x7F >> UInt32(length))
        for index in (start + 1)..<(start + length) {
            let byte = bytes[index]
            guard byte & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        let smallest: UInt32 = length == 3 ? 0x800 : length == 4 ? 0x10000 : 0
        guard value >= smallest else { return nil }
        return Unicode.Scalar(value)
    }

    @inline(__always)
    private static func isSpace(_ scalar: Unicode.Scalar?) -> Bool {
        scalar?.properties.isWhitespace ?? false
    }

    @inline(__always)
    static func isASCIISpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) || (byte >= 0x1C && byte <= 0x1F)
    }
}

/// What a recorder saw, once the replay is over.
public struct ReferenceLog: Sendable {
    public var references: [GlobalReference]
    public var padded: [PaddedStrings]
    /// For nodes merged into or attached to another: that other node.
    public var owner: [Int: Int]
    /// For nodes used again through the memo: the first holder of such a reference.
    public var referencedBy: [Int: Int] = [:]
    public var codeObjects: [CodeObjectUse] = []
    public var calledNodes: Set<Int> = []
    public var droppedUses: UInt64
}

extension ReferenceRecorder {
    public var log: ReferenceLog {
        ReferenceLog(references: references, padded: padded.values.sorted { $0.node.index < $1.node.index }, owner: owner,
                     referencedBy: referencedBy, codeObjects: codeObjects, calledNodes: calledNodes,
                     droppedUses: droppedUses)
    }
}

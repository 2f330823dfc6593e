/// The memo of the symbolic machine. Real pickles memoize every string, so a 300 MB
/// vectorizer has tens of millions of entries: dense indices keep one byte (the kind),
/// and only entries that point at nodes or whose text was needed keep more.
struct MemoTable {
    private static let unset: UInt8 = 0xFF
    private static let denseLimit: UInt64 = 1 << 31
    private var kinds: [UInt8] = []
    private var nodes: [Int64: Int] = [:]
    private var payloads: [Int64: Int64] = [:]
    /// Decoded text of memoized strings that served as names (keys, globals).
    var texts: [Int64: String] = [:]
    private(set) var count = 0

    /// Stores `value` under `index`; returns false if the index is out of range.
    mutating func store(_ value: StackValue, at index: Int64) -> Bool {
        guard index >= 0, UInt64(index) < Self.denseLimit else { return false }
        let slot = Int(index)
        if slot >= kinds.count {
            kinds.append(contentsOf: repeatElement(Self.unset, count: max(slot + 1 - kinds.count, kinds.count / 2)))
        }
        if kinds[slot] == Self.unset { count += 1 }
        kinds[slot] = value.kind.rawValue
        if value.isNode { nodes[index] = value.node } else if nodes[index] != nil { nodes[index] = nil }
        if value.kind == .global || value.kind == .int || value.kind == .ext {
            payloads[index] = value.payload
        }
        texts[index] = nil
        return true
    }

    /// The value a GET of `index` pushes: same kind and node, as a reference.
    func load(_ index: Int64, bytes: UInt64, span: ByteSpan) -> StackValue? {
        guard index >= 0, index < kinds.count, kinds[Int(index)] != Self.unset,
              let kind = ValueKind(rawValue: kinds[Int(index)]) else { return nil }
        var value = StackValue(kind: kind, node: nodes[index] ?? -1, bytes: bytes, memory: 0)
        value.payload = payloads[index] ?? 0
        value.hasExactInteger = payloads[index] != nil && kind == .int
        value.memoIndex = index
        value.isReference = true
        return value
    }
}

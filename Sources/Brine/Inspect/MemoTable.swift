import BrineIO

/// The memo of the symbolic machine. Real pickles memoize every string, so a 300 MB
/// vectorizer has tens of millions of entries: dense indices keep one byte (the kind),
/// and only entries that point at nodes or whose text was needed keep more.
struct MemoTable {
    private static let unset: UInt8 = 0xFF
    /// Set on entries that also have a node, payload or text in the side tables, so
    /// plain scalars (nearly all entries) never touch a dictionary.
    private static let hasSideEntry: UInt8 = 0x80
    private static let denseLimit: UInt64 = 1 << 31
    /// The dense table may grow to twice the entries stored (or this many slots), so a
    /// hostile PUT of index 2³¹-1 costs one dictionary entry instead of 2 GB.
    private static let denseSlack = 1 << 16
    /// One byte per dense index, in a table that grows without copying (a 300 MB vectorizer's
    /// memo fills 13 MB of it).
    private var kinds = PageBackedBytes(reservedBytes: Int(Self.denseLimit))
    /// Entries whose index is far beyond the dense table.
    private var sparseKinds: [Int64: UInt8] = [:]
    private var nodes: [Int64: Int] = [:]
    private var payloads: [Int64: Int64] = [:]
    /// Decoded text of memoized strings (any of them may name a part or a global later).
    private var texts: [Int64: String] = [:]
    /// Bytes `texts` may hold (`InspectOptions.maximumMemoTextBytes`), counting each entry's
    /// overhead; past it, texts are no longer kept and `droppedTexts` is set.
    var textBudget = InspectOptions.defaultMaximumMemoTextBytes
    private var textBytes = 0
    private(set) var droppedTexts = false
    /// The batches the fast path decoded, in memo order: where each one's bytes sit, so the
    /// text of one of its strings can be read again if a later GET names something with it.
    private(set) var scannedRuns: [ScannedRun] = []
    /// For each fast-path batch a GET reached into (by its first memo index): the offset of
    /// every 64th store in it (`SymbolicMachine.restoredScannedValue`).
    var scannedCheckpoints: [Int64: [UInt32]] = [:]
    /// A memoized str's code points when it holds lone surrogates, which a Swift `String` (the
    /// memo's remembered text) cannot: what a GET of it shows (`textPoints(of:limit:)`).
    var surrogateTexts: [Int64: [UInt32]] = [:]
    private(set) var count = 0
    /// Set once a store replaced an entry (CPython's memo is a dict: the last store wins):
    /// values stored earlier under that index no longer find their text here.
    private(set) var hasOverwrites = false
    /// The indices stored more than once.
    private(set) var overwritten: Set<Int64> = []
    /// For each index in `overwritten`: where the value stored last starts (`StackValue.start`),
    /// which tells the entry's current value from the ones stored before it.
    private var currentStarts: [Int64: UInt64] = [:]
    /// False once a store did not continue the sequence 0, 1, 2, … (a gap or an overwrite).
    private var isSequential = true

    /// The memo's size while every store so far continued the sequence; -1 after any other
    /// store. Two marks ≥ 0 bound exactly the indices defined between them.
    var sequentialMark: Int64 { isSequential ? Int64(count) : -1 }

    /// Stores `value` under `index`; returns false if the index is out of range.
    mutating func store(_ value: StackValue, at index: Int64) -> Bool {
        guard index >= 0, UInt64(index) < Self.denseLimit else { return false }
        let slot = Int(index)
        if slot != kinds.count { isSequential = false }
        let dense = slot < kinds.count || slot < max(2 * count, Self.denseSlack)
        if dense, slot >= kinds.count {
            kinds.append(repeating: Self.unset, count: slot + 1 - kinds.count)
        }
        var previous = dense ? kinds[slot] : (sparseKinds[index] ?? Self.unset)
        if dense, previous == Self.unset, !sparseKinds.isEmpty, let moved = sparseKinds.removeValue(forKey: index) {
            previous = moved
        }
        if previous == Self.unset {
            count += 1
        } else {
            hasOverwrites = true
            overwritten.insert(index)
            currentStarts[index] = value.start
        }
        if previous != Self.unset, previous & Self.hasSideEntry != 0 {
            nodes[index] = nil
            payloads[index] = nil
            texts[index] = nil
        }
        var code = value.kind.rawValue
        if value.isNode {
            nodes[index] = value.node
            code |= Self.hasSideEntry
        }
        // Floats and bools too: pickle never memoizes them, but a stream may, and a GET of
        // one must push its value.
        if value.kind == .global || value.kind == .int || value.kind == .ext || value.kind == .float || value.kind == .bool {
            payloads[index] = value.payload
            code |= Self.hasSideEntry
        }
        if dense { kinds[slot] = code } else { sparseKinds[index] = code }
        return true
    }

    /// The stored code of `index`, or `unset`.
    private func code(at index: Int64) -> UInt8 {
        guard index >= 0 else { return Self.unset }
        if index < kinds.count, kinds[Int(index)] != Self.unset { return kinds[Int(index)] }
        return sparseKinds.isEmpty ? Self.unset : sparseKinds[index] ?? Self.unset
    }

    /// The kind of a memoized plain scalar; nil for nodes, globals and unknown indices,
    /// which need the general machine.
    @inline(__always)
    static func scalarKind(_ index: Int, in kinds: UnsafeBufferPointer<UInt8>) -> ValueKind? {
        guard index >= 0, index < kinds.count else { return nil }
        let code = kinds[index]
        guard code & Self.hasSideEntry == 0, code != Self.unset, let kind = ValueKind(rawValue: code) else { return nil }
        switch kind {
        case .str, .bytes, .int, .float, .bool, .none: return kind
        default: return nil
        }
    }

    /// Lends the kinds table to the fast path's scanner.
    func withKinds<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        kinds.withUnsafeBufferPointer(body)
    }

    /// True while every index stored so far continued the sequence 0, 1, 2, …
    var acceptsSequentialAppend: Bool { count == kinds.count && sparseKinds.isEmpty }

    /// Appends plain scalar entries at the next indices (the fast path's MEMOIZEs), decoded
    /// from the stream's bytes `span`.
    mutating func appendSequential(_ newKinds: ArraySlice<UInt8>, from span: ByteSpan) {
        guard !newKinds.isEmpty else { return }
        scannedRuns.append(ScannedRun(firstIndex: Int64(kinds.count), entries: newKinds.count, span: span))
        newKinds.withUnsafeBufferPointer { kinds.append(contentsOf: $0) }
        count += newKinds.count
    }

    var hasScannedRuns: Bool { !scannedRuns.isEmpty }

    /// The fast-path batch that stored `index`, if one did.
    func scannedRun(containing index: Int64) -> ScannedRun? {
        var low = 0, high = scannedRuns.count
        while low < high {
            let middle = (low + high) / 2
            if scannedRuns[middle].firstIndex + Int64(scannedRuns[middle].entries) <= index { low = middle + 1 } else { high = middle }
        }
        guard low < scannedRuns.count, scannedRuns[low].firstIndex <= index else { return nil }
        return scannedRuns[low]
    }

    /// Whether `value` (stored under its `memoIndex`) is still that entry's value: a later
    /// store over the index replaces it, and its text must not become the entry's.
    func isCurrent(_ value: StackValue) -> Bool {
        guard value.memoIndex >= 0, hasOverwrites, overwritten.contains(value.memoIndex) else { return value.memoIndex >= 0 }
        return currentStarts[value.memoIndex] == value.start
    }

    /// Remembers the decoded text of a memoized str.
    mutating func setText(_ text: String, at index: Int64) {
        let code = code(at: index)
        guard code != Self.unset else { return }
        let cost = text.utf8.count + 48
        guard textBytes + cost <= textBudget else {
            droppedTexts = true
            return
        }
        textBytes += cost
        if index < kinds.count, kinds[Int(index)] != Self.unset {
            kinds[Int(index)] |= Self.hasSideEntry
        } else {
            sparseKinds[index] = code | Self.hasSideEntry
        }
        texts[index] = text
    }

    /// The remembered text of a memoized str, looked up only when the entry has one.
    func text(at index: Int64) -> String? {
        let code = code(at: index)
        guard code != Self.unset, code & Self.hasSideEntry != 0 else { return nil }
        return texts[index]
    }

    /// The value a GET of `index` pushes: same kind and node, as a reference.
    func load(_ index: Int64, bytes: UInt64, span: ByteSpan) -> StackValue? {
        let code = code(at: index)
        guard code != Self.unset, let kind = ValueKind(rawValue: code & ~Self.hasSideEntry) else { return nil }
        var value = StackValue(kind: kind, bytes: bytes, memory: 0)
        if code & Self.hasSideEntry != 0 {
            value.node = nodes[index] ?? -1
            value.payload = payloads[index] ?? 0
            value.hasExactInteger = payloads[index] != nil && kind == .int
        }
        value.memoIndex = index
        value.isReference = true
        return value
    }
}

/// A batch of memo entries the fast path stored at consecutive indices from the bytes at `span`.
struct ScannedRun {
    var firstIndex: Int64
    var entries: Int
    var span: ByteSpan
}

/// How memo indices of the input map to the output once entries inside removed ranges are
/// gone (and a few immutable ones are written again where something still needs them):
/// `new = old − (removed entries below old) + (entries written again before old)`.
/// Removals arrive as runs of consecutive indices, kept as merged intervals with running
/// totals, so dropping ten million entries costs a few intervals, not ten million.
struct MemoRenumbering {
    /// Old indices defined inside removed ranges, as sorted, disjoint closed intervals.
    private var removed: [ClosedRange<Int64>] = []
    /// `removedThrough[i]`: entries removed in `removed[0...i]`.
    private var removedThrough: [Int64] = []
    /// Old indices before which one rematerialized entry was added, in order.
    private var insertions: [Int64] = []
    /// Old indices written again after removal, with their new index.
    private var rematerialized: [Int64: Int64] = [:]

    /// Records that the entry `old` was defined inside a removed range.
    mutating func remove(_ old: Int64) {
        if let last = removed.last, last.upperBound + 1 == old {
            removed[removed.count - 1] = last.lowerBound...old
            removedThrough[removedThrough.count - 1] += 1
        } else if removed.last.map({ $0.upperBound < old }) ?? true {
            removed.append(old...old)
            removedThrough.append((removedThrough.last ?? 0) + 1)
        } else if !isRemoved(old) {
            // Out of order (a pickle that stores indices non-monotonically): rebuild.
            let position = removed.firstIndex { $0.lowerBound > old } ?? removed.count
            removed.insert(old...old, at: position)
            var total: Int64 = 0
            removedThrough = removed.map { total += Int64($0.count); return total }
        }
    }

    /// Records that every entry in `olds` was defined inside a removed range.
    mutating func remove(_ olds: Range<Int64>) {
        guard let last = olds.last else { return }
        if let previous = removed.last, previous.upperBound + 1 == olds.lowerBound {
            removed[removed.count - 1] = previous.lowerBound...last
            removedThrough[removedThrough.count - 1] += Int64(olds.count)
        } else if removed.last.map({ $0.upperBound < olds.lowerBound }) ?? true {
            removed.append(olds.lowerBound...last)
            removedThrough.append((removedThrough.last ?? 0) + Int64(olds.count))
        } else {
            for old in olds { remove(old) }
        }
    }

    /// Records one entry written again before the input's entry `nextOld` is defined.
    mutating func insertBefore(_ nextOld: Int64, rematerializing old: Int64, as newIndex: Int64) {
        rematerialized[old] = newIndex
        let position = insertions.firstIndex { $0 > nextOld } ?? insertions.count
        insertions.insert(nextOld, at: position)
    }

    func isRemoved(_ old: Int64) -> Bool {
        let index = intervalAtOrAbove(old)
        return index < removed.count && removed[index].contains(old)
    }

    func hasRematerialized(_ old: Int64) -> Bool { rematerialized[old] != nil }

    /// The output index of an input entry that is still there.
    func newIndex(_ old: Int64) -> Int64 {
        if !rematerialized.isEmpty, let again = rematerialized[old] { return again }
        // Intervals wholly below `old` count fully (none contains a kept `old`).
        let above = intervalAtOrAbove(old)
        let removedBelow = above == 0 ? 0 : removedThrough[above - 1]
        var inserted: Int64 = 0
        for point in insertions where point <= old { inserted += 1 }
        return old - removedBelow + inserted
    }

    /// Index of the first interval whose upper bound is ≥ `old`.
    private func intervalAtOrAbove(_ old: Int64) -> Int {
        var low = 0, high = removed.count
        while low < high {
            let middle = (low + high) / 2
            if removed[middle].upperBound < old { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

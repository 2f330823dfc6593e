/// How memo indices of the input map to the output once entries inside removed ranges are
/// gone (and a few immutable ones are written again where something still needs them).
///
/// The map is piecewise: `new = old + delta` from each segment's first old index on, so a
/// removal of ten million entries costs one segment, not ten million.
struct MemoRenumbering {
    private var starts: [Int64] = [0]
    private var deltas: [Int64] = [0]
    /// Old indices defined inside removed ranges, as sorted closed intervals.
    private var removed: [ClosedRange<Int64>] = []
    /// Old indices re-emitted after removal, with their new index.
    private var rematerialized: [Int64: Int64] = [:]

    /// Records that the entry `old` was defined inside a removed range.
    mutating func remove(_ old: Int64) {
        if let last = removed.last, last.upperBound + 1 == old {
            removed[removed.count - 1] = last.lowerBound...old
        } else {
            let position = removed.firstIndex { $0.lowerBound > old } ?? removed.count
            removed.insert(old...old, at: position)
        }
        shift(from: old + 1, by: -1)
    }

    /// Records that the output gained one entry before the input's entry `nextOld` is
    /// defined (a rematerialized value): later indices move up by one.
    mutating func insertBefore(_ nextOld: Int64, rematerializing old: Int64, as newIndex: Int64) {
        rematerialized[old] = newIndex
        shift(from: nextOld, by: 1)
    }

    func isRemoved(_ old: Int64) -> Bool {
        var low = 0, high = removed.count
        while low < high {
            let middle = (low + high) / 2
            if removed[middle].upperBound < old { low = middle + 1 } else { high = middle }
        }
        return low < removed.count && removed[low].contains(old)
    }

    /// The output index of an input entry that is still there.
    func newIndex(_ old: Int64) -> Int64 {
        if let again = rematerialized[old] { return again }
        var low = 0, high = starts.count
        while low < high {
            let middle = (low + high) / 2
            if starts[middle] <= old { low = middle + 1 } else { high = middle }
        }
        return old + deltas[max(0, low - 1)]
    }

    func hasRematerialized(_ old: Int64) -> Bool { rematerialized[old] != nil }

    private mutating func shift(from old: Int64, by amount: Int64) {
        let current = newIndex(old) - old
        if let last = starts.last, last == old {
            deltas[deltas.count - 1] = current + amount
        } else if let last = starts.last, last < old {
            starts.append(old)
            deltas.append(current + amount)
        } else {
            // An index below the last segment (a pickle that stores out of order): shift
            // every segment at or above it.
            let position = starts.firstIndex { $0 >= old } ?? starts.count
            if position < starts.count, starts[position] == old {
                for index in position..<deltas.count { deltas[index] += amount }
            } else {
                starts.insert(old, at: position)
                deltas.insert(current, at: position)
                for index in position..<deltas.count { deltas[index] += amount }
            }
        }
    }
}

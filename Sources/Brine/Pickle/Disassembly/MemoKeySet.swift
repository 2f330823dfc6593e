/// The memo keys a pickle has defined so far. Dense small indices (what picklers
/// write) live in a bitset; anything else falls back to a set of decimal strings.
struct MemoKeySet {
    private static let denseLimit: UInt64 = 1 << 27
    private var bits: [UInt64] = []
    private var sparse: Set<String> = []
    private(set) var count = 0

    /// Inserts `key`; returns false when it was already present.
    mutating func insert(_ key: MemoKey) -> Bool {
        switch key {
        case .index(let index) where index < Self.denseLimit:
            let word = Int(index >> 6)
            let mask: UInt64 = 1 << (index & 63)
            if word >= bits.count { bits.append(contentsOf: repeatElement(0, count: max(word + 1 - bits.count, bits.count))) }
            if bits[word] & mask != 0 { return false }
            bits[word] |= mask
        case .index(let index):
            guard sparse.insert(String(index)).inserted else { return false }
        case .text(let text):
            guard sparse.insert(text).inserted else { return false }
        }
        count += 1
        return true
    }

    func contains(_ key: MemoKey) -> Bool {
        switch key {
        case .index(let index) where index < Self.denseLimit:
            let word = Int(index >> 6)
            return word < bits.count && bits[word] & (1 << (index & 63)) != 0
        case .index(let index):
            return sparse.contains(String(index))
        case .text(let text):
            return sparse.contains(text)
        }
    }
}

/// A memo key: binary opcodes give an index, text opcodes any Python int.
enum MemoKey: Hashable {
    case index(UInt64)
    case text(String)

    /// The key a PUT/GET text argument denotes, from its printed form.
    init(printed: String) {
        switch printed {
        case "True": self = .index(1)
        case "False": self = .index(0)
        default: self = UInt64(printed).map(MemoKey.index) ?? .text(printed)
        }
    }
}

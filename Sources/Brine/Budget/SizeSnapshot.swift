/// Sizes keyed by where they are (`models/vec.joblib`, `models/vec.joblib :: .vocabulary_`),
/// for baselines and `brine diff`.
public struct SizeSnapshot: Codable, Sendable, Equatable {
    public static let schemaVersion = 1
    public var schemaVersion = SizeSnapshot.schemaVersion
    public var entries: [String: UInt64]

    public init(entries: [String: UInt64] = [:]) {
        self.entries = entries
    }

    /// Every member of a walked bundle and every attribute of its artifacts, keyed relative
    /// to `member` itself so two versions with different file names compare.
    public static func of(_ member: BundleMember, prefix: String = "") -> SizeSnapshot {
        var entries: [String: UInt64] = [:]
        for item in member.flattened() {
            var key = String(item.path.dropFirst(min(member.path.count, item.path.count)))
            while key.hasPrefix("/") { key.removeFirst() }
            key = prefix + key
            // The whole (key "") is the TOTAL line of a diff, not an entry of its own.
            if item.kind != .directory, !key.isEmpty { entries[key] = item.bytes }
            for attribute in item.attributes ?? [] where !attribute.path.isEmpty {
                entries[(key.isEmpty ? "" : key + " ") + ":: " + attribute.path] = attribute.bytes
            }
        }
        return SizeSnapshot(entries: entries)
    }
}

/// One line of a size diff.
public struct SizeDelta: Codable, Sendable, Equatable {
    public var key: String
    public var before: UInt64
    public var after: UInt64
    public var delta: Int64 { Int64(bitPattern: after &- before) }
    /// Change relative to `before`, in percent; nil for something new.
    public var percent: Double? { before == 0 ? nil : Double(delta) / Double(before) * 100 }

    enum CodingKeys: String, CodingKey { case key, before, after, delta, percent }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encode(before, forKey: .before)
        try container.encode(after, forKey: .after)
        try container.encode(delta, forKey: .delta)
        try container.encode(percent.map { ($0 * 10).rounded() / 10 }, forKey: .percent)
    }

    public init(key: String, before: UInt64, after: UInt64) {
        self.key = key
        self.before = before
        self.after = after
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        key = try container.decode(String.self, forKey: .key)
        before = try container.decode(UInt64.self, forKey: .before)
        after = try container.decode(UInt64.self, forKey: .after)
    }
}

public enum SizeDiff {
    /// Every key whose size changed, largest change first (bloaty's order).
    public static func compare(_ old: SizeSnapshot, _ new: SizeSnapshot) -> [SizeDelta] {
        let keys = Set(old.entries.keys).union(new.entries.keys)
        return keys.compactMap { key -> SizeDelta? in
            let before = old.entries[key] ?? 0, after = new.entries[key] ?? 0
            return before == after ? nil : SizeDelta(key: key, before: before, after: after)
        }.sorted {
            let a = $0.delta.magnitude, b = $1.delta.magnitude
            return a != b ? a > b : $0.key < $1.key
        }
    }

    /// Two budget snapshots, comparing only what both measured: a total of the same measure,
    /// Python distributions when both counted an environment, and the inside of a file when
    /// both opened it (a baseline of an older Brine holds insides of its largest files only).
    /// Files themselves are always compared.
    public static func compareLikeWithLike(_ old: SizeSnapshot, _ new: SizeSnapshot) -> [SizeDelta] {
        func scope(_ key: String) -> String? {
            if key.hasPrefix("TOTAL ") { return key }
            if key.hasPrefix("python-env: ") { return "python-env" }
            let inner = [key.range(of: "!"), key.range(of: " :: ")].compactMap { $0 }.min { $0.lowerBound < $1.lowerBound }
            return inner.map { "inside " + key[..<$0.lowerBound] }
        }
        let oldScopes = Set(old.entries.keys.compactMap(scope)), newScopes = Set(new.entries.keys.compactMap(scope))
        return compare(old, new).filter { delta in
            guard let scope = scope(delta.key) else { return true }
            return oldScopes.contains(scope) && newScopes.contains(scope)
        }
    }

    /// bloaty-style text: `+1.2 MB  +35.0%  key`.
    public static func text(_ deltas: [SizeDelta], before: UInt64, after: UInt64, limit: Int = 40) -> String {
        var out = "    DELTA     CHANGE  WHERE\n"
        for delta in deltas.prefix(limit) {
            let sign = delta.delta >= 0 ? "+" : "-"
            let size = sign + ByteFormat.human(delta.delta.magnitude)
            let change = delta.percent.map { (($0 >= 0 ? "+" : "") + ByteFormat.fixed($0, decimals: 1) + "%") } ?? "new"
            let shownChange = delta.after == 0 ? "gone" : change
            out += pad(size, 10) + " " + pad(shownChange, 9) + "  " + delta.key + "\n"
        }
        if deltas.count > limit { out += "  … \(deltas.count - limit) more changes (--format json lists all)\n" }
        let total = SizeDelta(key: "TOTAL", before: before, after: after)
        let sign = total.delta >= 0 ? "+" : "-"
        out += pad(sign + ByteFormat.human(total.delta.magnitude), 10) + " "
            + pad(total.percent.map { ($0 >= 0 ? "+" : "") + ByteFormat.fixed($0, decimals: 1) + "%" } ?? "new", 9)
            + "  TOTAL (\(ByteFormat.human(before)) -> \(ByteFormat.human(after)))\n"
        return out
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}

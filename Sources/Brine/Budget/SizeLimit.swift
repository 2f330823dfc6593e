/// A size limit as the user wrote it: bytes with a unit (`300MB`, `1.5GiB`, `5000`) or a
/// platform preset (`heroku-slug`). A number the user gives always wins over a preset.
public struct SizeLimit: Codable, Sendable, Equatable {
    public var bytes: UInt64
    public var warnBytes: UInt64?
    public var measure: BudgetMeasure
    /// The preset it came from, if any.
    public var preset: String?
    /// The text as given.
    public var text: String

    public init(bytes: UInt64, warnBytes: UInt64? = nil, measure: BudgetMeasure, preset: String? = nil, text: String) {
        self.bytes = bytes
        self.warnBytes = warnBytes
        self.measure = measure
        self.preset = preset
        self.text = text
    }

    /// Parses `text`; `measure` applies to plain sizes (presets carry their own).
    public static func parse(_ text: String, measure: BudgetMeasure = .uncompressed) -> SizeLimit? {
        if let preset = PlatformPreset.named(text) {
            return SizeLimit(bytes: preset.bytes, warnBytes: preset.warnBytes, measure: preset.measure, preset: preset.name, text: text)
        }
        guard let bytes = parseBytes(text) else { return nil }
        return SizeLimit(bytes: bytes, measure: measure, text: text)
    }

    /// `300MB` (decimal, as platforms state limits), `1.5GiB` (binary), `512k`, `1000`.
    public static func parseBytes(_ text: String) -> UInt64? {
        let trimmed = text.trimmingCharacters(in: " ")
        let numberPart = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(numberPart.count).trimmingCharacters(in: " ").lowercased()
        guard !numberPart.isEmpty, let value = Double(numberPart), value >= 0 else { return nil }
        let scales: [String: Double] = [
            "": 1, "b": 1,
            "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
            "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824, "tib": 1_099_511_627_776,
        ]
        guard let scale = scales[unit] else { return nil }
        let bytes = (value * scale).rounded()
        guard bytes < 1.8e19 else { return nil }
        return UInt64(bytes)
    }
}

extension String {
    func trimmingCharacters(in character: Character) -> String {
        var slice = Substring(self)
        while slice.first == character { slice = slice.dropFirst() }
        while slice.last == character { slice = slice.dropLast() }
        return String(slice)
    }
}

extension Substring {
    func trimmingCharacters(in character: Character) -> String { String(self).trimmingCharacters(in: character) }
}

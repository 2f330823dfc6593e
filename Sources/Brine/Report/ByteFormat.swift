/// Human units for sizes: decimal (1 MB = 1,000,000 bytes), as deploy platforms state limits.
public enum ByteFormat {
    public static func human(_ bytes: UInt64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 999.95, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : fixed(value, decimals: 1) + " " + units[unit]
    }

    /// `12,345,678`.
    public static func grouped(_ number: UInt64) -> String {
        let digits = String(number)
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return result
    }

    /// `1 file`, `2 files`, `1,234 files`: the one place a count meets its noun.
    public static func counted(_ number: Int, _ singular: String, plural: String? = nil) -> String {
        counted(UInt64(max(0, number)), singular, plural: plural)
    }

    public static func counted(_ number: UInt64, _ singular: String, plural: String? = nil) -> String {
        "\(grouped(number)) \(number == 1 ? singular : plural ?? singular + "s")"
    }

    /// Percentage of `part` in `whole` with one decimal.
    public static func percent(_ part: UInt64, of whole: UInt64) -> String {
        guard whole > 0 else { return "0.0%" }
        return fixed(Double(part) / Double(whole) * 100, decimals: 1) + "%"
    }

    /// Fixed-point formatting without Foundation, rounding half away from zero.
    static func fixed(_ value: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (value * scale).rounded(.toNearestOrAwayFromZero)
        guard scaled.isFinite, abs(scaled) < 9e18 else { return String(value) }
        let integer = Int64(scaled)
        let whole = integer / Int64(scale), fraction = abs(integer % Int64(scale))
        let fractionText = String(fraction)
        return "\(whole)." + String(repeating: "0", count: decimals - fractionText.count) + fractionText
    }
}

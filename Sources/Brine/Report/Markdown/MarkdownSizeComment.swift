/// Pull-request comments about size, in the manner of size-limit's: the total before and
/// after against the limit first, the largest changes next, everything else folded away.
public enum MarkdownSizeComment {
    /// `brine diff --format markdown`.
    public static func diff(old: String, new: String, before: UInt64, after: UInt64, changes: [SizeDelta], top: Int = 10) -> String {
        let total = SizeDelta(key: "TOTAL", before: before, after: after)
        var out = "### \(icon(total.delta)) brine diff: \(signed(total.delta)) (\(change(total)))\n\n"
        out += "`\(cell(old))` → `\(cell(new))`, sizes uncompressed.\n\n"
        out += "| | Before | After | Change |\n|---|---:|---:|---:|\n"
        out += "| **Total** | \(ByteFormat.human(before)) | \(ByteFormat.human(after)) | \(signed(total.delta)) (\(change(total))) |\n"
        out += changeSections(changes, top: top)
        return out
    }

    /// `brine budget --format markdown`: the measurement against the limit, what changed since
    /// the baseline, the largest files, then the findings as `--format markdown` of check lists them.
    public static func budget(_ result: BudgetResult, top: Int = 10) -> String {
        let measure = result.limit?.measure ?? .uncompressed
        let limit = result.limit.flatMap { $0.bytes == .max ? nil : $0 }
        let used = limit.map { " (\(ByteFormat.percent(result.measuredBytes, of: $0.bytes)) of \($0.preset ?? ByteFormat.human($0.bytes)))" } ?? ""
        var out = "### \(result.failed ? "❌" : "✅") brine budget: \(ByteFormat.human(result.measuredBytes)) \(measure.phrase)\(used)\n\n"
        let totalKey = "TOTAL \(measure.rawValue)"
        let previous = result.changes?.first { $0.key == totalKey }
        let hasBaseline = result.changes != nil
        out += "| Path | Measured |\(hasBaseline ? " Before | Change |" : "") Limit | Result |\n"
        out += "|---|---:|\(hasBaseline ? "---:|---:|" : "")---:|---|\n"
        var line = "| `\(cell(result.paths.joined(separator: " ")))` | \(ByteFormat.human(result.measuredBytes)) |"
        if hasBaseline {
            let before = previous?.before ?? result.measuredBytes
            let delta = SizeDelta(key: totalKey, before: before, after: result.measuredBytes)
            line += " \(ByteFormat.human(before)) | \(delta.delta == 0 ? "no change" : "\(signed(delta.delta)) (\(change(delta)))") |"
        }
        line += " \(limit.map { ByteFormat.human($0.bytes) + ($0.preset.map { " (\($0))" } ?? "") } ?? "none") | \(limit.map { result.measuredBytes > $0.bytes ? "❌ over" : "✅ fits" } ?? "–") |\n"
        out += line
        for file in result.fileBudgets {
            out += "| `\(cell(file.path))` (\(cell(file.glob))) | \(ByteFormat.human(file.measuredBytes)) |\(hasBaseline ? " | |" : "") \(ByteFormat.human(file.limit.bytes)) | \(file.over ? "❌ over" : "✅ fits") |\n"
        }
        if let changes = result.changes {
            out += changeSections(changes.filter { !$0.key.hasPrefix("TOTAL ") }, top: top)
        }
        if !result.contributors.isEmpty {
            out += "\n<details><summary>Largest files</summary>\n\n| Size | File | Largest parts |\n|---:|---|---|\n"
            for contributor in result.contributors {
                let parts = contributor.parts.prefix(3).map { "`\(cell($0.path))` \(ByteFormat.human($0.bytes))" }
                out += "| \(ByteFormat.human(contributor.bytes)) | `\(cell(contributor.path))` | \(parts.joined(separator: ", ")) |\n"
            }
            out += "\n</details>\n"
        }
        if let environment = result.pythonEnvironment, !environment.distributions.isEmpty {
            out += "\n<details><summary>Python environment: \(environment.distributions.count) distributions, \(ByteFormat.human(environment.bytes))</summary>\n\n| Size | Distribution |\n|---:|---|\n"
            for distribution in environment.distributions.prefix(top) {
                out += "| \(ByteFormat.human(distribution.bytes)) | \(cell(distribution.name)) \(cell(distribution.version)) |\n"
            }
            out += "\n</details>\n"
        }
        let findings = result.findingReport()
        if !findings.findings.isEmpty {
            // The findings part of the shared renderer, without its headline.
            let rendered = MarkdownRenderer().render(findings)
            if let table = rendered.range(of: "\n| Severity") {
                out += "\n**Findings**\n" + rendered[table.lowerBound...]
            }
        }
        return out
    }

    private static func changeSections(_ changes: [SizeDelta], top: Int) -> String {
        guard !changes.isEmpty else { return "\nNo change.\n" }
        var out = "\n**Largest changes**\n\n| Change | % | Where |\n|---:|---:|---|\n"
        for delta in changes.prefix(top) {
            out += "| \(signed(delta.delta)) | \(change(delta)) | `\(cell(delta.key))` |\n"
        }
        if changes.count > top {
            out += "\n<details><summary>All \(changes.count) changes</summary>\n\n| Change | % | Before | After | Where |\n|---:|---:|---:|---:|---|\n"
            for delta in changes {
                out += "| \(signed(delta.delta)) | \(change(delta)) | \(ByteFormat.human(delta.before)) | \(ByteFormat.human(delta.after)) | `\(cell(delta.key))` |\n"
            }
            out += "\n</details>\n"
        }
        return out
    }

    static func icon(_ delta: Int64) -> String { delta > 0 ? "📈" : delta < 0 ? "📉" : "➖" }

    /// `+1.2 MB`, `−300 B`.
    public static func signed(_ delta: Int64) -> String {
        (delta >= 0 ? "+" : "-") + ByteFormat.human(delta.magnitude)
    }

    /// `+35.0%`, `new`, `gone`.
    public static func change(_ delta: SizeDelta) -> String {
        if delta.after == 0 && delta.before > 0 { return "gone" }
        return delta.percent.map { ($0 >= 0 ? "+" : "") + ByteFormat.fixed($0, decimals: 1) + "%" } ?? "new"
    }

    private static func cell(_ text: String) -> String {
        text.replacingAll("|", "\\|").replacingAll("\n", " ").replacingAll("`", "'")
    }
}

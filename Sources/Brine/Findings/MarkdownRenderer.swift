/// A pull-request comment: a headline with counts, a table of findings, and the
/// explanation and fix of each rule once, folded in `<details>`.
struct MarkdownRenderer {
    func render(_ report: FindingReport) -> String {
        let icon = report.count(.error) > 0 ? "❌" : report.count(.warning) > 0 ? "⚠️" : "✅"
        var out = "### \(icon) brine \(report.command): \(report.summaryLine)\n\n"
        out += report.checkedLine
        out += report.fails ? "; findings at or above `\(report.failOn.rawValue)` fail the run.\n" : ".\n"
        guard !report.findings.isEmpty else { return out }
        out += "\n| Severity | Code | File | Where | Finding |\n|---|---|---|---|---|\n"
        for finding in report.findings {
            let place = finding.location.treePath.map { $0.isEmpty ? "" : "`\(cell($0))`" } ?? ""
            out += "| \(finding.severity.rawValue) | \(FindingDocs.url(finding.rule).map { "[\(finding.code)](\($0))" } ?? finding.code) | `\(cell(finding.location.file))` | \(place) | \(cell(finding.message)) |\n"
        }
        var explained = Set<String>()
        for finding in report.findings where explained.insert(finding.code).inserted {
            out += "\n<details><summary><b>\(finding.code)</b> \(html(finding.rule.summary))</summary>\n\n"
            out += finding.explanation + "\n"
            if let fix = finding.fix { out += "\n**Fix:** \(fix)\n" }
            out += "\n</details>\n"
        }
        return out
    }

    /// Table cells: no pipes or newlines, backticks kept out of code spans.
    private func cell(_ text: String) -> String {
        text.replacingAll("|", "\\|").replacingAll("\n", " ").replacingAll("`", "'")
    }

    private func html(_ text: String) -> String {
        text.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;")
    }
}

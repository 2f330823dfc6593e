import Foundation

/// `--format jsonl`: one JSON object per artifact per line (sorted keys, no indent), so a
/// scan split over many machines is joined with `cat` and read line by line
/// (docs/json-schema.md "JSON Lines", docs/scale.md).
struct JSONLinesFindingRenderer {
    static let schemaVersion = 1

    struct Line: Encodable {
        var schemaVersion: Int
        var tool: String
        var version: String
        var command: String
        var artifact: String
        /// `ok`, `findings` (one at or above --fail-on) or `unreadable`.
        var status: String
        var counts: [String: Int]
        var findings: [JSONFindingRenderer.Entry]
    }

    /// Every artifact checked or unreadable, and every other file a finding names (a folder,
    /// an archive member), in name order.
    func render(_ report: FindingReport, toolVersion: String) -> String {
        let byFile = Dictionary(grouping: report.findings, by: \.location.file)
        let unreadable = Set(report.unreadable)
        let names = Set(report.inputs).union(unreadable).union(byFile.keys).sorted()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out = ""
        for name in names {
            let findings = byFile[name] ?? []
            let status = unreadable.contains(name) ? "unreadable" : findings.contains { $0.severity >= report.failOn } ? "findings" : "ok"
            let line = Line(
                schemaVersion: Self.schemaVersion, tool: "brine", version: toolVersion, command: report.command,
                artifact: name, status: status,
                counts: Dictionary(uniqueKeysWithValues: Severity.allCases.map { severity in (severity.rawValue, findings.count { $0.severity == severity }) }),
                findings: findings.map(JSONFindingRenderer.Entry.init))
            guard let data = try? encoder.encode(line) else { continue }
            out += String(decoding: data, as: UTF8.self) + "\n"
        }
        return out
    }
}

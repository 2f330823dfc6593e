import Foundation

/// `--format json`: the report with a schema version and counts; keys sorted.
struct JSONFindingRenderer {
    static let schemaVersion = 1

    struct Document: Encodable {
        var schemaVersion: Int
        var tool: String
        var version: String
        var command: String
        var failOn: Severity
        var fails: Bool
        var inputs: [String]
        /// Present only when something could not be read.
        var unreadable: [String]?
        var counts: [String: Int]
        var findings: [Entry]
    }

    struct Entry: Encodable {
        var code: String
        var rule: String
        var severity: Severity
        var message: String
        var explanation: String
        var fix: String?
        var file: String
        var path: String?
        var offset: UInt64?
        var help: String

        init(_ finding: Finding) {
            code = finding.code
            rule = finding.rule.name
            severity = finding.severity
            message = finding.message
            explanation = finding.explanation
            fix = finding.fix
            file = finding.location.file
            path = finding.location.treePath
            offset = finding.location.offset
            help = finding.rule.helpPath
        }
    }

    func render(_ report: FindingReport, toolVersion: String) -> String {
        let document = Document(
            schemaVersion: Self.schemaVersion, tool: "brine", version: toolVersion, command: report.command,
            failOn: report.failOn, fails: report.fails, inputs: report.inputs,
            unreadable: report.unreadable.isEmpty ? nil : report.unreadable,
            counts: Dictionary(uniqueKeysWithValues: Severity.allCases.map { ($0.rawValue, report.count($0)) }),
            findings: report.findings.map(Entry.init))
        return encodeSortedJSON(document)
    }
}

/// Deterministic JSON: sorted keys, two-space indent, a final newline.
func encodeSortedJSON<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value) else { return "{}\n" }
    return String(decoding: data, as: UTF8.self) + "\n"
}

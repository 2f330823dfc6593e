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
    }

    func render(_ report: FindingReport, toolVersion: String) -> String {
        let document = Document(
            schemaVersion: Self.schemaVersion, tool: "brine", version: toolVersion, command: report.command,
            failOn: report.failOn, fails: report.fails, inputs: report.inputs,
            unreadable: report.unreadable.isEmpty ? nil : report.unreadable,
            counts: Dictionary(uniqueKeysWithValues: Severity.allCases.map { ($0.rawValue, report.count($0)) }),
            findings: report.findings.map {
                Entry(code: $0.code, rule: $0.rule.name, severity: $0.severity, message: $0.message, explanation: $0.explanation,
                      fix: $0.fix, file: $0.location.file, path: $0.location.treePath, offset: $0.location.offset,
                      help: $0.rule.helpPath)
            })
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

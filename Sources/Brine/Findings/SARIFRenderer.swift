/// SARIF 2.1.0 as GitHub code scanning accepts it: one run, the rules met, one result per
/// finding with a physical location (the artifact, line 1: artifacts are binary) and the
/// tree path as a logical location.
/// Spec: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html;
/// GitHub's subset: https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
struct SARIFRenderer {
    var paths: PathRelativizer

    struct Log: Encodable {
        var schema = "https://json.schemastore.org/sarif-2.1.0.json"
        var version = "2.1.0"
        var runs: [Run]
        enum CodingKeys: String, CodingKey { case schema = "$schema", version, runs }
    }
    struct Run: Encodable {
        var tool: Tool
        var results: [Result]
        var automationDetails: Automation?
    }
    struct Automation: Encodable { var id: String }
    struct Tool: Encodable { var driver: Driver }
    struct Driver: Encodable {
        var name = "brine"
        var version: String
        var semanticVersion: String
        var informationUri = FindingDocs.baseURL
        var rules: [Rule]
    }
    struct Text: Encodable { var text: String }
    struct Help: Encodable { var text: String; var markdown: String }
    struct Rule: Encodable {
        var id: String
        var name: String
        var shortDescription: Text
        var fullDescription: Text
        var help: Help
        var helpUri: String?
        var defaultConfiguration: Configuration
        var properties: RuleProperties
    }
    struct Configuration: Encodable { var level: String }
    struct RuleProperties: Encodable {
        var tags: [String]
        var securitySeverity: String?
        enum CodingKeys: String, CodingKey { case tags, securitySeverity = "security-severity" }
    }
    struct Result: Encodable {
        var ruleId: String
        var ruleIndex: Int
        var level: String
        var message: Text
        var locations: [Location]
        var partialFingerprints: [String: String]
    }
    struct Location: Encodable {
        var physicalLocation: Physical
        var logicalLocations: [Logical]?
    }
    struct Physical: Encodable {
        var artifactLocation: Artifact
        var region: Region
    }
    struct Artifact: Encodable { var uri: String }
    struct Region: Encodable { var startLine = 1 }
    struct Logical: Encodable { var fullyQualifiedName: String; var kind = "member" }

    static func level(_ severity: Severity) -> String {
        switch severity {
        case .error: "error"
        case .warning: "warning"
        case .info: "note"
        }
    }

    func render(_ report: FindingReport, toolVersion: String) -> String {
        let rules = report.rules
        var index: [String: Int] = [:]
        for (position, rule) in rules.enumerated() { index[rule.code] = position }
        // A rule's default level is the worst severity it was reported with in this run.
        var worst: [String: Severity] = [:]
        for finding in report.findings { worst[finding.code] = max(worst[finding.code] ?? .info, finding.severity) }
        let sarifRules = rules.map { rule in
            let level = worst[rule.code] ?? .warning
            return Rule(
                id: rule.code, name: rule.name, shortDescription: Text(text: rule.summary), fullDescription: Text(text: rule.summary),
                help: Help(text: "\(rule.summary) See \(FindingDocs.url(rule) ?? "Brine's " + rule.helpPath).",
                           markdown: FindingDocs.url(rule).map { "\(rule.summary) [Documentation](\($0))" }
                               ?? "\(rule.summary) See Brine's `\(rule.helpPath)`."),
                helpUri: FindingDocs.url(rule), defaultConfiguration: Configuration(level: Self.level(level)),
                properties: RuleProperties(
                    tags: rule.isSecurity ? ["security", "brine"] : ["brine", "reliability"],
                    securitySeverity: rule.isSecurity ? (level == .error ? "9.3" : "5.0") : nil))
        }
        let results = report.findings.map { finding in
            let uri = paths.relative(finding.location.file)
            var text = finding.message
            if let path = finding.location.treePath, !path.isEmpty { text += " (at \(path))" }
            if let fix = finding.fix { text += " Fix: \(fix)" }
            let fingerprint = [finding.code, uri, finding.location.treePath ?? "", finding.message].joined(separator: "|")
            return Result(
                ruleId: finding.code, ruleIndex: index[finding.code] ?? 0, level: Self.level(finding.severity),
                message: Text(text: text),
                locations: [Location(
                    physicalLocation: Physical(artifactLocation: Artifact(uri: uri), region: Region()),
                    logicalLocations: finding.location.treePath.flatMap { $0.isEmpty ? nil : [Logical(fullyQualifiedName: $0)] })],
                partialFingerprints: ["brineFinding/v1": StableHash.hex(fingerprint)])
        }
        let log = Log(runs: [Run(
            tool: Tool(driver: Driver(version: toolVersion, semanticVersion: toolVersion, rules: sarifRules)),
            results: results, automationDetails: Automation(id: "brine/\(report.command)/"))])
        return encodeSortedJSON(log)
    }
}

/// FNV-1a 64: a fingerprint that is the same on every run and platform (Swift's `hashValue` is seeded).
enum StableHash {
    static func hex(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

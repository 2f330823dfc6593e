/// How sure Brine is that something will go wrong, from the evidence in hand.
/// `error`: a load that will fail or code that will run; `warning`: it depends on an
/// environment Brine was not told about; `info`: worth knowing, nothing breaks.
public enum Severity: String, Codable, Sendable, CaseIterable, Comparable {
    case info, warning, error

    private var rank: Int { self == .info ? 0 : self == .warning ? 1 : 2 }
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// Where a finding sits: a file, and optionally a place inside it (a Python-syntax path
/// through the object tree such as `steps[0][1].tokenizer`, and the byte offset in the
/// decompressed stream). Bundles add the member: `model.tar.gz!word_dict.pkl`.
public struct FindingLocation: Codable, Sendable, Hashable {
    public var file: String
    public var treePath: String?
    public var offset: UInt64?

    public init(file: String, treePath: String? = nil, offset: UInt64? = nil) {
        self.file = file
        self.treePath = treePath
        self.offset = offset
    }
}

/// A rule as documented: stable code, short name, what it means. Formats that list rules
/// (SARIF) take them from here.
public struct FindingRule: Codable, Sendable, Hashable {
    /// Stable code, e.g. `BR101`. Codes are never reused for another meaning.
    public var code: String
    /// Kebab-case name, e.g. `main-module-reference`.
    public var name: String
    /// One sentence, used as a title.
    public var summary: String
    /// Anchor of the docs entry, e.g. `docs/checks.md#br101`.
    public var helpPath: String
    /// True for rules about code execution: SARIF tags them `security`.
    public var isSecurity: Bool

    public init(code: String, name: String, summary: String, helpPath: String, isSecurity: Bool = false) {
        self.code = code
        self.name = name
        self.summary = summary
        self.helpPath = helpPath
        self.isSecurity = isSecurity
    }
}

/// One thing a command found: what rule, how bad, where, why and what to do.
/// Not only `brine check`: `brine budget` reports over-budget artifacts the same way.
public struct Finding: Codable, Sendable, Hashable {
    public var rule: FindingRule
    public var severity: Severity
    /// One line, in the user's terms (attribute names, pip packages).
    public var message: String
    /// One paragraph: why this breaks, or what it means.
    public var explanation: String
    /// What to do about it; nil when there is nothing to do.
    public var fix: String?
    public var location: FindingLocation

    public var code: String { rule.code }

    public init(rule: FindingRule, severity: Severity, message: String, explanation: String, fix: String?, location: FindingLocation) {
        self.rule = rule
        self.severity = severity
        self.message = message
        self.explanation = explanation
        self.fix = fix
        self.location = location
    }

    /// Deterministic order: file, then worst first, then code, path and message.
    public static func reportOrder(_ lhs: Finding, _ rhs: Finding) -> Bool {
        if lhs.location.file != rhs.location.file { return lhs.location.file < rhs.location.file }
        if lhs.severity != rhs.severity { return lhs.severity > rhs.severity }
        if lhs.code != rhs.code { return lhs.code < rhs.code }
        let lp = lhs.location.treePath ?? "", rp = rhs.location.treePath ?? ""
        if lp != rp { return lp < rp }
        return lhs.message < rhs.message
    }
}

/// Everything one run found, over all its inputs.
public struct FindingReport: Codable, Sendable {
    /// Which command produced it (`check`, `budget`), for titles.
    public var command: String
    /// Every input examined, findings or not (JUnit lists clean ones as passing).
    public var inputs: [String]
    public var findings: [Finding]
    /// The threshold that makes the run fail; formats mark findings at or above it.
    public var failOn: Severity
    /// Inputs and members that could not be read (each reported on its own line): not
    /// counted in `inputs`, so no summary claims they were checked.
    public var unreadable: [String]

    public init(command: String, inputs: [String], findings: [Finding], failOn: Severity = .error, unreadable: [String] = []) {
        self.command = command
        self.inputs = inputs
        self.findings = findings.sorted(by: Finding.reportOrder)
        self.failOn = failOn
        self.unreadable = unreadable
    }

    public func count(_ severity: Severity) -> Int { findings.count { $0.severity == severity } }

    /// True when some finding is at or above `failOn`: the exit status is 1.
    public var fails: Bool { findings.contains { $0.severity >= failOn } }

    /// Distinct rules met, by code.
    public var rules: [FindingRule] {
        var seen: [String: FindingRule] = [:]
        for finding in findings where seen[finding.code] == nil { seen[finding.code] = finding.rule }
        return seen.values.sorted { $0.code < $1.code }
    }

    /// `2 errors, 1 warning, 0 notes`.
    public var summaryLine: String {
        "\(ByteFormat.counted(count(.error), "error")), \(ByteFormat.counted(count(.warning), "warning")), \(ByteFormat.counted(count(.info), "note"))"
    }

    /// `3 files checked` or `2 files checked, 1 unreadable`.
    public var checkedLine: String {
        ByteFormat.counted(inputs.count, "file") + " checked" + (unreadable.isEmpty ? "" : ", \(unreadable.count) unreadable")
    }
}

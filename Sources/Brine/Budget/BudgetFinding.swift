/// A budget result in the shape of a `brine check` finding (code, severity, message, file,
/// optional place in the tree), so the check formatters (sarif, junit, github, markdown)
/// can print budget results too.
public struct BudgetFinding: Codable, Sendable, Equatable {
    public enum Severity: String, Codable, Sendable, Comparable, CaseIterable {
        case note, warning, error

        public static func < (lhs: Severity, rhs: Severity) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    public var code: String
    public var severity: Severity
    public var message: String
    public var file: String
    /// Attribute path inside the artifact, when the finding is about one.
    public var treePath: String?

    public init(code: String, severity: Severity, message: String, file: String, treePath: String? = nil) {
        self.code = code
        self.severity = severity
        self.message = message
        self.file = file
        self.treePath = treePath
    }
}

/// `brine.toml` at the repository root: what `brine budget` gates when run with no
/// arguments. docs/config.md documents every key.
public struct BrineConfig: Sendable, Equatable {
    /// A budget for the files a glob matches, each file on its own.
    public struct FileBudget: Sendable, Equatable {
        public var glob: String
        public var limit: SizeLimit
    }

    /// Paths measured together (relative to the config's directory); default ".".
    public var paths: [String] = ["."]
    /// The budget of everything together.
    public var limit: SizeLimit?
    public var pythonEnvironment: String?
    /// Ignore file applied to directories (default `.slugignore` when present).
    public var ignoreFile: String?
    public var baseline: String?
    public var files: [FileBudget] = []
    /// What `brine check` with no PATH checks: paths or globs relative to the config's
    /// directory (`[check] paths`); nil checks the budget's paths.
    public var checkPaths: [String]?
    /// Most findings tolerated per severity; a severity not listed fails only at `error`.
    public var findings: [BudgetFinding.Severity: Int] = [:]

    public init() {}

    public static func parse(_ text: String) throws(TOMLError) -> BrineConfig {
        let document = try TOMLSubset.parse(text)
        var config = BrineConfig()
        let budget = document["budget"]?.table ?? [:]
        func limit(_ value: TOMLValue?, line: String) throws(TOMLError) -> SizeLimit? {
            guard let value else { return nil }
            let text: String
            switch value {
            case .string(let string): text = string
            case .integer(let integer): text = String(integer)
            default: throw TOMLError(line: 0, message: "\(line): a size (\"300MB\") or a preset name")
            }
            guard let parsed = SizeLimit.parse(text) else { throw TOMLError(line: 0, message: "\(line): cannot read size \"\(text)\"") }
            return parsed
        }
        if let paths = budget["paths"]?.array { config.paths = paths.compactMap(\.string) }
        config.limit = try limit(budget["limit"], line: "budget.limit")
        if let measure = budget["measure"]?.string {
            guard let parsed = BudgetMeasure(rawValue: measure) else { throw TOMLError(line: 0, message: "budget.measure: gzip-tar, zip, uncompressed or largest-file") }
            config.limit?.measure = parsed
        }
        config.pythonEnvironment = budget["python-env"]?.string
        config.ignoreFile = budget["ignore-file"]?.string
        config.baseline = budget["baseline"]?.string
        for item in budget["file"]?.array ?? [] {
            guard let table = item.table, let glob = table["glob"]?.string,
                  let fileLimit = try limit(table["limit"], line: "budget.file \(table["glob"]?.string ?? "")") else {
                throw TOMLError(line: 0, message: "every [[budget.file]] needs glob and limit")
            }
            config.files.append(FileBudget(glob: glob, limit: fileLimit))
        }
        if let check = document["check"]?.table {
            for key in check.keys where key != "paths" {
                throw TOMLError(line: 0, message: "check.\(key): the [check] section has only paths")
            }
            guard let paths = check["paths"]?.array?.compactMap(\.string) else { throw TOMLError(line: 0, message: "check.paths: an array of paths or globs") }
            config.checkPaths = paths
        }
        for (key, value) in document["findings"]?.table ?? [:] {
            guard let severity = BudgetFinding.Severity(rawValue: key), let count = value.integer, count >= 0 else {
                throw TOMLError(line: 0, message: "findings.\(key): severities are note, warning, error; values are counts")
            }
            config.findings[severity] = Int(count)
        }
        return config
    }
}

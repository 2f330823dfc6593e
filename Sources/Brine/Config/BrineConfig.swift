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
    /// `[check] requirements`, `app-dir`, `python-version`: the server `brine check`
    /// checks against, relative to the config's directory; a flag given wins.
    public var requirements: [String]?
    public var appDirectory: String?
    public var pythonVersion: String?
    /// Most findings tolerated per severity; a severity not listed fails only at `error`.
    public var findings: [BudgetFinding.Severity: Int] = [:]

    public init() {}

    public static func parse(_ text: String) throws(TOMLError) -> BrineConfig {
        let document = try TOMLSubset.parseDocument(text)
        try Schema.validate(document)
        func at(_ path: [String]) -> TOMLPosition { document.positions[path] ?? TOMLPosition(line: 1, column: 1) }
        var config = BrineConfig()
        let budget = document.root["budget"]?.table ?? [:]
        func limit(_ value: TOMLValue?, key: [String]) throws(TOMLError) -> SizeLimit? {
            guard let value else { return nil }
            let name = key.filter { !$0.hasPrefix("[") }.joined(separator: ".")
            let text: String
            switch value {
            case .string(let string): text = string
            case .integer(let integer): text = String(integer)
            default: throw TOMLError(at: at(key), message: "\(name): a size (\"300MB\") or a preset name")
            }
            guard let parsed = SizeLimit.parse(text) else { throw TOMLError(at: at(key), message: "\(name): cannot read size \"\(text)\"") }
            return parsed
        }
        func strings(_ value: TOMLValue?, key: [String], what: String) throws(TOMLError) -> [String]? {
            guard let value else { return nil }
            if case .string(let single) = value { return [single] }
            guard let items = value.array, items.allSatisfy({ $0.string != nil }) else {
                throw TOMLError(at: at(key), message: "\(key.joined(separator: ".")): \(what)")
            }
            return items.compactMap(\.string)
        }
        func string(_ value: TOMLValue?, key: [String], what: String) throws(TOMLError) -> String? {
            guard let value else { return nil }
            guard let text = value.string else { throw TOMLError(at: at(key), message: "\(key.joined(separator: ".")): \(what)") }
            return text
        }
        if let paths = try strings(budget["paths"], key: ["budget", "paths"], what: "an array of paths") { config.paths = paths }
        config.limit = try limit(budget["limit"], key: ["budget", "limit"])
        if let measure = try string(budget["measure"], key: ["budget", "measure"], what: "a string") {
            guard let parsed = BudgetMeasure(rawValue: measure) else {
                throw TOMLError(at: at(["budget", "measure"]), message: "budget.measure: gzip-tar, zip, uncompressed or largest-file")
            }
            config.limit?.measure = parsed
        }
        config.pythonEnvironment = try string(budget["python-env"], key: ["budget", "python-env"], what: "a directory")
        config.ignoreFile = try string(budget["ignore-file"], key: ["budget", "ignore-file"], what: "a file")
        config.baseline = try string(budget["baseline"], key: ["budget", "baseline"], what: "a file")
        if let files = budget["file"], files.array == nil {
            throw TOMLError(at: at(["budget", "file"]), message: "budget.file: write each file budget as [[budget.file]]")
        }
        for (index, item) in (budget["file"]?.array ?? []).enumerated() {
            let key = ["budget", "file", "[\(index)]"]
            guard let table = item.table, let glob = table["glob"]?.string,
                  let fileLimit = try limit(table["limit"], key: key + ["limit"]) else {
                throw TOMLError(at: at(key), message: "every [[budget.file]] needs glob and limit")
            }
            config.files.append(FileBudget(glob: glob, limit: fileLimit))
        }
        if let check = document.root["check"]?.table {
            config.checkPaths = try strings(check["paths"], key: ["check", "paths"], what: "an array of paths or globs")
            config.requirements = try strings(check["requirements"], key: ["check", "requirements"],
                                              what: "a requirements file or an array of them")
            config.appDirectory = try string(check["app-dir"], key: ["check", "app-dir"], what: "a directory")
            config.pythonVersion = try string(check["python-version"], key: ["check", "python-version"], what: "a version such as \"3.11\"")
        }
        for (key, value) in document.root["findings"]?.table ?? [:] {
            guard let severity = BudgetFinding.Severity(rawValue: key), let count = value.integer, count >= 0 else {
                throw TOMLError(at: at(["findings", key]), message: "findings.\(key): severities are note, warning, error; values are counts")
            }
            config.findings[severity] = Int(count)
        }
        return config
    }

    /// Every table and key the file may hold: anything else is a typo to report at its line,
    /// not a setting to ignore silently.
    enum Schema {
        static let tables: [String: [String]] = [
            "": ["budget", "check", "findings"],
            "budget": ["baseline", "file", "ignore-file", "limit", "measure", "paths", "python-env"],
            "budget.file": ["glob", "limit"],
            "check": ["app-dir", "paths", "python-version", "requirements"],
            "findings": ["error", "note", "warning"],
        ]

        static func validate(_ document: TOMLDocument) throws(TOMLError) {
            try validate(document.root, path: [], document: document)
        }

        private static func validate(_ table: [String: TOMLValue], path: [String], document: TOMLDocument) throws(TOMLError) {
            let name = path.filter { !$0.hasPrefix("[") }.joined(separator: ".")
            guard let known = tables[name] else { return }
            // Reported in the order written, so the first typo in the file is the one named.
            let keys = table.keys.sorted {
                let a = document.positions[path + [$0]], b = document.positions[path + [$1]]
                return (a?.line ?? 0, a?.column ?? 0, $0) < (b?.line ?? 0, b?.column ?? 0, $1)
            }
            for key in keys {
                let position = document.positions[path + [key]] ?? TOMLPosition(line: 1, column: 1)
                guard known.contains(key) else {
                    let place = name.isEmpty ? "at the top level" : "in [\(name)]"
                    let what = name.isEmpty ? "unknown table" : "unknown key"
                    throw TOMLError(at: position, message: "\(what) '\(key)' \(place) (known: \(known.joined(separator: ", ")))")
                }
                let childName = name.isEmpty ? key : name + "." + key
                switch table[key] {
                case .table(let inner)? where tables[childName] != nil:
                    try validate(inner, path: path + [key], document: document)
                case .array(let items)? where tables[childName] != nil:
                    for (index, item) in items.enumerated() {
                        if let inner = item.table { try validate(inner, path: path + [key, "[\(index)]"], document: document) }
                    }
                default:
                    if tables[childName] != nil, name.isEmpty {
                        throw TOMLError(at: position, message: "\(key) must be a table ([\(key)])")
                    }
                }
            }
        }
    }
}

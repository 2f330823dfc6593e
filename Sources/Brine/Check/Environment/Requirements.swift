import Foundation

/// One declared dependency: a distribution and its version constraint.
public struct Requirement: Sendable {
    /// Normalised per PEP 503 (`scikit-learn`, lower case, runs of `-_.` as `-`).
    public var distribution: String
    public var specifier: VersionSpecifier
    /// The file it was declared in, for messages.
    public var source: String
}

/// The dependencies an application declares, from requirements files, `pyproject.toml`
/// (PEP 621 `[project] dependencies` and Poetry) or a `Pipfile`.
public struct DeclaredDependencies: Sendable {
    public var requirements: [String: Requirement] = [:]
    /// The files read, in order.
    public var sources: [String] = []

    public init() {}

    public var isEmpty: Bool { sources.isEmpty }

    public func requirement(for distribution: String) -> Requirement? {
        requirements[Self.normalize(distribution)]
    }

    /// PEP 503 normalisation.
    public static func normalize(_ name: String) -> String {
        var out = ""
        var lastWasSeparator = false
        for character in name.lowercased() {
            if character == "-" || character == "_" || character == "." {
                if !lastWasSeparator { out.append("-") }
                lastWasSeparator = true
            } else {
                out.append(character)
                lastWasSeparator = false
            }
        }
        return out
    }

    /// Reads one file, choosing the syntax by its name.
    public mutating func read(file path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let name = (path as NSString).lastPathComponent
        sources.append(path)
        if name == "pyproject.toml" {
            for (line, value) in TOMLLite.stringArray(text, section: "project", key: "dependencies") { _ = line; add(pep508: value, source: path) }
            for (key, value) in TOMLLite.table(text, section: "tool.poetry.dependencies") where key.lowercased() != "python" {
                add(name: key, specifier: Self.poetrySpecifier(value), source: path)
            }
        } else if name == "Pipfile" {
            for section in ["packages", "dev-packages"] {
                for (key, value) in TOMLLite.table(text, section: section) {
                    add(name: key, specifier: value == "*" ? "" : value, source: path)
                }
            }
        } else {
            readRequirementsText(text, path: path, depth: 0)
        }
    }

    /// Finds the usual files in an application directory.
    public mutating func discover(in directory: String) {
        for name in ["requirements.txt", "pyproject.toml", "Pipfile"] {
            let path = (directory as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: path) { try? read(file: path) }
        }
    }

    private mutating func readRequirementsText(_ text: String, path: String, depth: Int) {
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = String(rawLine)
            if let hash = line.range(of: " #") ?? (line.hasPrefix("#") ? line.range(of: "#") : nil) { line = String(line[..<hash.lowerBound]) }
            line = line.trimmedBlank
            guard !line.isEmpty else { continue }
            if line.hasPrefix("-r ") || line.hasPrefix("--requirement ") || line.hasPrefix("-c ") || line.hasPrefix("--constraint ") {
                // Included files, relative to this one; bounded so a loop of includes ends.
                guard depth < 8, let included = line.split(separator: " ", maxSplits: 1).last else { continue }
                let target = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(String(included).trimmedBlank)
                if let text = try? String(contentsOfFile: target, encoding: .utf8) {
                    sources.append(target)
                    readRequirementsText(text, path: target, depth: depth + 1)
                }
                continue
            }
            if line.hasPrefix("-e ") || line.hasPrefix("--editable ") || line.contains("://") {
                if let egg = line.range(of: "#egg=") { add(name: String(line[egg.upperBound...]), specifier: "", source: path) }
                continue
            }
            if line.hasPrefix("-") { continue }
            add(pep508: line, source: path)
        }
    }

    /// `name[extras] (spec) ; marker` per PEP 508 (URLs and markers are not evaluated).
    mutating func add(pep508 text: String, source: String) {
        var body = Substring(text)
        if let semicolon = body.firstIndex(of: ";") { body = body[..<semicolon] }
        if let at = body.firstIndex(of: "@") { body = body[..<at] }
        let nameEnd = body.firstIndex { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") } ?? body.endIndex
        let name = String(body[..<nameEnd])
        var rest = body[nameEnd...]
        if rest.first == "[", let close = rest.firstIndex(of: "]") { rest = rest[rest.index(after: close)...] }
        let specifier = rest.filter { $0 != "(" && $0 != ")" && $0 != " " }
        add(name: name, specifier: String(specifier), source: source)
    }

    mutating func add(name: String, specifier: String, source: String) {
        guard !name.isEmpty else { return }
        let key = Self.normalize(name)
        requirements[key] = Requirement(distribution: key, specifier: VersionSpecifier(specifier), source: source)
    }

    /// Poetry's `^1.4.2` and `~1.4` as PEP 440.
    static func poetrySpecifier(_ value: String) -> String {
        let value = value.trimmedBlank
        if value == "*" { return "" }
        if value.hasPrefix("^"), let version = PackageVersion(String(value.dropFirst())) {
            let index = version.release.firstIndex { $0 != 0 } ?? (version.release.count - 1)
            return ">=\(version),<\(version.bumped(at: index))"
        }
        if value.hasPrefix("~"), !value.hasPrefix("~="), let version = PackageVersion(String(value.dropFirst())) {
            return ">=\(version),<\(version.bumped(at: version.release.count >= 2 ? 1 : 0))"
        }
        if let first = value.first, first.isNumber { return "==" + value }
        return value
    }
}

/// Just enough TOML for dependency lists: string arrays and `key = "value"` / inline-table
/// `version = "…"` entries of one section. Not a general TOML reader.
enum TOMLLite {
    static func lines(of text: String, section: String) -> [String] {
        var inSection = false
        var out: [String] = []
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = String(raw).trimmedBlank
            if line.hasPrefix("[") && !line.hasPrefix("[[") {
                let name = line.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
                inSection = name == section
                continue
            }
            if inSection { out.append(line) }
        }
        return out
    }

    static func strings(in text: Substring) -> [String] {
        var out: [String] = []
        var current: String?
        var quote: Character = "\""
        for character in text {
            if var open = current {
                if character == quote { out.append(open); current = nil } else { open.append(character); current = open }
            } else if character == "\"" || character == "'" {
                quote = character
                current = ""
            } else if character == "#" {
                break
            }
        }
        return out
    }

    /// `key = [ "a", "b", ... ]` (possibly over several lines) in `section`.
    static func stringArray(_ text: String, section: String, key: String) -> [(Int, String)] {
        var collecting = false
        var out: [(Int, String)] = []
        for (number, line) in lines(of: text, section: section).enumerated() {
            if !collecting {
                guard line.hasPrefix(key), let equals = line.firstIndex(of: "="),
                      line[..<equals].trimmingCharacters(in: .whitespaces) == key else { continue }
                let value = line[line.index(after: equals)...]
                guard value.contains("[") else { continue }
                collecting = true
                let afterBracket = value[value.index(after: value.firstIndex(of: "[")!)...]
                out += strings(in: afterBracket).map { (number, $0) }
                if afterBracket.contains("]") { collecting = false }
            } else {
                out += strings(in: Substring(line)).map { (number, $0) }
                if line.contains("]") { collecting = false }
            }
        }
        return out
    }

    /// `name = "spec"` or `name = { version = "spec", … }` entries of `section`.
    static func table(_ text: String, section: String) -> [(String, String)] {
        var out: [(String, String)] = []
        for line in lines(of: text, section: section) {
            guard !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: CharacterSet(charactersIn: " \"'"))
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("{") {
                var version = "*"
                if let range = value.range(of: "version") {
                    version = strings(in: value[range.upperBound...]).first ?? "*"
                }
                out.append((key, version))
            } else {
                out.append((key, strings(in: Substring(value)).first ?? "*"))
            }
        }
        return out
    }
}

import Foundation

/// What an application's Python sources define, found by reading them (never importing):
/// modules and packages under the app directory (and `src/`), and each module's top-level
/// names — `def`, `class`, assignments, imports, including those inside top-level
/// `if`/`try` blocks — with `from .x import *` re-exports followed.
public final class AppSources {
    public let root: String
    /// Dotted module name → file (`pkg/__init__.py` for packages).
    public private(set) var modules: [String: String] = [:]
    /// Directories without `__init__.py` that still import as namespace packages.
    public private(set) var namespacePackages: Set<String> = []
    private var namesCache: [String: ModuleNames] = [:]
    /// Files beyond this are not indexed (a mis-pointed `--app-dir /`).
    public let maximumFiles: Int
    public private(set) var truncated = false

    struct ModuleNames {
        var names: Set<String>
        var starImports: [String]
        var hasModuleGetattr: Bool
        /// Names bound by imports (re-exports), not definitions.
        var importedNames: Set<String> = []
    }

    public init(root: String, maximumFiles: Int = 20_000) {
        self.root = root
        self.maximumFiles = maximumFiles
        scan(directory: root, package: [])
        let src = (root as NSString).appendingPathComponent("src")
        if isDirectory(src) { scan(directory: src, package: []) }
    }

    /// Whether `module` is a module or package of the app.
    public func hasModule(_ module: String) -> Bool {
        modules[module] != nil || namespacePackages.contains(module)
    }

    /// Whether the app has anything under the top-level name of `module`.
    public func hasTopLevel(of module: String) -> Bool {
        let top = module.split(separator: ".").first.map(String.init) ?? module
        return hasModule(top)
    }

    /// Whether `module` defines `name` (the first part of a dotted qualname). A submodule
    /// of a package also counts: pickle imports `module` then reads the attribute.
    public func defines(_ name: String, in module: String) -> Bool {
        let first = name.split(separator: ".").first.map(String.init) ?? name
        if hasModule(module + "." + first) { return true }
        var visited = Set<String>()
        return defines(first, in: module, visited: &visited)
    }

    /// The first module (in name order) that defines `name` at top level, for fixes.
    public func moduleDefining(_ name: String) -> String? {
        modules.keys.sorted().first { module in
            guard let names = names(of: module) else { return false }
            return names.names.contains(name) && !names.importedNames.contains(name)
        }
    }

    private func defines(_ name: String, in module: String, visited: inout Set<String>) -> Bool {
        guard visited.insert(module).inserted, visited.count < 64 else { return false }
        guard let names = names(of: module) else { return false }
        if names.names.contains(name) || names.hasModuleGetattr { return true }
        for star in names.starImports where defines(name, in: resolve(star, from: module), visited: &visited) { return true }
        return false
    }

    /// `.x` relative to a module's package.
    private func resolve(_ target: String, from module: String) -> String {
        guard target.hasPrefix(".") else { return target }
        let dots = target.prefix { $0 == "." }.count
        var package = module.split(separator: ".").map(String.init)
        let isPackage = modules[module]?.hasSuffix("__init__.py") ?? false
        if !isPackage { package.removeLast() }
        package.removeLast(max(0, min(package.count, dots - 1)))
        let rest = target.dropFirst(dots)
        return (package + (rest.isEmpty ? [] : [String(rest)])).joined(separator: ".")
    }

    private func names(of module: String) -> ModuleNames? {
        if let cached = namesCache[module] { return cached }
        guard let file = modules[module], let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        let parsed = Self.topLevelNames(text)
        namesCache[module] = parsed
        return parsed
    }

    /// Names bound at module level, by reading lines: column 0, or one block deep under a
    /// top-level `if`/`try`/`else`/`except`/`with` (guarded imports and definitions).
    static func topLevelNames(_ text: String) -> ModuleNames {
        var result = ModuleNames(names: [], starImports: [], hasModuleGetattr: false)
        var inCompound = false
        var continuation = ""
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            var line = String(raw)
            if !continuation.isEmpty { line = continuation + " " + line.trimmedBlank; continuation = "" }
            let trimmed = line.trimmedBlank
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            // Parenthesised import lists over several lines.
            if trimmed.hasPrefix("from "), trimmed.contains("("), !trimmed.contains(")") { continuation = line; continue }
            if trimmed.hasSuffix("\\") { continuation = String(line.dropLast()); continue }
            let indent = line.prefix { $0 == " " || $0 == "\t" }.count
            if indent == 0 {
                let keyword = trimmed.prefix { $0.isLetter }
                inCompound = ["if", "try", "else", "elif", "except", "finally", "with"].contains(String(keyword))
                bind(trimmed, into: &result)
            } else if inCompound, indent <= 8 {
                bind(trimmed, into: &result)
            }
        }
        return result
    }

    private static func bind(_ statement: String, into result: inout ModuleNames) {
        func identifier(_ text: Substring) -> String {
            String(text.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
        }
        for keyword in ["def ", "async def ", "class "] where statement.hasPrefix(keyword) {
            let name = identifier(statement.dropFirst(keyword.count))
            if !name.isEmpty { result.names.insert(name) }
            if name == "__getattr__" && keyword != "class " { result.hasModuleGetattr = true }
            return
        }
        if statement.hasPrefix("from "), let importRange = statement.range(of: " import ") {
            let source = statement[statement.index(statement.startIndex, offsetBy: 5)..<importRange.lowerBound].trimmedBlank
            let list = statement[importRange.upperBound...].filter { $0 != "(" && $0 != ")" }
            for item in list.split(separator: ",") {
                let parts = item.split(separator: " ").filter { !$0.isEmpty }
                if parts.first == "*" { result.starImports.append(String(source)); continue }
                let bound = parts.count >= 3 && parts[1] == "as" ? String(parts[2]) : parts.first.map(String.init) ?? ""
                result.names.insert(bound)
                result.importedNames.insert(bound)
            }
            return
        }
        if statement.hasPrefix("import ") {
            for item in statement.dropFirst(7).split(separator: ",") {
                let parts = item.split(separator: " ").filter { !$0.isEmpty }
                if parts.count >= 3, parts[1] == "as" { result.names.insert(String(parts[2])) } else if let first = parts.first {
                    result.names.insert(String(first.split(separator: ".").first ?? first))
                }
            }
            return
        }
        // Assignments: `NAME = …`, `NAME: T = …`, `A = B = …`, `A, B = …`.
        guard let equals = statement.firstIndex(of: "=") else { return }
        let next = statement.index(after: equals)
        guard next == statement.endIndex || statement[next] != "=" else { return }
        let target = statement[..<equals]
        guard !target.contains("("), !target.contains("["), !target.contains("."), !target.hasSuffix("!"), !target.hasSuffix("<"),
              !target.hasSuffix(">") else { return }
        for piece in target.split(separator: ",") {
            let name = identifier(Substring(piece.trimmedBlank.split(separator: ":").first ?? ""))
            if !name.isEmpty, !["if", "elif", "while", "return", "assert", "for"].contains(name) { result.names.insert(name) }
        }
    }

    private func scan(directory: String, package: [String]) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for entry in entries.sorted() {
            guard modules.count < maximumFiles else { truncated = true; return }
            if entry.hasPrefix(".") || entry == "__pycache__" || entry == "node_modules" || entry == "site-packages" { continue }
            let path = (directory as NSString).appendingPathComponent(entry)
            if isDirectory(path) {
                // Virtual environments are the dependencies, not the app.
                if FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("pyvenv.cfg")) { continue }
                guard isIdentifier(entry), package.count < 24 else { continue }
                let name = package + [entry]
                let initFile = (path as NSString).appendingPathComponent("__init__.py")
                if FileManager.default.fileExists(atPath: initFile) {
                    modules[name.joined(separator: ".")] = initFile
                } else {
                    namespacePackages.insert(name.joined(separator: "."))
                }
                scan(directory: path, package: name)
            } else if entry.hasSuffix(".py"), entry != "__init__.py" {
                let stem = String(entry.dropLast(3))
                guard isIdentifier(stem) else { continue }
                modules[(package + [stem]).joined(separator: ".")] = path
            }
        }
    }

    private func isDirectory(_ path: String) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
    }

    private func isIdentifier(_ text: String) -> Bool {
        guard let first = text.first, first.isLetter || first == "_" else { return false }
        return text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
    }
}

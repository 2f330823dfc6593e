/// The imports a decompiled pickle starts with: one `from module import name` per global
/// the stream names (GLOBAL, STACK_GLOBAL, INST, OBJ's class), in first-use order, each
/// bound to a local name that collides with nothing else in the output.
struct DecompiledImports {
    private struct Entry {
        var module: String
        var name: String
        var alias: String
        var note: String?
    }

    private var entries: [Entry] = []
    private var byQualified: [String: String] = [:]
    private var taken: Set<String> = DecompiledImports.reserved
    /// Globals whose names are no Python identifiers: fetched through `_find_class`.
    private(set) var needsFindClass = false

    /// Names the rendering itself uses: helpers, results, and builtins literals need.
    static let reserved: Set<String> = [
        "result", "results", "float", "set", "frozenset", "bytearray", "memoryview", "persistent_load", "_build", "_instantiate",
        "_ext", "_next_buffer", "_readonly", "_joblib_array", "_b64", "_find_class", "_buffers",
    ]

    static let keywords: Set<String> = [
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif",
        "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or",
        "pass", "raise", "return", "try", "while", "with", "yield",
    ]

    /// The expression that evaluates to `module.name` once the imports ran.
    mutating func expression(module: String, name: String, note: String?) -> String {
        let qualified = module + "\u{0}" + name
        if let known = byQualified[qualified] { return known }
        let components = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let expression: String
        if Self.isModulePath(module), components.allSatisfy(Self.isIdentifier) {
            let head = components[0]
            // Python mangles no names at module level, but `_var3` style names are ours.
            var alias = head
            if taken.contains(alias) || alias.hasPrefix("_var") {
                var suffix = 2
                while taken.contains("\(head)_\(suffix)") { suffix += 1 }
                alias = "\(head)_\(suffix)"
            }
            let headKey = module + "\u{0}" + head
            if let existing = byQualified[headKey], components.count > 1 {
                alias = existing
            } else {
                taken.insert(alias)
                entries.append(Entry(module: module, name: head, alias: alias, note: note))
                byQualified[headKey] = alias
            }
            expression = ([alias] + components.dropFirst()).joined(separator: ".")
        } else {
            needsFindClass = true
            expression = "_find_class(\(Self.pythonString(module)), \(Self.pythonString(name)))"
        }
        byQualified[qualified] = expression
        return expression
    }

    /// `from m import a, b as b_2` lines, one per module in first-use order; a global
    /// with a finding gets its own line so the comment names it.
    func render() -> String {
        var out = ""
        var order: [String] = []
        var names: [String: [String]] = [:]
        for entry in entries {
            let item = entry.alias == entry.name ? entry.name : "\(entry.name) as \(entry.alias)"
            if let note = entry.note {
                out += "from \(entry.module) import \(item)  # \(note)\n"
                continue
            }
            if names[entry.module] == nil { order.append(entry.module) }
            names[entry.module, default: []].append(item)
        }
        var plain = ""
        for module in order { plain += "from \(module) import \(names[module]!.joined(separator: ", "))\n" }
        return plain + out
    }

    var isEmpty: Bool { entries.isEmpty }

    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, !keywords.contains(text) else { return false }
        guard first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return text.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    static func isModulePath(_ module: String) -> Bool {
        !module.isEmpty && module.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isIdentifier(String($0)) }
    }

    static func pythonString(_ text: String) -> String {
        PythonRepr.reprStr(text.unicodeScalars.map(\.value))
    }

    /// `pickle.Unpickler(fix_imports=True)` for protocols 0-2: Python 2 names mapped to
    /// Python 3's (Lib/_compat_pickle.py, the entries ML pickles meet).
    static func python3Name(module: String, name: String) -> (String, String) {
        if let mapped = nameMapping[module + "." + name] { return mapped }
        if module == "exceptions" { return ("builtins", name) }
        return (importMapping[module] ?? module, name)
    }

    private static let importMapping: [String: String] = [
        "__builtin__": "builtins", "copy_reg": "copyreg", "Queue": "queue", "cPickle": "pickle", "cStringIO": "io",
        "StringIO": "io", "_abcoll": "collections.abc", "UserDict": "collections", "UserList": "collections",
        "UserString": "collections", "whichdb": "dbm", "repr": "reprlib", "itertools": "itertools",
    ]

    private static let nameMapping: [String: (String, String)] = [
        "__builtin__.xrange": ("builtins", "range"), "__builtin__.reduce": ("functools", "reduce"),
        "__builtin__.intern": ("sys", "intern"), "__builtin__.unichr": ("builtins", "chr"),
        "__builtin__.unicode": ("builtins", "str"), "__builtin__.long": ("builtins", "int"),
        "__builtin__.basestring": ("builtins", "str"), "itertools.izip": ("builtins", "zip"),
        "itertools.imap": ("builtins", "map"), "itertools.ifilter": ("builtins", "filter"),
        "UserDict.UserDict": ("collections", "UserDict"), "UserList.UserList": ("collections", "UserList"),
        "UserString.UserString": ("collections", "UserString"), "__builtin__.raw_input": ("builtins", "input"),
    ]
}

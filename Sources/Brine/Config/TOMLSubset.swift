/// The part of TOML 1.0 `brine.toml` needs: `[table]`, `[[array.of.tables]]`, `key = value`
/// with strings (basic and literal), integers, floats, booleans and one-line arrays of
/// those; `#` comments. Anything else is an error naming the line, never a guess.
public enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case double(Double)
    case bool(Bool)
    case array([TOMLValue])
    case table([String: TOMLValue])

    public var string: String? { if case .string(let value) = self { value } else { nil } }
    public var integer: Int64? { if case .integer(let value) = self { value } else { nil } }
    public var table: [String: TOMLValue]? { if case .table(let value) = self { value } else { nil } }
    public var array: [TOMLValue]? { if case .array(let value) = self { value } else { nil } }
}

public struct TOMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    /// 1-based, where the offending key starts; nil when only the line is known.
    public var column: Int?
    public var message: String

    public init(line: Int, column: Int? = nil, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public init(at position: TOMLPosition, message: String) {
        self.init(line: position.line, column: position.column, message: message)
    }

    public var description: String { "line \(line)\(column.map { ", column \($0)" } ?? ""): \(message)" }
}

/// Where a key or a table header was written (1-based).
public struct TOMLPosition: Sendable, Equatable {
    public var line: Int
    public var column: Int
}

/// A parsed file and where each of its keys was written, so that a later layer (the
/// config's schema) can name the line of a key it rejects.
public struct TOMLDocument: Sendable, Equatable {
    public var root: [String: TOMLValue]
    /// Keyed by the full path; an element of an array of tables is the component "[n]"
    /// (`["budget", "file", "[0]", "glob"]`). Table headers are recorded too.
    public var positions: [[String]: TOMLPosition]
}

public enum TOMLSubset {
    public static func parse(_ text: String) throws(TOMLError) -> [String: TOMLValue] {
        try parseDocument(text).root
    }

    public static func parseDocument(_ text: String) throws(TOMLError) -> TOMLDocument {
        var root: [String: TOMLValue] = [:]
        var positions: [[String]: TOMLPosition] = [:]
        var current: [String] = []
        // `current` with each array of tables it passes through resolved to its last element.
        var resolved: [String] = []
        var arrayIndex: Int?
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let number = index + 1
            let column = 1 + rawLine.prefix { $0 == " " || $0 == "\t" }.count
            let position = TOMLPosition(line: number, column: column)
            let line = stripComment(String(rawLine)).trimmingCharacters(in: " ").trimmingCharacters(in: "\t").trimmingCharacters(in: "\r")
            if line.isEmpty { continue }
            if line.hasPrefix("[[") {
                guard line.hasSuffix("]]") else { throw TOMLError(line: number, column: column, message: "unclosed [[table]]") }
                current = try keyPath(String(line.dropFirst(2).dropLast(2)), line: number)
                var list = (lookup(root, current)?.array) ?? []
                list.append(.table([:]))
                arrayIndex = list.count - 1
                try assign(&root, current, .array(list), line: number, replace: true)
                resolved = resolve(root, Array(current.dropLast())) + [current.last!, "[\(list.count - 1)]"]
                positions[resolved] = positions[resolved] ?? position
            } else if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw TOMLError(line: number, column: column, message: "unclosed [table]") }
                current = try keyPath(String(line.dropFirst().dropLast()), line: number)
                arrayIndex = nil
                if lookup(root, current) == nil { try assign(&root, current, .table([:]), line: number, replace: false) }
                resolved = resolve(root, current)
                positions[resolved] = positions[resolved] ?? position
            } else {
                guard let equals = line.firstIndex(of: "=") else { throw TOMLError(line: number, column: column, message: "expected key = value") }
                let key = try keyPath(String(line[..<equals]), line: number)
                var rest = Substring(line[line.index(after: equals)...])
                let value = try parseValue(&rest, line: number)
                guard rest.trimmingCharacters(in: " ").isEmpty else { throw TOMLError(line: number, column: column, message: "unexpected text after the value") }
                if let arrayIndex, case .array(var list)? = lookup(root, current), case .table(var table) = list[arrayIndex] {
                    try assign(&table, key, value, line: number, replace: false)
                    list[arrayIndex] = .table(table)
                    try assign(&root, current, .array(list), line: number, replace: true)
                } else {
                    try assign(&root, current + key, value, line: number, replace: false)
                }
                positions[resolved + key] = position
            }
        }
        return TOMLDocument(root: root, positions: positions)
    }

    /// `path` with every array of tables it passes through replaced by its last element,
    /// the table later keys go to (`[[a]]` then `[a.b]`).
    static func resolve(_ table: [String: TOMLValue], _ path: [String]) -> [String] {
        guard let first = path.first else { return [] }
        let rest = Array(path.dropFirst())
        switch table[first] {
        case .table(let inner)?: return [first] + resolve(inner, rest)
        case .array(let list)? where list.last?.table != nil:
            return [first, "[\(list.count - 1)]"] + resolve(list.last!.table!, rest)
        default: return path
        }
    }

    static func stripComment(_ line: String) -> String {
        var inBasic = false, inLiteral = false, escaped = false
        for (offset, character) in line.enumerated() {
            if escaped { escaped = false; continue }
            if character == "\\" && inBasic { escaped = true; continue }
            if character == "\"" && !inLiteral { inBasic.toggle() }
            if character == "'" && !inBasic { inLiteral.toggle() }
            if character == "#" && !inBasic && !inLiteral { return String(line.prefix(offset)) }
        }
        return line
    }

    static func keyPath(_ text: String, line: Int) throws(TOMLError) -> [String] {
        var parts: [String] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            var key = part.trimmingCharacters(in: " ")
            if key.count >= 2, (key.hasPrefix("\"") && key.hasSuffix("\"")) || (key.hasPrefix("'") && key.hasSuffix("'")) {
                key = String(key.dropFirst().dropLast())
            } else if key.isEmpty || !key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) {
                throw TOMLError(line: line, message: "bad key \"\(text.trimmingCharacters(in: " "))\"")
            }
            parts.append(key)
        }
        return parts
    }

    static func parseValue(_ text: inout Substring, line: Int) throws(TOMLError) -> TOMLValue {
        text = text.drop { $0 == " " || $0 == "\t" }
        guard let first = text.first else { throw TOMLError(line: line, message: "missing value") }
        if first == "\"" || first == "'" {
            text = text.dropFirst()
            var result = ""
            while let character = text.first {
                text = text.dropFirst()
                if character == first { return .string(result) }
                if character == "\\" && first == "\"" {
                    guard let escaped = text.first else { break }
                    text = text.dropFirst()
                    switch escaped {
                    case "n": result.append("\n")
                    case "t": result.append("\t")
                    case "\\": result.append("\\")
                    case "\"": result.append("\"")
                    default: throw TOMLError(line: line, message: "unsupported escape \\\(escaped)")
                    }
                } else {
                    result.append(character)
                }
            }
            throw TOMLError(line: line, message: "unterminated string")
        }
        if first == "[" {
            text = text.dropFirst()
            var items: [TOMLValue] = []
            while true {
                text = text.drop { $0 == " " || $0 == "\t" }
                if text.first == "]" { text = text.dropFirst(); return .array(items) }
                items.append(try parseValue(&text, line: line))
                text = text.drop { $0 == " " || $0 == "\t" }
                if text.first == "," { text = text.dropFirst(); continue }
                if text.first == "]" { text = text.dropFirst(); return .array(items) }
                throw TOMLError(line: line, message: "arrays must be on one line, items separated by commas")
            }
        }
        let token = String(text.prefix { $0 != "," && $0 != "]" && $0 != " " && $0 != "\t" })
        text = text.dropFirst(token.count)
        if token == "true" { return .bool(true) }
        if token == "false" { return .bool(false) }
        let digits = token.replacingUnderscores()
        if let integer = Int64(digits) { return .integer(integer) }
        if let double = Double(digits) { return .double(double) }
        throw TOMLError(line: line, message: "unsupported value \(token) (quote strings)")
    }

    static func lookup(_ table: [String: TOMLValue], _ path: [String]) -> TOMLValue? {
        guard let first = path.first else { return .table(table) }
        guard let value = table[first] else { return nil }
        if path.count == 1 { return value }
        guard case .table(let inner) = value else { return nil }
        return lookup(inner, Array(path.dropFirst()))
    }

    static func assign(_ table: inout [String: TOMLValue], _ path: [String], _ value: TOMLValue, line: Int, replace: Bool) throws(TOMLError) {
        guard let first = path.first else { return }
        if path.count == 1 {
            if table[first] != nil && !replace { throw TOMLError(line: line, message: "\(first) is defined twice") }
            table[first] = value
            return
        }
        var inner: [String: TOMLValue]
        switch table[first] {
        case nil: inner = [:]
        case .table(let existing)?: inner = existing
        case .array(let list)? where list.last?.table != nil:
            // Keys after [[a]] then [a.b]: belong to the last table of the array.
            var last = list.last!.table!
            try assign(&last, Array(path.dropFirst()), value, line: line, replace: replace)
            table[first] = .array(list.dropLast() + [.table(last)])
            return
        default: throw TOMLError(line: line, message: "\(first) is not a table")
        }
        try assign(&inner, Array(path.dropFirst()), value, line: line, replace: replace)
        table[first] = .table(inner)
    }
}

extension String {
    func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}

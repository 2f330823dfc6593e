/// Where each key and table header of a TOML file was written. TOMLKit reports positions
/// only for parse errors, so this scan of the text, run after TOMLKit accepted it, finds
/// the line and column of every `key =` and `[header]` in its table: it follows headers,
/// arrays of tables (`[[a]]` elements are "[n]") and dotted keys, and skips the inside of
/// strings and of values that span lines (arrays, inline tables, multi-line strings).
enum TOMLKeyScanner {
    static func positions(in text: String) -> [[String]: TOMLPosition] {
        var positions: [[String]: TOMLPosition] = [:]
        var arrays: [[String]: Int] = [:]
        var current: [String] = []
        var state = ValueState()
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = Substring(rawLine)
            if state.isOpen { state.scan(line); continue }
            let indent = line.prefix { $0 == " " || $0 == "\t" }
            let body = line.dropFirst(indent.count)
            let position = TOMLPosition(line: index + 1, column: indent.count + 1)
            if body.hasPrefix("[[") {
                let header = keyPath(body.dropFirst(2).prefix { $0 != "]" })
                guard let last = header.last else { continue }
                let path = resolve(Array(header.dropLast()), arrays) + [last]
                let count = (arrays[path] ?? 0) + 1
                arrays[path] = count
                current = path + ["[\(count - 1)]"]
                positions[current] = positions[current] ?? position
            } else if body.hasPrefix("[") {
                current = resolve(keyPath(body.dropFirst().prefix { $0 != "]" }), arrays)
                positions[current] = positions[current] ?? position
            } else if let equals = keyEnd(body) {
                let key = keyPath(body[..<equals])
                if !key.isEmpty { positions[current + key] = position }
                state.scan(body[body.index(after: equals)...])
            }
        }
        return positions
    }

    /// `path` with every array of tables it passes through replaced by its last element.
    static func resolve(_ path: [String], _ arrays: [[String]: Int]) -> [String] {
        var resolved: [String] = []
        for component in path {
            resolved.append(component)
            if let count = arrays[resolved] { resolved.append("[\(count - 1)]") }
        }
        return resolved
    }

    /// The `=` that ends the key of a `key = value` line, outside quoted key parts.
    static func keyEnd(_ line: Substring) -> Substring.Index? {
        var quote: Character?
        for index in line.indices {
            let character = line[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "=" {
                return index
            } else if character == "#" {
                return nil
            }
        }
        return nil
    }

    /// `a."b.c".d` as ["a", "b.c", "d"].
    static func keyPath(_ text: Substring) -> [String] {
        var parts: [String] = []
        var part = "", quote: Character?, quoted = false
        for character in text {
            if let open = quote {
                if character == open { quote = nil } else { part.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character; quoted = true
            } else if character == "." {
                parts.append(quoted ? part : part.trimmingCharacters(in: " ").trimmingCharacters(in: "\t")); part = ""; quoted = false
            } else if quoted && (character == " " || character == "\t") {
                continue
            } else {
                part.append(character)
            }
        }
        let last = quoted ? part : part.trimmingCharacters(in: " ").trimmingCharacters(in: "\t")
        if !last.isEmpty || quoted { parts.append(last) }
        return parts
    }

    /// Whether a value is still open at the end of a line: nested brackets or braces, or a
    /// multi-line string, outside strings and comments.
    struct ValueState {
        var depth = 0
        var multiline: String?

        var isOpen: Bool { depth > 0 || multiline != nil }

        mutating func scan(_ text: Substring) {
            var rest = text
            while let character = rest.first {
                if let delimiter = multiline {
                    if rest.hasPrefix(delimiter) { multiline = nil; rest = rest.dropFirst(3); continue }
                    if character == "\\" && delimiter == "\"\"\"" { rest = rest.dropFirst(2); continue }
                    rest = rest.dropFirst()
                    continue
                }
                if rest.hasPrefix("\"\"\"") || rest.hasPrefix("'''") { multiline = String(rest.prefix(3)); rest = rest.dropFirst(3); continue }
                switch character {
                case "\"", "'":
                    // A one-line string: skip to its closing quote.
                    rest = rest.dropFirst()
                    while let inner = rest.first, inner != character {
                        rest = rest.dropFirst(inner == "\\" && character == "\"" ? 2 : 1)
                    }
                    rest = rest.dropFirst()
                case "[", "{": depth += 1; rest = rest.dropFirst()
                case "]", "}": depth = max(0, depth - 1); rest = rest.dropFirst()
                case "#": return
                default: rest = rest.dropFirst()
                }
            }
        }
    }
}

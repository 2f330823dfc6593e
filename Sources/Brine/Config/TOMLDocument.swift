import TOMLKit

/// A TOML value of `brine.toml`, converted from TOMLKit's table (a C++ toml++ tree behind
/// class references) into plain Sendable values the config layer can switch over.
public enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case double(Double)
    case bool(Bool)
    case array([TOMLValue])
    case table([String: TOMLValue])
    /// A date, time or date-time, as TOML wrote it: no key of brine.toml takes one.
    case dateTime(String)

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

/// A parsed file and where each of its keys was written, so that the config's schema can
/// name the line of a key it rejects.
public struct TOMLDocument: Sendable, Equatable {
    public var root: [String: TOMLValue]
    /// Keyed by the full path; an element of an array of tables is the component "[n]"
    /// (`["budget", "file", "[0]", "glob"]`). Table headers are recorded too.
    public var positions: [[String]: TOMLPosition]

    /// Where `path` was written, else where its nearest enclosing key or header was (a key
    /// inside an inline table has no line of its own).
    public func position(of path: [String]) -> TOMLPosition {
        var path = path
        while !path.isEmpty {
            if let position = positions[path] { return position }
            path.removeLast()
        }
        return TOMLPosition(line: 1, column: 1)
    }

    /// Parses with TOMLKit (TOML 1.0; its errors carry line and column). TOMLKit keeps no
    /// source position for a key that parsed, so `positions` comes from TOMLKeyScanner.
    public static func parse(_ text: String) throws(TOMLError) -> TOMLDocument {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw TOMLError(line: error.source.begin.line, column: error.source.begin.column, message: error.description)
        } catch {
            throw TOMLError(line: 1, message: "\(error)")
        }
        return TOMLDocument(root: convert(table), positions: TOMLKeyScanner.positions(in: text))
    }

    static func convert(_ table: TOMLTable) -> [String: TOMLValue] {
        var result: [String: TOMLValue] = [:]
        for (key, value) in table { result[key] = convert(value) }
        return result
    }

    static func convert(_ value: TOMLValueConvertible) -> TOMLValue {
        switch value.type {
        case .string: .string(value.string ?? "")
        case .int: .integer(Int64(value.int ?? 0))
        case .double: .double(value.double ?? 0)
        case .bool: .bool(value.bool ?? false)
        case .array: .array((value.array ?? TOMLArray()).map { convert($0) })
        case .table: .table(convert(value.table ?? TOMLTable()))
        default: .dateTime(value.debugDescription)
        }
    }
}

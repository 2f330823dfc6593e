/// The Python literals an .npy header is written in (`repr` of a dict of str, bool, int,
/// tuple and list), parsed strictly: nothing is evaluated, anything else is an error.
public indirect enum PythonLiteral: Sendable, Equatable {
    case dict([(key: PythonLiteral, value: PythonLiteral)])
    case list([PythonLiteral])
    case tuple([PythonLiteral])
    case string(String)
    case integer(Int64)
    case bool(Bool)
    case none

    public static func == (lhs: PythonLiteral, rhs: PythonLiteral) -> Bool {
        switch (lhs, rhs) {
        case (.dict(let a), .dict(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.integer(let a), .integer(let b)): a == b
        case (.bool(let a), .bool(let b)): a == b
        case (.none, .none): true
        default: false
        }
    }

    public subscript(key: String) -> PythonLiteral? {
        guard case .dict(let items) = self else { return nil }
        return items.first { $0.key == .string(key) }?.value
    }

    public var items: [PythonLiteral]? {
        switch self {
        case .list(let items), .tuple(let items): items
        default: nil
        }
    }
}

public struct PythonLiteralParser {
    public struct Failure: Error, Sendable {
        public var index: Int
        public var expected: String
    }

    public static let maximumDepth = 32
    private let bytes: [UInt8]
    private var index = 0

    public static func parse(_ bytes: [UInt8]) throws(Failure) -> PythonLiteral {
        var parser = PythonLiteralParser(bytes: bytes)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.index == bytes.count else { throw Failure(index: parser.index, expected: "the end of the header after its dict") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private func fail(_ expected: String) -> Failure { Failure(index: index, expected: expected) }

    private mutating func value(depth: Int) throws(Failure) -> PythonLiteral {
        guard depth < Self.maximumDepth else { throw fail("literals nested at most \(Self.maximumDepth) deep") }
        guard index < bytes.count else { throw fail("a Python literal") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            var items: [(key: PythonLiteral, value: PythonLiteral)] = []
            while true {
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .dict(items) }
                let key = try value(depth: depth + 1)
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("':' after a dict key") }
                index += 1
                skipSpace()
                items.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard index < bytes.count else { throw fail("',' or '}'") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                guard bytes[index] == UInt8(ascii: "}") else { throw fail("',' or '}'") }
            }
        case UInt8(ascii: "["), UInt8(ascii: "("):
            let close = bytes[index] == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: ")")
            let isTuple = close == UInt8(ascii: ")")
            index += 1
            var items: [PythonLiteral] = []
            var sawComma = false
            while true {
                skipSpace()
                if index < bytes.count, bytes[index] == close {
                    index += 1
                    // `(3)` is an int in Python, `(3,)` a tuple.
                    if isTuple, items.count == 1, !sawComma { return items[0] }
                    return isTuple ? .tuple(items) : .list(items)
                }
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard index < bytes.count else { throw fail("',' or a closing bracket") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; sawComma = true; continue }
                guard bytes[index] == close else { throw fail("',' or a closing bracket") }
            }
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "-"), 0x30...0x39:
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            let digitsStart = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
            // numpy < 2 wrote `3L` for longs under Python 2.
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if index < bytes.count, bytes[index] == UInt8(ascii: "L") { index += 1 }
            guard index > digitsStart, let value = Int64(text) else { index = start; throw fail("an integer that fits in 64 bits") }
            return .integer(value)
        default:
            for (word, literal) in [("True", PythonLiteral.bool(true)), ("False", .bool(false)), ("None", .none)] {
                let utf8 = Array(word.utf8)
                if bytes.count - index >= utf8.count, Array(bytes[index..<(index + utf8.count)]) == utf8 {
                    index += utf8.count
                    return literal
                }
            }
            throw fail("a str, int, bool, None, tuple, list or dict literal")
        }
    }

    private mutating func string() throws(Failure) -> String {
        let quote = bytes[index]
        index += 1
        var out: [UInt8] = []
        while true {
            guard index < bytes.count else { throw fail("the closing quote of a string") }
            let byte = bytes[index]
            index += 1
            if byte == quote {
                guard let text = String(validating: out, as: UTF8.self) else { throw fail("UTF-8 in a string") }
                return text
            }
            guard byte == UInt8(ascii: "\\") else { out.append(byte); continue }
            guard index < bytes.count else { throw fail("an escape") }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): out.append(escape)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            default: throw fail("a simple escape (\\\\, \\', \\\", \\n, \\t)")
            }
        }
    }
}

import BrineIO

/// The one error type of the pickle layer. Always carries the byte offset, and the
/// opcode being read when there is one, so a user can find the damage.
public struct PickleError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The input ended where `expected` should have been.
        case truncated(expected: String)
        /// A byte that no pickle protocol defines as an opcode.
        case unknownOpcode(UInt8)
        /// A declared length runs past the end of the input.
        case lengthBeyondInput(declared: UInt64, remaining: UInt64)
        /// The argument's bytes do not have the required form.
        case invalidArgument(String)
        /// The instruction sequence cannot be a pickle (stack, mark or memo misuse).
        case malformed(String)
        /// A guard against hostile input was reached.
        case limitExceeded(limit: String, value: UInt64, option: String)
        /// Reading or decompressing the input failed.
        case input(InputError)
    }

    public var offset: UInt64
    public var opcode: PickleOpcode?
    public var reason: Reason

    public init(offset: UInt64, opcode: PickleOpcode? = nil, reason: Reason) {
        self.offset = offset
        self.opcode = opcode
        self.reason = reason
    }

    init(_ error: InputError) {
        self.init(offset: error.offset, reason: .input(error))
    }

    public var description: String {
        let subject = opcode.map { " (\($0.name))" } ?? ""
        switch reason {
        case .truncated(let expected):
            return "offset \(offset)\(subject): truncated pickle: expected \(expected), found end of input"
        case .unknownOpcode(let byte):
            return "offset \(offset): not a pickle opcode: byte 0x\(String(byte, radix: 16, uppercase: false).leftPadded(to: 2))"
        case .lengthBeyondInput(let declared, let remaining):
            return "offset \(offset)\(subject): declared length \(declared) runs past the end of input (\(remaining) bytes left)"
        case .invalidArgument(let detail):
            return "offset \(offset)\(subject): invalid argument: \(detail)"
        case .malformed(let detail):
            return "offset \(offset)\(subject): malformed pickle: \(detail)"
        case .limitExceeded(let limit, let value, let option):
            return "offset \(offset)\(subject): \(limit) exceeded (\(value)); raise it with \(option)"
        case .input(let error):
            return error.descriptionWithoutPath
        }
    }
}

extension InputError {
    /// The message without the leading path, for callers that print the path themselves.
    public var descriptionWithoutPath: String {
        let full = description
        let prefix = escapingControlCharacters(path) + ": "
        return full.hasPrefix(prefix) ? String(full.dropFirst(prefix.count)) : full
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}

import BrineIO

/// The one error type of the zip layer: where in the file the archive stopped making sense.
public struct ZipError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// No end-of-central-directory record: not a zip file, or cut short.
        case notAZip
        /// The file ends before a structure it declares.
        case truncated(expected: String)
        /// A signature, size, count or offset that cannot be right.
        case corrupt(String)
        /// Zip features PyTorch never writes and Brine does not read (multi-disk, encryption).
        case unsupported(String)
        /// A guard against hostile input was reached.
        case limitExceeded(limit: String, value: UInt64, option: String)
        case input(InputError)
    }

    public var offset: UInt64
    public var reason: Reason

    public init(offset: UInt64, reason: Reason) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { escapingControlCharacters(unescapedDescription) }

    private var unescapedDescription: String {
        switch reason {
        case .notAZip:
            return "offset \(offset): not a zip archive: no end-of-central-directory record"
        case .truncated(let expected):
            return "offset \(offset): truncated zip archive: expected \(expected), found end of file"
        case .corrupt(let detail):
            return "offset \(offset): corrupt zip archive: \(detail)"
        case .unsupported(let detail):
            return "offset \(offset): unsupported zip archive: \(detail)"
        case .limitExceeded(let limit, let value, let option):
            return "offset \(offset): \(limit) exceeded (\(value)); raise it with \(option)"
        case .input(let error):
            return error.descriptionWithoutPath
        }
    }
}

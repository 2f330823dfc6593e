/// The one error type of the input layer: opening, reading and decompressing bytes.
///
/// `offset` is where in the *source* stream the problem was seen (for a
/// decompressor, the offset in its decompressed output) so a user can find it.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case cannotOpen(errno: Int32)
        case notARegularFile
        /// The file has no bytes at all; `expected` says what should have been there.
        case emptyFile(expected: String)
        case readFailed(errno: Int32)
        /// The compressed stream is damaged: a bad checksum, bad header or cut short.
        case corruptStream(codec: String, detail: String)
        /// A limit that guards against hostile input was reached.
        case limitExceeded(limit: String, value: UInt64, option: String)
        /// The file shrank while it was being read (another process truncated or rewrote it).
        case changedWhileReading
        /// A file of a format Brine recognises but does not read (safetensors, npy, GGUF…):
        /// `what` names it and says what Brine reads instead.
        case unsupportedFormat(what: String)
        /// A file of a format Brine reads (safetensors, npy, GGUF, ONNX…) whose structure is
        /// damaged or hostile: `detail` says what was expected there.
        case malformed(detail: String)
    }

    public var path: String
    public var offset: UInt64
    public var reason: Reason

    public init(path: String, offset: UInt64, reason: Reason) {
        self.path = path
        self.offset = offset
        self.reason = reason
    }

    /// One line even when the path (an archive member's name) holds a newline.
    public var description: String { escapingControlCharacters(unescapedDescription) }

    private var unescapedDescription: String {
        switch reason {
        case .cannotOpen(let code):
            return "\(path): cannot open: \(systemMessage(code))"
        case .notARegularFile:
            return "\(path): not a regular file"
        case .emptyFile(let expected):
            return "\(path): offset 0: empty file, expected \(expected)"
        case .readFailed(let code):
            return "\(path): offset \(offset): read failed: \(systemMessage(code))"
        case .corruptStream(let codec, let detail):
            // libarchive's messages may end in a newline.
            let detail = detail.last?.isWhitespace == true ? String(detail.reversed().drop { $0.isWhitespace }.reversed()) : detail
            return "\(path): offset \(offset): corrupt \(codec) stream: \(detail)"
        case .limitExceeded(let limit, let value, let option):
            return "\(path): offset \(offset): \(limit) exceeded (\(value)); raise it with \(option)"
        case .changedWhileReading:
            return "\(path): offset \(offset): the file shrank while it was being read; read it again once nothing writes to it"
        case .unsupportedFormat(let what):
            return "\(path): \(what)"
        case .malformed(let detail):
            return "\(path): offset \(offset): \(detail)"
        }
    }
}

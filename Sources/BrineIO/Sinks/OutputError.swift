/// The one error type of the output layer: creating, writing, compressing and
/// publishing a file.
///
/// `offset` is how far the failing sink had got: for a file, the bytes already in it; for a
/// compressor, the uncompressed bytes it had taken. A user can tell how far a write got.
public struct OutputError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case cannotCreate(errno: Int32)
        case writeFailed(errno: Int32)
        /// The finished temporary file could not replace the target.
        case renameFailed(errno: Int32)
        case compressionFailed(codec: String, detail: String)
    }

    public var path: String
    public var offset: UInt64
    public var reason: Reason

    public init(path: String, offset: UInt64, reason: Reason) {
        self.path = path
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .cannotCreate(let code):
            return "\(path): cannot create: \(systemMessage(code))"
        case .writeFailed(let code):
            return "\(path): offset \(offset): write failed: \(systemMessage(code))"
        case .renameFailed(let code):
            return "\(path): cannot move the finished file into place: \(systemMessage(code))"
        case .compressionFailed(let codec, let detail):
            return "\(path): offset \(offset): \(codec) compression failed: \(detail)"
        }
    }
}

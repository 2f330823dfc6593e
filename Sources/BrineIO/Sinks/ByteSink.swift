#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A forward stream of bytes going out: a file, or a compressor feeding another sink.
///
/// Nothing a sink produces counts until `finish()` returns: a file sink publishes its file
/// only then, and a compressor writes its end marker only then. A sink released without
/// `finish()` leaves nothing behind. Sinks are classes because they own OS or C resources
/// that `deinit` releases.
public protocol ByteSink: AnyObject {
    /// The name shown in error messages: the target path, which compressors pass along.
    /// Defaults to "<output>" for sinks with no path of their own.
    var name: String { get }
    /// Bytes accepted by `write` so far (before any compression this sink does).
    var bytesWritten: UInt64 { get }
    /// Takes all of `bytes`. After an error the sink is unusable and keeps throwing it.
    func write(_ bytes: UnsafeRawBufferPointer) throws(OutputError)
    /// Takes `bytes` that are a verbatim copy of the input's decompressed stream from offset
    /// `source` on. Only a sink that can reuse the input's compressed form cares
    /// (`SplicingDeflateSink`); every other sink treats them as plain bytes.
    func write(_ bytes: UnsafeRawBufferPointer, copiedFrom source: UInt64) throws(OutputError)
    /// Completes the output and everything downstream of it. Calling it again does nothing.
    func finish() throws(OutputError)
}

extension ByteSink {
    public var name: String { "<output>" }

    public func write(_ bytes: UnsafeRawBufferPointer, copiedFrom source: UInt64) throws(OutputError) {
        try write(bytes)
    }

    public func write(_ bytes: [UInt8]) throws(OutputError) {
        try withBytes(bytes) { buffer throws(OutputError) in try write(buffer) }
    }
}

/// A sink that can take bytes of the input by reference: `copy(from:count:)` writes the
/// input's decompressed bytes `[source, source + count)` without the caller reading them.
public protocol InputReusingSink: ByteSink {
    /// False for a wrapper whose downstream cannot take copies by reference.
    var reusesInput: Bool { get }
    func copy(from source: UInt64, count: UInt64) throws(OutputError)
}

/// Where a sink is in its life; shared so every sink answers misuse the same way.
enum SinkState {
    case open
    case finished
    /// Dropped on request (`AtomicFileSink.discard()`), not because of an error.
    case discarded
    case failed(OutputError)

    /// Throws unless the sink still takes bytes: the original error after a failure,
    /// EBADF after `finish()` or `discard()`, as a closed descriptor would.
    func requireOpen(path: String, offset: UInt64) throws(OutputError) {
        switch self {
        case .open:
            return
        case .failed(let error):
            throw error
        case .finished, .discarded:
            throw OutputError(path: path, offset: offset, reason: .writeFailed(errno: EBADF))
        }
    }

    var isFinished: Bool {
        if case .finished = self { return true }
        return false
    }
}

/// `Array.withUnsafeBytes` for a body with a typed error (the standard one rethrows untyped).
public func withBytes<E: Error>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(E) -> Void) throws(E) {
    let result: Result<Void, E> = bytes.withUnsafeBytes { raw in
        Result { () throws(E) in try body(raw) }
    }
    try result.get()
}

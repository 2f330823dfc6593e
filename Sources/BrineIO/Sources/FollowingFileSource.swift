#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file read while another thread is still writing it: reads wait for bytes the writer
/// has published, and the end of the stream is the end of a complete write.
public final class FollowingFileSource: ByteSource {
    public let name: String
    public var knownLength: UInt64? { nil }
    public private(set) var position: UInt64 = 0
    public var supportsRandomAccess: Bool { true }
    private let descriptor: Int32
    private let progress: WriteProgress

    public init(path: String, shownAs name: String, progress: WriteProgress) throws(InputError) {
        self.name = name
        self.progress = progress
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw InputError(path: name, offset: 0, reason: .cannotOpen(errno: errno)) }
        descriptor = fd
    }

    deinit { close(descriptor) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        let got = try read(at: position, into: buffer, wantsAll: false)
        position += UInt64(got)
        return got
    }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        try read(at: offset, into: buffer, wantsAll: true)
    }

    public func skip(_ count: UInt64) throws(InputError) -> UInt64 {
        var skipped: UInt64 = 0
        while skipped < count {
            let (published, _) = try available(beyond: position)
            guard published > position else { break }
            let step = min(count - skipped, published - position)
            position += step
            skipped += step
        }
        return skipped
    }

    /// Reads once `buffer` can be filled (`wantsAll`) or any byte is there; fewer bytes only
    /// at the end of a complete write.
    private func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer, wantsAll: Bool) throws(InputError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        var (published, state) = try available(beyond: offset)
        while wantsAll, state == .writing, published - offset < UInt64(buffer.count) {
            (published, state) = try available(beyond: published)
        }
        guard published > offset else { return 0 }
        let count = Int(min(UInt64(buffer.count), published - offset))
        var filled = 0
        while filled < count {
            let got = pread(descriptor, base + filled, count - filled, off_t(offset) + off_t(filled))
            if got == 0 { break }
            if got < 0 {
                if errno == EINTR { continue }
                throw InputError(path: name, offset: offset, reason: .readFailed(errno: errno))
            }
            filled += got
        }
        return filled
    }

    private func available(beyond offset: UInt64) throws(InputError) -> (UInt64, WriteProgress.State) {
        let (published, state) = progress.wait(beyond: offset)
        if state == .abandoned { throw InputError(path: name, offset: offset, reason: .readFailed(errno: ECANCELED)) }
        return (published, state)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file read with `read`/`pread`. It is never mapped whole (a mapped multi-GB file
/// would count in RSS); large inputs are lent one window at a time by `MappedFileSource`.
public final class FileSource: ByteSource {
    public let name: String
    public let knownLength: UInt64?
    public private(set) var position: UInt64 = 0
    /// Internal so `MappedFileSource` can map the file it opened.
    let descriptor: Int32

    /// Opens `path` read-only. Directories, devices and FIFOs are refused: a FIFO could
    /// block forever and a device could be endless.
    public init(path: String) throws(InputError) {
        name = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw InputError(path: path, offset: 0, reason: .cannotOpen(errno: errno))
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw InputError(path: path, offset: 0, reason: .notARegularFile)
        }
        descriptor = fd
        knownLength = UInt64(max(0, info.st_size))
    }

    deinit { close(descriptor) }

    public var supportsRandomAccess: Bool { true }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let got = systemRead(descriptor, base, buffer.count)
            if got >= 0 {
                position += UInt64(got)
                return got
            }
            if errno == EINTR { continue }
            throw InputError(path: name, offset: position, reason: .readFailed(errno: errno))
        }
    }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        guard offset <= UInt64(Int64.max) else { return 0 }
        return try preadFully(descriptor, into: base, count: buffer.count, at: offset, name: name)
    }

    public func skip(_ count: UInt64) throws(InputError) -> UInt64 {
        let end = knownLength ?? 0
        let (target, overflow) = position.addingReportingOverflow(count)
        let newPosition = overflow ? end : min(target, end)
        guard lseek(descriptor, off_t(newPosition), SEEK_SET) >= 0 else {
            throw InputError(path: name, offset: position, reason: .readFailed(errno: errno))
        }
        let skipped = newPosition - position
        position = newPosition
        return skipped
    }
}

/// `pread` until `count` bytes or the end of the file, retrying interrupted calls.
func preadFully(_ fd: Int32, into base: UnsafeMutableRawPointer, count: Int, at offset: UInt64, name: String) throws(InputError) -> Int {
    var filled = 0
    while filled < count {
        let got = pread(fd, base + filled, count - filled, off_t(offset) + off_t(filled))
        if got == 0 { break }
        if got < 0 {
            if errno == EINTR { continue }
            throw InputError(path: name, offset: offset, reason: .readFailed(errno: errno))
        }
        filled += got
    }
    return filled
}

/// The C `read`, named apart from `ByteSource.read` so the method can call it.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}

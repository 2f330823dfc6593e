#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file lent to a `ByteWindow` one read-only mapped window at a time, so the parser
/// reads the page cache in place: no copy into a buffer and no read-ahead thread (copying
/// was a fifth of the work of a warm-cache scan).
///
/// Only one window is mapped at once and it is unmapped when the next is lent, so RSS grows
/// with the window size, never with the file size. `read`, `skip` and `read(at:)` still work
/// (with `pread`) for code that consumes the source directly.
///
/// A mapped file that shrinks while mapped raises SIGBUS on access (as it does for git and
/// ripgrep, which map files too); the size is checked again before every window so a file
/// truncated between windows is a typed error, and the CLI turns a SIGBUS into a one-line
/// error with exit code 2.
public final class MappedFileSource: ByteSource {
    public let name: String
    public let knownLength: UInt64?
    public private(set) var position: UInt64
    public var supportsRandomAccess: Bool { true }

    private let file: FileSource
    private let length: UInt64
    private let windowSize: Int
    private var mapping: UnsafeMutableRawPointer?
    private var mappingCount = 0
    private static let pageSize = UInt64(max(4096, sysconf(Int32(_SC_PAGESIZE))))

    /// Wraps `file` from its current position; `windowSize` is how much each lending maps
    /// beyond what the caller needs.
    public init(file: FileSource, windowSize: Int = 16 << 20) {
        name = file.name
        knownLength = file.knownLength
        length = file.knownLength ?? 0
        position = file.position
        self.file = file
        self.windowSize = max(windowSize, 1 << 16)
        InterruptCleanup.noteMappedInput(file.name)
    }

    deinit { unmap() }

    /// Maps the file from `offset` for at least `count` bytes (fewer only at the end of the
    /// file) and returns the absolute offset of the first byte lent, which is `offset` rounded
    /// down to a page, with the bytes. The previous lending ends: its bytes must not be used.
    public func lend(from offset: UInt64, atLeast count: Int) throws(InputError) -> (start: UInt64, bytes: UnsafeRawBufferPointer) {
        unmap()
        guard offset < length else {
            position = max(position, min(offset, length))
            return (offset, UnsafeRawBufferPointer(start: nil, count: 0))
        }
        var info = stat()
        if fstat(file.descriptor, &info) == 0, UInt64(max(0, info.st_size)) < length {
            throw InputError(path: name, offset: offset, reason: .changedWhileReading)
        }
        let start = offset - offset % Self.pageSize
        let (wanted, overflow) = count.addingReportingOverflow(max(windowSize, 0))
        let end = overflow ? length : min(length, offset + UInt64(wanted))
        let mapCount = Int(end - start)
        let flags = MAP_PRIVATE | mapPopulate
        guard let base = mmap(nil, mapCount, PROT_READ, flags, file.descriptor, off_t(start)), base != MAP_FAILED else {
            throw InputError(path: name, offset: offset, reason: .readFailed(errno: errno))
        }
        // Tell the kernel to start reading the next window from disk now (a cold cache).
        if end < length { _ = posix_fadvise(file.descriptor, off_t(end), off_t(min(UInt64(windowSize), length - end)), POSIX_FADV_WILLNEED) }
        mapping = base
        mappingCount = mapCount
        InterruptCleanup.noteMappedWindow(address: base, count: mapCount, fileOffset: start)
        position = end
        return (start, UnsafeRawBufferPointer(start: base, count: mapCount))
    }

    private func unmap() {
        if let mapping {
            InterruptCleanup.noteMappedWindow(address: nil, count: 0, fileOffset: 0)
            munmap(mapping, mappingCount)
        }
        mapping = nil
        mappingCount = 0
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        let got = try file.read(at: position, into: buffer)
        position += UInt64(got)
        return got
    }

    public func skip(_ count: UInt64) throws(InputError) -> UInt64 {
        let (target, overflow) = position.addingReportingOverflow(count)
        let newPosition = overflow ? length : min(target, length)
        defer { position = newPosition }
        return newPosition - position
    }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        try file.read(at: offset, into: buffer)
    }
}

#if canImport(Glibc)
private let mapPopulate = MAP_POPULATE
#else
private let mapPopulate: Int32 = 0
#endif

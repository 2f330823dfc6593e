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
    private var current: MappedWindow?
    /// The next window, mapped (and the previous one unmapped) by a second thread while the
    /// parser reads this one: page-table work is a tenth of a warm scan.
    private var prepared: BackgroundThread<MappedWindow?>?
    private static let pageSize = UInt64(max(4096, sysconf(Int32(_SC_PAGESIZE))))
    /// How far before the current window's end the prepared one starts: the parser asks for
    /// the next window while it still needs a few bytes of this one.
    private static let overlap: UInt64 = 1 << 20

    /// Wraps `file` from its current position; `windowSize` is how much each lending maps
    /// beyond what the caller needs.
    public init(file: FileSource, windowSize: Int = 8 << 20) {
        name = file.name
        knownLength = file.knownLength
        length = file.knownLength ?? 0
        position = file.position
        self.file = file
        self.windowSize = max(windowSize, 1 << 16)
        InterruptCleanup.noteMappedInput(file.name)
    }

    deinit {
        prepared?.join()?.unmap()
        InterruptCleanup.noteMappedWindow(address: nil, count: 0, fileOffset: 0)
        current?.unmap()
    }

    /// Maps the file from `offset` for at least `count` bytes (fewer only at the end of the
    /// file) and returns the absolute offset of the first byte lent, which is `offset` rounded
    /// down to a page or earlier, with the bytes. The previous lending ends: its bytes must not
    /// be used.
    public func lend(from offset: UInt64, atLeast count: Int) throws(InputError) -> (start: UInt64, bytes: UnsafeRawBufferPointer) {
        let ready = prepared?.join()
        prepared = nil
        InterruptCleanup.noteMappedWindow(address: nil, count: 0, fileOffset: 0)
        // Unmapped by the thread that prepares the next window, or below if none does.
        var retiring = current
        current = nil
        defer { retiring?.unmap() }
        guard offset < length else {
            ready?.unmap()
            position = max(position, min(offset, length))
            return (offset, UnsafeRawBufferPointer(start: nil, count: 0))
        }
        var info = stat()
        if fstat(file.descriptor, &info) == 0, UInt64(max(0, info.st_size)) < length {
            ready?.unmap()
            throw InputError(path: name, offset: offset, reason: .changedWhileReading)
        }
        let (wanted, overflow) = count.addingReportingOverflow(windowSize)
        let needed = overflow ? length : min(length, offset + UInt64(count))
        let window: MappedWindow
        if let ready, ready.start <= offset, ready.end >= needed {
            window = ready
        } else {
            ready?.unmap()
            let start = offset - offset % Self.pageSize
            let end = overflow ? length : min(length, offset + UInt64(wanted))
            guard let mapped = MappedWindow.map(file.descriptor, start: start, end: end) else {
                throw InputError(path: name, offset: offset, reason: .readFailed(errno: errno))
            }
            window = mapped
        }
        current = window
        InterruptCleanup.noteMappedWindow(address: window.base, count: window.count, fileOffset: window.start)
        position = window.end
        prepareWindow(after: window, retiring: retiring)
        retiring = nil
        return (window.start, UnsafeRawBufferPointer(start: window.base, count: window.count))
    }

    private func prepareWindow(after window: MappedWindow, retiring: MappedWindow?) {
        guard window.end < length else {
            retiring?.unmap()
            return
        }
        let overlapStart = window.end - min(Self.overlap, window.end - window.start)
        let start = overlapStart - overlapStart % Self.pageSize
        let end = min(length, start + Self.overlap + UInt64(windowSize))
        let descriptor = file.descriptor
        // Tell the kernel to start reading it from disk too (a cold cache).
        _ = posix_fadvise(descriptor, off_t(start), off_t(end - start), POSIX_FADV_WILLNEED)
        let next = BackgroundThread { () -> MappedWindow? in
            retiring?.unmap()
            return MappedWindow.map(descriptor, start: start, end: end)
        }
        if !next.started { retiring?.unmap() }  // join() will map it on this thread
        prepared = next
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

/// One read-only mapping of `[start, end)` of a file. Unmapped explicitly: the source
/// decides when the parser is done with it.
private struct MappedWindow: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let start: UInt64
    let end: UInt64
    var count: Int { Int(end - start) }

    /// Maps and populates the pages (`MAP_POPULATE`: one call instead of a fault per page);
    /// nil with `errno` set when the system refuses.
    static func map(_ descriptor: Int32, start: UInt64, end: UInt64) -> MappedWindow? {
        guard end > start, let base = mmap(nil, Int(end - start), PROT_READ, MAP_PRIVATE | mapPopulate, descriptor, off_t(start)),
              base != MAP_FAILED else { return nil }
        return MappedWindow(base: base, start: start, end: end)
    }

    func unmap() {
        munmap(base, count)
    }
}

#if canImport(Glibc)
private let mapPopulate = MAP_POPULATE
#else
private let mapPopulate: Int32 = 0
#endif

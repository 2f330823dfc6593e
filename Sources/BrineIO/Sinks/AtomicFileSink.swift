#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Writes a file so that readers only ever see the old content or the whole new content.
///
/// Bytes go to a hidden temporary file in the target's directory (the same file system,
/// so `rename` can replace the target atomically). The target is not touched until
/// `finish()`, which flushes, `fsync`s and renames. A sink released or `discard()`ed before
/// that, or one that hits an error, deletes its temporary file.
///
/// A replaced file's permission bits carry over; its owner, ACLs and other hard links do
/// not, and a symbolic link at the target is replaced by the file rather than followed.
public final class AtomicFileSink: ByteSink {
    /// The target path.
    public let name: String
    public private(set) var bytesWritten: UInt64 = 0
    /// Where the bytes go until the rename: readable by a verifier following the write.
    public let temporaryPath: String
    /// When false, `finish()` makes the file durable but leaves the rename to `commit()`,
    /// so the caller can check the file first and still discard it.
    public var commitsOnFinish = true
    /// Told how many bytes reached the temporary file, after every write to it.
    public var progress: WriteProgress?
    private var isSealed = false
    private let directory: String
    private var descriptor: Int32
    private var buffer: UnsafeMutableRawBufferPointer
    /// The buffer a second thread is writing out while `buffer` fills: `write(2)` copies into
    /// the page cache at ~1 GB/s, a sixth of strip's main thread before it moved off it.
    private var spare: UnsafeMutableRawBufferPointer
    private var inFlight: BackgroundThread<Int32>?
    private var inFlightCount = 0
    private var buffered = 0
    /// Bytes already handed to the kernel: the file offset of the next `write(2)`.
    private var flushed: UInt64 = 0
    /// Bytes whose writeback to the disk was started early, so the `fsync` before the rename
    /// waits for the tail only (on a 100 MB output it otherwise waited 0.1 s for everything).
    private var writebackStarted: UInt64 = 0
    private static let writebackChunk: UInt64 = 16 << 20
    /// `copyRange` copies this much per call, so a verifier following the file starts early.
    private static let copyStep: UInt64 = 4 << 20
    /// Cleared when the kernel refuses to copy between the files: later copies read and write.
    private var kernelCopies = true
    private let writeback = EarlyWriteback()
    private var state = SinkState.open
    /// Removes the temporary file if a signal ends the process first.
    private var cleanup: InterruptCleanup.Token?

    /// Creates the temporary file for `path`. Refuses a directory target (EISDIR) and a
    /// missing directory (ENOENT) now rather than at `finish()`. Writes smaller than
    /// `bufferSize` are gathered so the kernel sees few large writes.
    public init(path: String, bufferSize: Int = 1 << 20) throws(OutputError) {
        name = path
        let (directory, base) = Self.split(path)
        func refuse(_ code: Int32) -> OutputError {
            OutputError(path: path, offset: 0, reason: .cannotCreate(errno: code))
        }
        // "dir/" names a directory, and "." or ".." always do.
        guard !base.isEmpty, base != ".", base != ".." else { throw refuse(EISDIR) }

        var replacedMode: mode_t?
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) != S_IFDIR else { throw refuse(EISDIR) }
            replacedMode = info.st_mode & 0o777
        } else if errno != ENOENT {
            throw refuse(errno)
        }

        // O_EXCL makes a name collision (or a planted symlink) fail instead of being
        // followed; a random suffix makes one unlikely, so a few retries suffice.
        var attempts = 0
        var candidate = ""
        var fd: Int32 = -1
        var token: InterruptCleanup.Token?
        while fd < 0 {
            candidate = directory + Self.temporaryName(for: base)
            // Registered before it exists, so a signal between the two cannot leave it behind
            // (the name is random: another file of that name is not a practical concern).
            token = InterruptCleanup.register(candidate)
            fd = open(candidate, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o644)
            if fd < 0 {
                let code = errno
                InterruptCleanup.unregister(token)
                attempts += 1
                guard code == EINTR || (code == EEXIST && attempts < 16) else { throw refuse(code) }
            }
        }
        // fchmod, unlike open's mode, ignores the umask: the replacement keeps exactly
        // the permissions the old file had.
        if let replacedMode, fchmod(fd, replacedMode) != 0 {
            let code = errno
            close(fd)
            unlink(candidate)
            InterruptCleanup.unregister(token)
            throw refuse(code)
        }
        temporaryPath = candidate
        cleanup = token
        self.directory = directory
        descriptor = fd
        buffer = .allocate(byteCount: max(bufferSize, 1), alignment: 16)
        spare = .allocate(byteCount: max(bufferSize, 1), alignment: 16)
    }

    deinit {
        discard()
        _ = inFlight?.join()
        buffer.deallocate()
        spare.deallocate()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        try state.requireOpen(path: name, offset: bytesWritten)
        guard bytes.count > 0 else { return }
        if bytes.count > buffer.count - buffered {
            try flush()
        }
        if bytes.count >= buffer.count {
            // Copying a chunk this large would only add a pass over the bytes.
            try writeOut(bytes)
        } else {
            UnsafeMutableRawBufferPointer(rebasing: buffer[buffered...]).copyMemory(from: bytes)
            buffered += bytes.count
        }
        bytesWritten += UInt64(bytes.count)
    }

    /// Appends `count` bytes of the open file `input` from `offset` on, copied by the kernel
    /// (`copy_file_range(2)`: the bytes never enter this process) in steps that a reader
    /// following the file sees land one by one; with `pread` and `write` where the kernel
    /// cannot copy between the two files. An input that ends first is a write error (EIO).
    public func copyRange(from input: Int32, at offset: UInt64, count: UInt64) throws(OutputError) {
        try state.requireOpen(path: name, offset: bytesWritten)
        guard count > 0 else { return }
        guard offset <= UInt64(Int64.max), count <= UInt64(Int64.max) - offset else { throw fail(.writeFailed(errno: EOVERFLOW)) }
        try flush()
        try awaitWrite()
        var position = Int64(offset)
        var remaining = count
        while remaining > 0 {
            let step = Int(min(remaining, Self.copyStep))
            var copied = -1
            if kernelCopies, let copyFileRange = systemCopyFileRange {
                copied = copyFileRange(input, &position, descriptor, nil, step, 0)
                if copied < 0 {
                    let code = errno
                    if code == EINTR { continue }
                    // Not between these two files (another file system, an old kernel): copy by hand.
                    guard code == EXDEV || code == ENOSYS || code == EINVAL || code == EOPNOTSUPP || code == ETXTBSY else {
                        throw fail(.writeFailed(errno: code))
                    }
                    kernelCopies = false
                }
            }
            if copied < 0 { copied = try readAndWrite(input, at: &position, count: step) }
            guard copied > 0 else { throw fail(.writeFailed(errno: EIO)) }
            remaining -= UInt64(copied)
            flushed += UInt64(copied)
            bytesWritten += UInt64(copied)
            published()
        }
    }

    /// Copies up to `count` bytes through `buffer` (free: nothing is in flight); 0 at the input's end.
    private func readAndWrite(_ input: Int32, at position: inout Int64, count: Int) throws(OutputError) -> Int {
        let chunk = min(count, buffer.count)
        var got = -1
        while got < 0 {
            got = pread(input, buffer.baseAddress, chunk, off_t(position))
            if got < 0, errno != EINTR { throw fail(.writeFailed(errno: errno)) }
        }
        guard got > 0, let base = buffer.baseAddress else { return 0 }
        let code = writeFully(descriptor, base, got)
        guard code == 0 else { throw fail(.writeFailed(errno: code)) }
        position += Int64(got)
        return got
    }

    /// Replaces bytes already written, before `finish()`: for a header whose last field (a
    /// digest computed while the data was written) is known only at the end.
    public func overwrite(at offset: UInt64, with bytes: UnsafeRawBufferPointer) throws(OutputError) {
        try state.requireOpen(path: name, offset: bytesWritten)
        let (end, overflow) = offset.addingReportingOverflow(UInt64(bytes.count))
        precondition(!overflow && end <= bytesWritten, "overwrite past the bytes written")
        try flush()
        try awaitWrite()
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let wrote = pwrite(descriptor, base + done, bytes.count - done, off_t(offset) + off_t(done))
            if wrote < 0 {
                let code = errno
                if code == EINTR { continue }
                throw fail(.writeFailed(errno: code))
            }
            done += wrote
        }
    }

    /// Makes the bytes durable, then replaces the target with them in one step.
    public func finish() throws(OutputError) {
        if state.isFinished { return }
        if !isSealed { try seal() }
        if commitsOnFinish { try commit() }
    }

    /// Replaces the target with the finished temporary file (after `finish()` when
    /// `commitsOnFinish` is false).
    public func commit() throws(OutputError) {
        if state.isFinished { return }
        try state.requireOpen(path: name, offset: bytesWritten)
        precondition(isSealed, "commit() before finish()")
        guard rename(temporaryPath, name) == 0 else { throw fail(.renameFailed(errno: errno)) }
        InterruptCleanup.unregister(cleanup)
        cleanup = nil
        state = .finished
        syncDirectory()
    }

    private func seal() throws(OutputError) {
        try state.requireOpen(path: name, offset: bytesWritten)
        try flush()
        try awaitWrite()
        // Without fsync a crash after the rename could leave the new name on empty data.
        while fsync(descriptor) != 0 {
            let code = errno
            guard code == EINTR else { throw fail(.writeFailed(errno: code)) }
        }
        writeback.finish()
        let fd = descriptor
        descriptor = -1
        // Some file systems (NFS) report write errors only at close. Linux closes the
        // descriptor even when close fails, so it is never retried.
        if close(fd) != 0 {
            let code = errno
            if code != EINTR { throw fail(.writeFailed(errno: code)) }
        }
        isSealed = true
        progress?.complete()
    }

    /// Abandons the output: closes and deletes the temporary file, leaving the target as it
    /// was. Does nothing after `finish()`; later writes throw.
    public func discard() {
        removeTemporaryFile()
        if case .open = state {
            if isSealed { unlink(temporaryPath) }  // closed already, not yet renamed
            InterruptCleanup.unregister(cleanup)
            cleanup = nil
            state = .discarded
            progress?.abandon()
        }
    }

    /// After `finish()` the descriptor is already closed and the name belongs to the target.
    private func removeTemporaryFile() {
        _ = inFlight?.join()
        inFlight = nil
        writeback.finish()
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
            unlink(temporaryPath)
        }
    }

    /// Records the first error, removes the temporary file and returns the error to throw.
    private func fail(_ reason: OutputError.Reason) -> OutputError {
        let error = OutputError(path: name, offset: flushed, reason: reason)
        if descriptor < 0 {
            // finish() had already closed it: only the file is left to delete.
            unlink(temporaryPath)
        }
        removeTemporaryFile()
        InterruptCleanup.unregister(cleanup)
        cleanup = nil
        state = .failed(error)
        progress?.abandon()
        return error
    }

    /// Hands the filled buffer to a second thread (after the previous one is written) and
    /// goes on filling the other.
    private func flush() throws(OutputError) {
        guard buffered > 0 else { return }
        try awaitWrite()
        let address = UInt(bitPattern: buffer.baseAddress), count = buffered, fd = descriptor
        swap(&buffer, &spare)
        buffered = 0
        inFlightCount = count
        inFlight = BackgroundThread { writeFully(fd, UnsafeRawPointer(bitPattern: address)!, count) }
    }

    /// Waits for the buffer being written, then publishes it.
    private func awaitWrite() throws(OutputError) {
        guard let thread = inFlight else { return }
        inFlight = nil
        let code = thread.join()
        guard code == 0 else { throw fail(.writeFailed(errno: code)) }
        flushed += UInt64(inFlightCount)
        published()
    }

    private func published() {
        progress?.publish(flushed)
        if flushed - writebackStarted >= Self.writebackChunk { startWriteback() }
    }

    private func writeOut(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        try awaitWrite()  // in order
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let wrote = systemWrite(descriptor, base + done, bytes.count - done)
            if wrote < 0 {
                let code = errno
                if code == EINTR { continue }
                throw fail(.writeFailed(errno: code))
            }
            done += wrote
            flushed += UInt64(wrote)
        }
        published()
    }

    /// Has a second thread flush what was written so far, while this one writes on.
    private func startWriteback() {
        if writeback.start(descriptor) { writebackStarted = flushed }
    }

    /// Makes the rename itself survive a crash. Best effort: the file is already in place,
    /// and some file systems refuse fsync on directories.
    private func syncDirectory() {
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// Splits "a/b/c" into ("a/b/", "c"); a bare name has directory "".
    private static func split(_ path: String) -> (directory: String, base: String) {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return ("", path) }
        let afterSlash = path.utf8.index(after: slash)
        return (String(path[..<afterSlash]), String(path[afterSlash...]))
    }

    /// ".<base>.brine-tmp-<pid>-<random>": hidden, traceable to Brine and its process.
    private static func temporaryName(for base: String) -> String {
        // Keep the whole name under NAME_MAX (255 bytes) however long the target's name is.
        var kept = ""
        var length = 0
        for scalar in base.unicodeScalars {
            length += UTF8.width(scalar)
            if length > 200 { break }
            kept.unicodeScalars.append(scalar)
        }
        let random = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        return ".\(kept).brine-tmp-\(getpid())-\(random)"
    }
}

/// `write(2)` until all `count` bytes are written; 0 or the errno of the failure.
private func writeFully(_ fd: Int32, _ base: UnsafeRawPointer, _ count: Int) -> Int32 {
    var done = 0
    while done < count {
        let wrote = systemWrite(fd, base + done, count - done)
        if wrote < 0 {
            if errno == EINTR { continue }
            return errno
        }
        done += wrote
    }
    return 0
}

/// One `fdatasync` at a time on a second thread, started while the file is still being
/// written; `finish()` waits for it, and must be called before the descriptor is closed.
private final class EarlyWriteback: @unchecked Sendable {
    private let busy = Atomic<Bool>(false)
    private var thread: BackgroundThread<Void>?

    /// Starts a flush unless one is still running; returns whether it started.
    func start(_ descriptor: Int32) -> Bool {
        guard !busy.load(ordering: .acquiring) else { return false }
        thread?.join()
        busy.store(true, ordering: .releasing)
        let flush = BackgroundThread { [self] in
            _ = fdatasync(descriptor)
            busy.store(false, ordering: .releasing)
        }
        thread = flush
        return true
    }

    func finish() {
        thread?.join()
        thread = nil
    }
}

/// The C `write`, named apart from `ByteSink.write` so the method can call it.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}

#if canImport(Glibc)
import Glibc
#endif

import CArchive

/// Writes a tar (POSIX pax, as Python's tarfile writes by default) or zip archive through
/// libarchive into a downstream sink, entry by entry.
public final class ArchiveWriter {
    public enum Container: Sendable {
        case tar
        /// Deflated zip members, as AWS Lambda deployment packages are.
        case zip
    }

    /// libarchive's version and the versions of the codecs it links (zlib among them):
    /// compressed sizes depend on them, so cached sizes are keyed by it.
    ///
    /// Read once: `archive_version_details()` rebuilds one static C string on every call (its
    /// "done" flag is never set, libarchive 3.6-3.7), so two threads calling it at once
    /// corrupted the heap (parallel `brine budget` with its cache). A global `let` is
    /// initialised exactly once, under a lock, whichever thread asks first.
    public static let libraryVersions: String = String(cString: archive_version_details())

    public let name: String
    private let archive: OpaquePointer
    private let drain: ArchiveDrain
    private var state = SinkState.open
    private var entryOpen = false

    /// `filter` compresses the whole tar stream (gzip, bzip2, xz, zstd); nil writes it plain.
    /// `level` nil keeps the codec's default (gzip 6, as `tar czf` writes). `recordBytes` nil
    /// pads a plain tar to 10240-byte records, as tar does, and writes a filtered one or a zip
    /// unpadded; 0 never pads (the plain tar a compressor downstream sees).
    public init(downstream: ByteSink, container: Container, filter: CompressionFormat? = nil, level: Int32? = nil,
                recordBytes: Int32? = nil) throws(OutputError) {
        name = downstream.name
        drain = ArchiveDrain(downstream: downstream)
        func failure(_ detail: String) -> OutputError {
            OutputError(path: downstream.name, offset: 0, reason: .compressionFailed(codec: "archive", detail: detail))
        }
        guard let handle = archive_write_new() else { throw failure("libarchive could not start") }
        archive = handle
        var ok = true
        switch container {
        case .tar: ok = archive_write_set_format_pax_restricted(handle) == ARCHIVE_OK
        case .zip: ok = archive_write_set_format_zip(handle) == ARCHIVE_OK
        }
        var filterName: String?
        switch filter {
        case nil: break
        case .gzip?: ok = ok && archive_write_add_filter_gzip(handle) >= ARCHIVE_WARN; filterName = "gzip"
        case .bzip2?: ok = ok && archive_write_add_filter_bzip2(handle) >= ARCHIVE_WARN; filterName = "bzip2"
        case .xz?: ok = ok && archive_write_add_filter_xz(handle) >= ARCHIVE_WARN; filterName = "xz"
        case .zstd?: ok = ok && archive_write_add_filter_zstd(handle) >= ARCHIVE_WARN; filterName = "zstd"
        case let other?: throw failure("tarballs are not written with \(other.rawValue)")
        }
        if let level, let range = filter?.writeLevels, !range.contains(level) {
            throw failure("level \(level) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        guard ok,
              archive_write_set_bytes_per_block(handle, recordBytes ?? (container == .tar && filter == nil ? 10240 : 0)) == ARCHIVE_OK,
              archive_write_set_bytes_in_last_block(handle, 1) == ARCHIVE_OK
        else { throw failure(Self.message(handle)) }
        // No time stamp in the gzip header: the same input gives the same bytes.
        if filterName == "gzip" { _ = archive_write_set_filter_option(handle, "gzip", "timestamp", nil) }
        if let level, let filterName,
           archive_write_set_filter_option(handle, filterName, "compression-level", String(level)) != ARCHIVE_OK {
            throw failure(Self.message(handle))
        }
        let opened = drain.open(handle)
        guard opened == ARCHIVE_OK else { throw drain.failure ?? failure(Self.message(handle)) }
    }

    deinit {
        archive_write_fail(archive)
        archive_write_free(archive)
    }

    /// Starts an entry; a file's data follows through `write`, exactly `info.size` bytes.
    public func begin(_ info: ArchiveEntryInfo) throws(OutputError) {
        try state.requireOpen(path: name, offset: 0)
        guard let entry = archive_entry_new() else { throw fail("libarchive could not start an entry") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, info.path)
        let type: UInt32
        switch info.kind {
        case .file, .hardlink, .other: type = 0o100000
        case .directory: type = 0o040000
        case .symlink: type = 0o120000
        }
        archive_entry_set_filetype(entry, type)
        archive_entry_set_perm(entry, mode_t(info.permissions & 0o7777))
        archive_entry_set_mtime(entry, time_t(info.modificationTime), 0)
        archive_entry_set_uid(entry, info.userID)
        archive_entry_set_gid(entry, info.groupID)
        if let userName = info.userName { archive_entry_set_uname(entry, userName) }
        if let groupName = info.groupName { archive_entry_set_gname(entry, groupName) }
        if info.kind == .symlink, let target = info.linkTarget { archive_entry_set_symlink(entry, target) }
        if info.kind == .hardlink, let target = info.linkTarget { archive_entry_set_hardlink(entry, target) }
        archive_entry_set_size(entry, info.kind == .file ? Int64(info.size ?? 0) : 0)
        guard archive_write_header(archive, entry) >= ARCHIVE_WARN else { throw fail() }
        entryOpen = true
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        try state.requireOpen(path: name, offset: 0)
        guard ArchiveDrain.writeData(archive, bytes) else { throw fail() }
    }

    /// Copies an entry's data from `source` until it ends.
    public func write(from source: ByteSource) throws(InputError) -> Result<UInt64, OutputError> {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        defer { buffer.deallocate() }
        var total: UInt64 = 0
        while true {
            let got = try source.read(into: buffer)
            if got == 0 { return .success(total) }
            do throws(OutputError) {
                try write(UnsafeRawBufferPointer(rebasing: buffer[..<got]))
            } catch {
                return .failure(error)
            }
            total += UInt64(got)
        }
    }

    /// Writes the archive's end and finishes the downstream sink.
    public func finish() throws(OutputError) {
        if state.isFinished { return }
        try state.requireOpen(path: name, offset: 0)
        guard archive_write_close(archive) == ARCHIVE_OK else { throw fail() }
        try drain.finishDownstream(&state)
    }

    private func fail(_ detail: String? = nil) -> OutputError {
        let error = drain.failure ?? OutputError(
            path: name, offset: 0, reason: .compressionFailed(codec: "archive", detail: detail ?? Self.message(archive)))
        state = .failed(error)
        return error
    }

    private static func message(_ handle: OpaquePointer) -> String {
        archive_error_string(handle).map { String(cString: $0) } ?? "libarchive error"
    }
}

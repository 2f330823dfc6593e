import CArchive

/// Reads tar (plain or compressed with any codec libarchive knows) and zip archives from a
/// forward byte source, entry by entry, never extracting anything to disk.
///
/// Every byte an entry hands out counts towards `limits` against the compressed bytes
/// taken from the upstream, so a zip or tar bomb stops at the same documented limit as a
/// compressed pickle.
public final class ArchiveReader {
    public let name: String
    /// libarchive's name for the container, e.g. "GNU tar format" or "ZIP 2.0 (deflation)".
    public private(set) var formatName = ""
    /// Uncompressed bytes handed out across all entries.
    public private(set) var entryBytesRead: UInt64 = 0

    private let archive: OpaquePointer
    private let feeder: ArchiveFeeder
    private let limits: DecompressionLimits
    private var generation = 0
    private var ended = false

    /// Starts reading `upstream`, which must be an archive (check with `ArchiveKind.detect` first).
    public init(upstream: ByteSource, limits: DecompressionLimits = .default) throws(InputError) {
        name = upstream.name
        self.limits = limits
        feeder = ArchiveFeeder(upstream: upstream)
        guard let handle = archive_read_new() else {
            throw InputError(path: upstream.name, offset: 0, reason: .corruptStream(codec: "archive", detail: "libarchive could not start"))
        }
        archive = handle
        archive_read_support_filter_all(handle)
        archive_read_support_format_tar(handle)
        archive_read_support_format_gnutar(handle)
        archive_read_support_format_zip_streamable(handle)
        let opened = feeder.open(handle)
        guard opened == ARCHIVE_OK else { throw failure() }
    }

    deinit { archive_read_free(archive) }

    /// Bytes taken from the upstream so far (compressed, for a compressed tarball).
    public var upstreamPosition: UInt64 { feeder.upstream.position }

    /// Moves to the next entry, skipping what is left of the current one; nil at the end.
    public func nextEntry() throws(InputError) -> ArchiveEntryInfo? {
        guard !ended else { return nil }
        generation += 1
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        if status == ARCHIVE_EOF {
            ended = true
            return nil
        }
        guard status >= ARCHIVE_WARN, let entry else { throw failure() }
        if formatName.isEmpty, let text = archive_format_name(archive) { formatName = String(cString: text) }
        let kind: ArchiveEntryInfo.Kind
        let hardlink = archive_entry_hardlink(entry).map { String(cString: $0) }
        switch archive_entry_filetype(entry) & 0o170000 {
        case _ where hardlink != nil: kind = .hardlink
        case 0o100000: kind = .file
        case 0o040000: kind = .directory
        case 0o120000: kind = .symlink
        default: kind = .other
        }
        let path = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
        let size = archive_entry_size_is_set(entry) != 0 ? UInt64(max(0, archive_entry_size(entry))) : nil
        return ArchiveEntryInfo(
            path: path, kind: kind, size: size, permissions: UInt32(archive_entry_perm(entry)),
            modificationTime: Int64(archive_entry_mtime(entry)),
            userID: Int64(archive_entry_uid(entry)), groupID: Int64(archive_entry_gid(entry)),
            userName: archive_entry_uname(entry).map { String(cString: $0) },
            groupName: archive_entry_gname(entry).map { String(cString: $0) },
            linkTarget: hardlink ?? archive_entry_symlink(entry).map { String(cString: $0) })
    }

    /// The data of the current entry as a forward source, valid until `nextEntry()`.
    public func entrySource(named entryName: String) -> ByteSource {
        ArchiveEntrySource(reader: self, name: entryName, generation: generation)
    }

    fileprivate func readData(into buffer: UnsafeMutableRawBufferPointer, generation: Int, position: UInt64, name: String) throws(InputError) -> Int {
        guard generation == self.generation, let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let got = archive_read_data(archive, base, buffer.count)
        if got < 0 { throw failure(entry: name, offset: position) }
        entryBytesRead += UInt64(got)
        try limits.check(output: entryBytesRead, input: feeder.upstream.position, path: self.name)
        return got
    }

    private func failure(entry: String? = nil, offset: UInt64? = nil) -> InputError {
        if let failure = feeder.failure { return failure }
        let detail = archive_error_string(archive).map { String(cString: $0) } ?? "unreadable archive"
        return InputError(path: entry ?? name, offset: offset ?? feeder.upstream.position, reason: .corruptStream(codec: "archive", detail: detail))
    }
}

/// One entry's bytes; reading after the reader moved on returns nothing.
private final class ArchiveEntrySource: ByteSource {
    let name: String
    var knownLength: UInt64? { nil }
    private(set) var position: UInt64 = 0
    private let reader: ArchiveReader
    private let generation: Int

    init(reader: ArchiveReader, name: String, generation: Int) {
        self.reader = reader
        self.name = name
        self.generation = generation
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        let got = try reader.readData(into: buffer, generation: generation, position: position, name: name)
        position += UInt64(got)
        return got
    }

    func skip(_ count: UInt64) throws(InputError) -> UInt64 { try skipByReading(count) }
}

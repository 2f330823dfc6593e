import CArchive

/// Compresses into a bzip2, xz, lzma ("alone"), lz4 (frame) or zstd stream through
/// libarchive's write filters and hands it to a downstream sink.
///
/// libarchive's "raw" format writes one entry's bytes with no archive structure around
/// them. It needs no entry size (it neither stores nor checks one), so the data streams
/// through without being counted or buffered first.
public final class ArchiveFilterSink: ByteSink {
    public let name: String
    public private(set) var bytesWritten: UInt64 = 0

    private let archive: OpaquePointer
    private let drain: ArchiveDrain
    private let format: CompressionFormat
    private var codec: String { format.rawValue }
    private var state = SinkState.open

    /// `level` nil leaves libarchive's default for the codec; see `CompressionFormat.writeLevels`.
    public init(downstream: ByteSink, codec format: CompressionFormat, level: Int32? = nil) throws(OutputError) {
        name = downstream.name
        self.format = format
        drain = ArchiveDrain(downstream: downstream)
        func failure(_ detail: String) -> OutputError {
            OutputError(path: downstream.name, offset: 0, reason: .compressionFailed(codec: format.rawValue, detail: detail))
        }
        let addFilter: (OpaquePointer?) -> Int32
        switch format {
        case .bzip2: addFilter = archive_write_add_filter_bzip2
        case .xz: addFilter = archive_write_add_filter_xz
        case .lzma: addFilter = archive_write_add_filter_lzma
        case .lz4: addFilter = archive_write_add_filter_lz4
        case .zstd: addFilter = archive_write_add_filter_zstd
        case .zlib, .gzip, .joblibZF: throw failure("not written through libarchive")
        }
        if let level { try format.validateWriteLevel(level, path: downstream.name) }
        guard let handle = archive_write_new() else { throw failure("libarchive could not start") }
        archive = handle
        // From here every stored property is set: a throw runs deinit, which frees the handle.

        // ARCHIVE_WARN means libarchive will run the codec's command-line program instead
        // of a linked library: slower, but the output is the same.
        guard addFilter(handle) >= ARCHIVE_WARN,
              archive_write_set_format_raw(handle) == ARCHIVE_OK,
              // No blocking: the downstream sink buffers, and a last block would be padded.
              archive_write_set_bytes_per_block(handle, 0) == ARCHIVE_OK,
              archive_write_set_bytes_in_last_block(handle, 1) == ARCHIVE_OK
        else { throw failure(Self.message(handle)) }
        if let level, archive_write_set_filter_option(handle, nil, "compression-level", String(level)) != ARCHIVE_OK {
            throw failure(Self.message(handle))
        }

        let opened = drain.open(handle)
        guard opened == ARCHIVE_OK else { throw drain.failure ?? failure(Self.message(handle)) }

        guard let entry = archive_entry_new() else { throw failure("libarchive could not start") }
        defer { archive_entry_free(entry) }
        // A regular file, as some libarchive versions demand of the raw format; AE_IFREG
        // (0100000) is a cast macro Swift cannot import.
        archive_entry_set_filetype(entry, 0o100000)
        guard archive_write_header(handle, entry) == ARCHIVE_OK else {
            throw drain.failure ?? failure(Self.message(handle))
        }
    }

    deinit {
        // Free would otherwise close an unfinished archive, pushing a well-formed end of
        // stream into the downstream sink. After a close, failing is harmless.
        archive_write_fail(archive)
        archive_write_free(archive)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        try state.requireOpen(path: name, offset: bytesWritten)
        guard ArchiveDrain.writeData(archive, bytes, took: { bytesWritten += UInt64($0) }) else { throw fail() }
    }

    /// Writes the end of the compressed stream, then finishes downstream.
    public func finish() throws(OutputError) {
        if state.isFinished { return }
        try state.requireOpen(path: name, offset: bytesWritten)
        if format == .lz4 && bytesWritten == 0 {
            // libarchive 3.6 writes the lz4 frame header with the first data, and closing
            // a stream that never got any digests a checksum state it never made (a crash).
            // The frame it would have written is fixed; the archive is abandoned in deinit.
            try forward(Self.emptyLZ4Frame)
        } else {
            guard archive_write_close(archive) == ARCHIVE_OK else { throw fail() }
        }
        try drain.finishDownstream(&state)
    }

    /// libarchive's lz4 settings (independent 4 MiB blocks, content checksum) with no
    /// blocks: magic, FLG 0x64, BD 0x70, header checksum, end mark, XXH32 of nothing.
    private static let emptyLZ4Frame: [UInt8] = [
        0x04, 0x22, 0x4D, 0x18, 0x64, 0x70, 0xB9, 0x00, 0x00, 0x00, 0x00, 0x05, 0x5D, 0xCC, 0x02,
    ]

    private func forward(_ bytes: [UInt8]) throws(OutputError) {
        do {
            try drain.downstream.write(bytes)
        } catch {
            state = .failed(error)
            throw error
        }
    }

    /// Ends the sink with the downstream error if there was one, else libarchive's.
    private func fail() -> OutputError {
        let error = drain.failure
            ?? OutputError(path: name, offset: bytesWritten, reason: .compressionFailed(codec: codec, detail: Self.message(archive)))
        state = .failed(error)
        return error
    }

    private static func message(_ handle: OpaquePointer) -> String {
        archive_error_string(handle).map { String(cString: $0) } ?? "libarchive error"
    }
}

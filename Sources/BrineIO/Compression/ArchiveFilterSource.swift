import CArchive

/// Decompresses bzip2, xz, lzma, lz4 and zstd streams through libarchive's filters
/// (the "raw" format: one stream, no archive entries).
public final class ArchiveFilterSource: ByteSource {
    public let name: String
    public var knownLength: UInt64? { nil }
    public private(set) var position: UInt64 = 0

    private let archive: OpaquePointer
    private let feeder: ArchiveFeeder
    private let limits: DecompressionLimits
    private let codec: String
    private var finished = false

    public init(upstream: ByteSource, codec: String, limits: DecompressionLimits = .default) throws(InputError) {
        name = upstream.name
        self.codec = codec
        self.limits = limits
        feeder = ArchiveFeeder(upstream: upstream)
        guard let handle = archive_read_new() else {
            throw InputError(path: name, offset: 0, reason: .corruptStream(codec: codec, detail: "libarchive could not start"))
        }
        archive = handle
        archive_read_support_filter_all(handle)
        archive_read_support_format_raw(handle)
        let opened = feeder.open(handle)
        var entry: OpaquePointer?
        guard opened == ARCHIVE_OK, archive_read_next_header(handle, &entry) == ARCHIVE_OK else {
            // deinit frees the handle: every stored property is set by now.
            throw feeder.failure ?? InputError(path: name, offset: 0, reason: .corruptStream(codec: codec, detail: Self.message(handle)))
        }
    }

    deinit { archive_read_free(archive) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        guard !finished, let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let got = archive_read_data(archive, base, buffer.count)
        if got < 0 {
            if let failure = feeder.failure { throw failure }
            throw InputError(path: name, offset: position, reason: .corruptStream(codec: codec, detail: Self.message(archive)))
        }
        if got == 0 { finished = true }
        position += UInt64(got)
        try limits.check(output: position, input: feeder.upstream.position, path: name)
        return got
    }

    public func skip(_ count: UInt64) throws(InputError) -> UInt64 {
        try skipByReading(count)
    }

    private static func message(_ handle: OpaquePointer) -> String {
        archive_error_string(handle).map { String(cString: $0) } ?? "unreadable stream"
    }
}

import BrineIO

/// An input file opened for parsing: the file itself, or the decompressed stream inside it
/// when its first bytes are a compression magic (joblib's `compress=` files).
public struct ArtifactStream {
    /// What parsers read: the file or its decompressed content.
    public let source: ByteSource
    /// The codec found by content, nil for an uncompressed file.
    public let compression: CompressionFormat?
    /// Size of the file on disk.
    public let fileSize: UInt64
    /// How far into the file on disk reading has come (for progress bars): the compressed
    /// offset when a decompressor reads it.
    public var filePosition: UInt64 { positionOfFile() }
    private let positionOfFile: () -> UInt64

    init(source: ByteSource, compression: CompressionFormat?, fileSize: UInt64, file: ByteSource) {
        self.source = source
        self.compression = compression
        self.fileSize = fileSize
        if let prefetching = source as? PrefetchingSource {
            positionOfFile = { prefetching.observedPosition }
        } else {
            positionOfFile = { file.position }
        }
    }

    /// Compressed files at least this large are decompressed by a second thread, ahead of
    /// the parser (for smaller ones starting a thread costs more than it saves).
    static let prefetchThreshold: UInt64 = 1 << 20

    /// Files at least this large are lent to the parser as mapped windows (smaller ones are
    /// read once into the window's buffer, where mapping would cost more than it saves).
    static let mappingThreshold: UInt64 = 8 << 20

    /// Opens `path`, detecting compression by magic bytes (never by file name). `index`, for
    /// zlib and gzip files, is filled by this pass or lets it skip (see `InflateIndex`).
    public static func open(path: String, limits: DecompressionLimits = .default, index: InflateIndex? = nil) throws(InputError) -> ArtifactStream {
        try FormatSniffer.refuseForeign(path: path)
        let file = try FileSource(path: path)
        let fileSize = file.knownLength ?? 0
        let stream = try open(file: file, fileSize: fileSize, limits: limits, index: index)
        if stream.compression != nil, fileSize >= prefetchThreshold {
            let source = PrefetchingSource(upstream: stream.source, observing: file)
            return ArtifactStream(source: source, compression: stream.compression, fileSize: fileSize, file: file)
        }
        guard stream.compression == nil, fileSize >= mappingThreshold else { return stream }
        let source = MappedFileSource(file: file)
        return ArtifactStream(source: source, compression: nil, fileSize: fileSize, file: source)
    }

    /// Opens any source that can read at an offset (a file, or one still being written).
    public static func open(file: ByteSource, fileSize: UInt64, limits: DecompressionLimits = .default,
                            index: InflateIndex? = nil) throws(InputError) -> ArtifactStream {
        let magic = UnsafeMutableRawBufferPointer.allocate(byteCount: CompressionFormat.magicLength, alignment: 1)
        defer { magic.deallocate() }
        let got = try file.read(at: 0, into: magic)
        let format = CompressionFormat.detect(UnsafeRawBufferPointer(rebasing: magic[..<got]))
        guard let format else {
            return ArtifactStream(source: file, compression: nil, fileSize: fileSize, file: file)
        }
        return ArtifactStream(source: try openDecompressed(file, format: format, limits: limits, index: index), compression: format, fileSize: fileSize, file: file)
    }
}

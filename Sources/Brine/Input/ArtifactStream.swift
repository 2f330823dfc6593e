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
        if stream.compression == .joblibZF, let what = try joblibSideFile(path: path, limits: limits) {
            throw InputError(path: path, offset: 0, reason: .unsupportedFormat(what: what))
        }
        if stream.compression != nil, fileSize >= prefetchThreshold {
            let source = PrefetchingSource(upstream: stream.source, observing: file)
            return ArtifactStream(source: source, compression: stream.compression, fileSize: fileSize, file: file)
        }
        guard stream.compression == nil, fileSize >= mappingThreshold else { return stream }
        let source = MappedFileSource(file: file)
        return ArtifactStream(source: source, compression: nil, fileSize: fileSize, file: source)
    }

    /// What a joblib ZF file holds when it is no pickle: joblib < 0.10 wrote each large array
    /// beside the pickle, as `name.pkl_01.npy.z` (ZF-compressed raw array data; its dtype
    /// and shape are in the pickle's ZNDArrayWrapper) or, in early versions, as a
    /// ZF-compressed `.npy`. nil for a pickle. Its first bytes are inflated on their own, leaving the
    /// stream the parser reads untouched.
    static func joblibSideFile(path: String, limits: DecompressionLimits) throws(InputError) -> String? {
        let file = try FileSource(path: path)
        let stream = try openDecompressed(file, format: .joblibZF, limits: limits)
        let head = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 1)
        defer { head.deallocate() }
        let got = try stream.readFully(into: head)
        let bytes = Array(head[..<got])
        if bytes.count >= 2, bytes[0] == 0x80, (2...5).contains(bytes[1]) { return nil }
        if BundleWalker.looksLikeProtocol0Pickle(bytes) { return nil }
        // The header's declared length: "ZF0x1a2b   ".
        let header = UnsafeMutableRawBufferPointer.allocate(byteCount: CompressionFormat.joblibZFHeaderLengths.lowerBound, alignment: 1)
        defer { header.deallocate() }
        let headerBytes = try file.read(at: 0, into: header)
        let digits = String(decoding: header[min(4, headerBytes)..<headerBytes].prefix { $0 != UInt8(ascii: " ") }, as: UTF8.self)
        let size = UInt64(digits, radix: 16).map { ", \(ByteFormat.human($0)) once inflated" } ?? ""
        if bytes.starts(with: NpyReader.magic) {
            return "a ZF-compressed .npy array (a side file early joblib versions wrote beside the pickle\(size)); joblib.load reads it through that pickle, which Brine reads"
        }
        return "joblib < 0.10's array side file (`name.pkl_01.npy.z`: ZF-compressed raw array data\(size), whose dtype and shape "
            + "are in the pickle beside it); joblib.load reads it through that pickle, which Brine reads"
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

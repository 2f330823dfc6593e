/// Opens the decompressed view of `source` for a detected `format`.
/// `index` is handed to zlib and gzip streams (see `ZlibSource`); other codecs ignore it.
public func openDecompressed(
    _ source: ByteSource, format: CompressionFormat, limits: DecompressionLimits = .default, index: InflateIndex? = nil
) throws(InputError) -> ByteSource {
    switch format {
    case .zlib:
        return try ZlibSource(upstream: source, container: .zlib, limits: limits, index: index)
    case .gzip:
        return try ZlibSource(upstream: source, container: .gzip, limits: limits, index: index)
    case .joblibZF:
        // "ZF" + the hex length left-justified to 19 bytes, then a zlib stream.
        guard try source.skip(UInt64(CompressionFormat.magicLength)) == UInt64(CompressionFormat.magicLength) else {
            throw InputError(path: source.name, offset: 0, reason: .corruptStream(codec: "joblib ZF", detail: "header cut short"))
        }
        return try ZlibSource(upstream: source, container: .zlib, limits: limits, index: index)
    case .bzip2, .xz, .lzma, .lz4, .zstd:
        return try ArchiveFilterSource(upstream: source, codec: format.rawValue, limits: limits)
    }
}

/// The compression levels Brine writes with, by codec.
extension CompressionFormat {
    /// The level used when the caller names none, chosen to match what joblib (or the
    /// codec's own tool) writes, so a rewritten artifact compresses like the original.
    public var defaultWriteLevel: Int32? {
        switch self {
        // joblib's BinaryZlibFile and BinaryGzipFile default to 3, not zlib's 6: joblib
        // favours dump speed, and artifacts are mostly arrays that gain little above 3.
        case .zlib, .gzip: return 3
        // joblib opens bz2.BZ2File without a level, whose default is 9 (bzip2's too).
        case .bzip2: return 9
        // joblib opens lzma.LZMAFile without a preset: liblzma's default preset 6.
        case .xz, .lzma: return 6
        // joblib's lz4.frame default is its fast mode; libarchive's level 1 is the same
        // LZ4_compress_default (levels 3 and up switch to the slow HC compressor).
        case .lz4: return 1
        // joblib has no zstd codec; 3 is the zstd tool's and library's default.
        case .zstd: return 3
        case .joblibZF: return nil
        }
    }

    /// Levels accepted for writing; nil for a format Brine does not write.
    public var writeLevels: ClosedRange<Int32>? {
        switch self {
        case .zlib, .gzip: return 0...9
        case .bzip2: return 1...9
        case .xz, .lzma: return 0...9
        // libarchive refuses 0 despite its manual page.
        case .lz4: return 1...9
        case .zstd: return 1...22
        case .joblibZF: return nil
        }
    }

    /// Checked here because libarchive reports a bad level as an "undefined option".
    func validateWriteLevel(_ level: Int32, path: String) throws(OutputError) {
        guard let range = writeLevels, range.contains(level) else {
            let allowed = writeLevels.map { "\($0.lowerBound)...\($0.upperBound)" } ?? "none"
            throw OutputError(
                path: path, offset: 0,
                reason: .compressionFailed(codec: rawValue, detail: "level \(level) is outside \(allowed)"))
        }
    }
}

/// Wraps `downstream` in a compressor for `format`, or returns `downstream` itself when
/// `format` is nil. A nil `level` means `format.defaultWriteLevel`.
///
/// `expectedSize` is accepted for callers that know the uncompressed size, and ignored:
/// every codec streams without it (libarchive's raw format neither stores nor checks an
/// entry size, and its lz4 and zstd filters write no content size).
public func openCompressing(
    _ downstream: ByteSink, format: CompressionFormat?, level: Int32? = nil, expectedSize: UInt64? = nil
) throws(OutputError) -> ByteSink {
    guard let format else { return downstream }
    switch format {
    case .zlib, .gzip:
        return try ParallelDeflateSink(
            downstream: downstream, container: format == .gzip ? .gzip : .zlib,
            level: level ?? format.defaultWriteLevel ?? 3)
    case .bzip2, .xz, .lzma, .lz4, .zstd:
        return try ArchiveFilterSink(downstream: downstream, codec: format, level: level ?? format.defaultWriteLevel)
    case .joblibZF:
        // joblib < 0.10 files: readable for old artifacts, never worth producing.
        throw OutputError(
            path: downstream.name, offset: 0,
            reason: .compressionFailed(codec: "joblib ZF", detail: "joblib ZF format is not written; choose another codec"))
    }
}

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
        var upstream = source
        let header = try joblibZFHeaderLength(&upstream)
        guard try upstream.skip(header) == header else {
            throw InputError(path: source.name, offset: 0, reason: .corruptStream(codec: "joblib ZF", detail: "header cut short"))
        }
        return try ZlibSource(upstream: upstream, container: .zlib, limits: limits, index: index)
    case .bzip2, .xz, .lzma, .lz4, .zstd:
        return try ArchiveFilterSource(upstream: source, codec: format.rawValue, limits: limits)
    }
}

/// joblib < 0.10's ZF header: "ZF", then the decompressed length as `0x…` left-justified
/// with spaces to `len(hex(2**64))` characters (joblib/numpy_pickle.py, `write_zfile`).
/// That is 19 (`'{0:#x}'.format`, joblib 0.9, and `hex()` under Python 3) or 20 (`hex()`
/// under Python 2 ends a long in `L`: joblib ≤ 0.8.4): a 21- or 22-byte header. Like joblib's
/// `read_zfile`, a space at byte 21 belongs to the header, as a zlib stream never starts
/// with one (RFC 1950: CM=8). A source that cannot read at an offset is wrapped so the
/// byte can be looked at before it is taken.
func joblibZFHeaderLength(_ source: inout ByteSource) throws(InputError) -> UInt64 {
    let short = UInt64(CompressionFormat.joblibZFHeaderLengths.lowerBound)
    let byte: UInt8?
    if source.supportsRandomAccess {
        var one: UInt8 = 0
        let at = source.position &+ short
        let got = try withUnsafeMutableBytes(of: &one) { buffer throws(InputError) in try source.read(at: at, into: buffer) }
        byte = got == 1 ? one : nil
    } else {
        let peekable = source as? PeekableSource ?? PeekableSource(source)
        source = peekable
        let head = try peekable.peek(Int(short) + 1)
        byte = head.count > Int(short) ? head[Int(short)] : nil
    }
    return byte == UInt8(ascii: " ") ? short + 1 : short
}

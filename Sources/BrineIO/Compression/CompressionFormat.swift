/// Compressed stream formats Brine recognises by their magic bytes, never by file name.
public enum CompressionFormat: String, Sendable, CaseIterable {
    /// A raw zlib stream: joblib's `compress=('zlib', n)` and `compress=n`.
    case zlib
    case gzip
    case bzip2
    case xz
    /// The legacy `.lzma` ("alone") container, joblib's `lzma` codec.
    case lzma
    /// LZ4 frame format, joblib's `lz4` codec.
    case lz4
    case zstd
    /// joblib < 0.10's `ZF` header (hex length) followed by a zlib stream.
    case joblibZF

    /// Bytes of a stream's start needed to tell every format apart.
    public static let magicLength = 21

    /// joblib's ZF header is 21 bytes (joblib 0.9; any joblib under Python 3) or 22
    /// (joblib ≤ 0.8.4 under Python 2): see `joblibZFHeaderLength`.
    public static let joblibZFHeaderLengths = 21...22

    /// How text output names a codec found by content (JSON keeps `rawValue`, which
    /// docs/json-schema.md lists): `joblibZF` is joblib < 0.10's own zlib container.
    public static func displayName(_ rawValue: String) -> String {
        rawValue == CompressionFormat.joblibZF.rawValue ? "joblib 0.9 zfile" : rawValue
    }

    /// "bzip2-compressed"; "joblib 0.9 zfile (zlib)" for joblib's ZF container.
    public static func compressedPhrase(_ rawValue: String) -> String {
        rawValue == CompressionFormat.joblibZF.rawValue ? displayName(rawValue) + " (zlib)" : rawValue + "-compressed"
    }

    /// The format whose magic `prefix` starts with, or nil for uncompressed data.
    public static func detect(_ prefix: UnsafeRawBufferPointer) -> CompressionFormat? {
        func starts(_ magic: [UInt8]) -> Bool {
            prefix.count >= magic.count && zip(prefix, magic).allSatisfy { $0 == $1 }
        }
        if starts([0x1F, 0x8B]) { return .gzip }
        if starts([0x42, 0x5A, 0x68]) { return .bzip2 }
        if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .xz }
        if starts([0x04, 0x22, 0x4D, 0x18]) { return .lz4 }
        if starts([0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
        if starts([0x5A, 0x46, 0x30, 0x78]) { return .joblibZF }  // "ZF0x"
        // lzma-alone: properties byte 0x5D with a 64 KiB..4 GiB dictionary size.
        if starts([0x5D, 0x00, 0x00]) { return .lzma }
        // zlib: CM=8 and the header checksum (a multiple of 31). A pickle starts
        // with 0x80 or an ASCII opcode, so 0x78 cannot be confused with one. No preset
        // dictionary (FDICT, 0x20): neither zlib's callers here nor joblib can supply one, and
        // with it the printable headers are text ("x ", "x?", "x}": a meson.build starting
        // `x = …`); without it the only printable one is "x^", zlib's own level-1 header.
        if prefix.count >= 2, prefix[0] == 0x78, prefix[1] & 0x20 == 0,
           (UInt16(prefix[0]) << 8 | UInt16(prefix[1])) % 31 == 0 {
            return .zlib
        }
        return nil
    }
}

import BrineIO
import Crypto

/// SHA-256 fed in chunks, as lowercase hex: the artifact hash an SBOM and a conversion record.
/// swift-crypto does the hashing (BoringSSL's assembly on Linux); this type only fixes the
/// one spelling of a digest that reports print.
public struct SHA256Digest {
    private var hasher = Crypto.SHA256()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    /// The digest as 64 lowercase hex digits.
    public mutating func finish() -> String {
        Self.hex(hasher.finalize())
    }

    /// The SHA-256 of a whole file, read in 1 MiB chunks (bounded memory on any size).
    public static func file(_ path: String) throws(InputError) -> String {
        var hash = SHA256Digest()
        try FileSource(path: path).readChunks { hash.update($0) }
        return hash.finish()
    }

    private static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

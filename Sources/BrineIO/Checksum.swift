import CZlib

/// CRC-32 as zip records it (zlib's `crc32`), updated chunk by chunk.
public struct CRC32: Sendable {
    public private(set) var value: UInt32 = 0

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var base = bytes.baseAddress?.assumingMemoryBound(to: Bytef.self) else { return }
        var remaining = bytes.count
        var crc = uLong(value)
        while remaining > 0 {
            let chunk = min(remaining, Int(UInt32.max))
            crc = crc32(crc, base, uInt(chunk))
            base += chunk
            remaining -= chunk
        }
        value = UInt32(truncatingIfNeeded: crc)
    }

    public static func of(_ bytes: [UInt8]) -> UInt32 {
        var crc = CRC32()
        bytes.withUnsafeBytes { crc.update($0) }
        return crc.value
    }
}

/// Collects everything written in memory: small rewritten records (a checkpoint's
/// `data.pkl`) that must be measured and checksummed before they are placed in a file.
public final class MemorySink: ByteSink {
    public private(set) var bytes: [UInt8] = []
    public var bytesWritten: UInt64 { UInt64(bytes.count) }

    public init() {}

    public func write(_ buffer: UnsafeRawBufferPointer) throws(OutputError) {
        bytes.append(contentsOf: buffer)
    }

    public func finish() throws(OutputError) {}
}

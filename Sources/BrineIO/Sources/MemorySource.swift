/// Bytes already in memory, for library users who hold a pickle as `[UInt8]` and for tests.
/// `chunkLimit` caps each `read`, so tests can force every window refill path.
public final class MemorySource: ByteSource {
    public let name: String
    public let bytes: [UInt8]
    public private(set) var position: UInt64 = 0
    private let chunkLimit: Int

    public init(_ bytes: [UInt8], name: String = "<memory>", chunkLimit: Int = .max) {
        self.bytes = bytes
        self.name = name
        self.chunkLimit = max(1, chunkLimit)
    }

    public var knownLength: UInt64? { UInt64(bytes.count) }
    public var supportsRandomAccess: Bool { true }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        let start = Int(position)
        let count = min(buffer.count, bytes.count - start, chunkLimit)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[start..<(start + count)]))
        }
        position += UInt64(count)
        return count
    }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        guard offset < UInt64(bytes.count) else { return 0 }
        let start = Int(offset)
        let count = min(buffer.count, bytes.count - start)
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[start..<(start + count)]))
        }
        return count
    }

    public func skip(_ count: UInt64) throws(InputError) -> UInt64 {
        let skipped = min(count, UInt64(bytes.count) - position)
        position += skipped
        return skipped
    }
}

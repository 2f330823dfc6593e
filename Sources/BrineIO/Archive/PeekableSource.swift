/// A forward source whose first bytes can be looked at before a parser takes them, so a
/// stream's kind is decided by content without reading it twice.
public final class PeekableSource: ByteSource {
    public let upstream: ByteSource
    public var name: String { upstream.name }
    public var knownLength: UInt64? { upstream.knownLength }
    public private(set) var position: UInt64 = 0
    private var pending: [UInt8] = []
    private var pendingStart = 0

    public init(_ upstream: ByteSource) {
        self.upstream = upstream
    }

    /// Up to `count` bytes from the current position, without consuming them (fewer only
    /// at the end of the stream).
    public func peek(_ count: Int) throws(InputError) -> [UInt8] {
        if pendingStart > 0 {
            pending.removeFirst(pendingStart)
            pendingStart = 0
        }
        if pending.count < count {
            var more = [UInt8](repeating: 0, count: count - pending.count)
            var failure: InputError?
            let got = more.withUnsafeMutableBytes { buffer -> Int in
                do throws(InputError) { return try upstream.readFully(into: buffer) } catch { failure = error; return 0 }
            }
            if let failure { throw failure }
            pending += more[..<got]
        }
        return Array(pending.prefix(count))
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        guard buffer.count > 0 else { return 0 }
        if pendingStart < pending.count {
            let count = min(buffer.count, pending.count - pendingStart)
            pending.withUnsafeBytes { bytes in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[pendingStart..<(pendingStart + count)]))
            }
            pendingStart += count
            position += UInt64(count)
            return count
        }
        let got = try upstream.read(into: buffer)
        position += UInt64(got)
        return got
    }

    public func skip(_ count: UInt64) throws(InputError) -> UInt64 { try skipByReading(count) }
}

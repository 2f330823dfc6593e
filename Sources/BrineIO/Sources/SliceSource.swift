/// A byte range of a random-access source, read in place with positional reads: a stored
/// zip entry, or the tail of a file after a header. Offsets it reports are the absolute
/// offsets of the underlying file, so errors point at the right byte.
public final class SliceSource: ByteSource {
    public let name: String
    private let base: ByteSource
    /// Absolute offset of the slice's first byte.
    public let start: UInt64
    public let length: UInt64
    private var consumed: UInt64 = 0

    /// `start + length` must lie within `base`; the caller checks it against the file size.
    public init(_ base: ByteSource, start: UInt64, length: UInt64) {
        precondition(base.supportsRandomAccess, "SliceSource needs a random-access source")
        self.base = base
        self.name = base.name
        self.start = start
        self.length = length
    }

    public var knownLength: UInt64? { length }
    /// Offsets are slice-relative, as every parser above expects of a stream.
    public var position: UInt64 { consumed }
    public var supportsRandomAccess: Bool { true }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        let got = try read(at: consumed, into: buffer)
        consumed += UInt64(got)
        return got
    }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        guard offset < length else { return 0 }
        let count = Int(min(UInt64(buffer.count), length - offset))
        let got = try base.read(at: start + offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<count]))
        return got
    }

    public func skip(_ count: UInt64) throws(InputError) -> UInt64 {
        let skipped = min(count, length - consumed)
        consumed += skipped
        return skipped
    }
}

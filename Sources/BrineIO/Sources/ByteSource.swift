/// A forward stream of bytes: a file, or the output of a decompressor.
///
/// Sources are classes because they own OS or C resources that `deinit` releases.
public protocol ByteSource: AnyObject {
    /// The name shown in error messages, usually the path the user gave.
    var name: String { get }
    /// Total length when known before reading (regular files); `nil` for streams.
    var knownLength: UInt64? { get }
    /// Bytes consumed so far (the offset of the next byte `read` returns).
    var position: UInt64 { get }
    /// Reads up to `buffer.count` bytes; returns 0 only at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int
    /// Moves forward `count` bytes without handing them out; returns how many were skipped
    /// (fewer only at the end of the stream).
    func skip(_ count: UInt64) throws(InputError) -> UInt64
    /// Whether `read(at:into:)` works: true for files, false for decompressed streams.
    var supportsRandomAccess: Bool { get }
    /// Reads at an absolute offset without moving `position`. Only when `supportsRandomAccess`.
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int
}

extension ByteSource {
    public var supportsRandomAccess: Bool { false }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        throw InputError(path: name, offset: offset, reason: .readFailed(errno: 29 /* ESPIPE */))
    }

    /// Skipping by reading into a scratch buffer: the only way through a compressed stream.
    public func skipByReading(_ count: UInt64) throws(InputError) -> UInt64 {
        var remaining = count
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { scratch.deallocate() }
        while remaining > 0 {
            let chunk = UnsafeMutableRawBufferPointer(rebasing: scratch[..<Int(min(remaining, UInt64(scratch.count)))])
            let got = try read(into: chunk)
            if got == 0 { break }
            remaining -= UInt64(got)
        }
        return count - remaining
    }

    /// Reads to the end, handing each chunk (at most 1 MiB, one buffer reused) to `body`:
    /// for checksums and digests of a whole source in bounded memory.
    public func readChunks(_ body: (UnsafeRawBufferPointer) -> Void) throws(InputError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let got = try read(into: buffer)
            if got == 0 { return }
            body(UnsafeRawBufferPointer(rebasing: buffer[..<got]))
        }
    }

    /// Fills `buffer` completely unless the stream ends first; returns the bytes read.
    public func readFully(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        var filled = 0
        while filled < buffer.count {
            let got = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if got == 0 { break }
            filled += got
        }
        return filled
    }
}

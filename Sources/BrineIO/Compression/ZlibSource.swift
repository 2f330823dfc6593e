import CZlib

/// Inflates a zlib, gzip or raw deflate stream (a zip entry) from an upstream source, streaming.
public final class ZlibSource: ByteSource {
    public enum Container: Sendable { case zlib, gzip, rawDeflate }

    public let name: String
    public var knownLength: UInt64? { nil }
    public private(set) var position: UInt64 = 0

    private let upstream: ByteSource
    private let limits: DecompressionLimits
    private let codec: String
    /// Heap-allocated because zlib keeps a pointer back to its `z_stream` and checks it.
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var finished = false
    private var upstreamEnded = false

    public init(upstream: ByteSource, container: Container, limits: DecompressionLimits = .default) throws(InputError) {
        self.upstream = upstream
        self.limits = limits
        name = upstream.name
        codec = container == .gzip ? "gzip" : container == .rawDeflate ? "deflate" : "zlib"
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(byteCount: 1 << 18, alignment: 16)
        let windowBits: Int32 = container == .gzip ? 15 + 16 : container == .rawDeflate ? -15 : 15
        let status = inflateInit2_(stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            // deinit frees both buffers (every property is set); inflateEnd ignores a
            // stream whose init failed.
            throw InputError(path: name, offset: 0, reason: .corruptStream(codec: codec, detail: "zlib refused to start (\(status))"))
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        guard !finished, let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
        stream.pointee.next_out = out.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(min(buffer.count, Int(UInt32.max)))
        while stream.pointee.avail_out > 0 {
            if stream.pointee.avail_in == 0 && !upstreamEnded {
                let got = try upstream.read(into: input)
                if got == 0 { upstreamEnded = true }
                stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(got)
            }
            let before = stream.pointee.avail_out
            let status = inflate(stream, Z_NO_FLUSH)
            if status == Z_STREAM_END {
                finished = true
                break
            }
            if status == Z_BUF_ERROR && upstreamEnded && stream.pointee.avail_in == 0 {
                throw corrupt("stream cut short before its end marker")
            }
            if status != Z_OK && status != Z_BUF_ERROR {
                let detail = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                throw corrupt(detail)
            }
            if before == stream.pointee.avail_out && upstreamEnded && stream.pointee.avail_in == 0 {
                throw corrupt("stream cut short before its end marker")
            }
        }
        let produced = buffer.count - Int(stream.pointee.avail_out)
        position += UInt64(produced)
        try limits.check(output: position, input: upstream.position, path: name)
        return produced
    }

    public func skip(_ count: UInt64) throws(InputError) -> UInt64 {
        try skipByReading(count)
    }

    private func corrupt(_ detail: String) -> InputError {
        InputError(path: name, offset: position, reason: .corruptStream(codec: codec, detail: detail))
    }
}

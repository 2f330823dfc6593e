import CZlib

/// Inflates a zlib, gzip or raw deflate stream (a zip entry) from an upstream source, streaming.
public final class ZlibSource: ByteSource {
    public enum Container: Sendable { case zlib, gzip, rawDeflate }

    public let name: String
    public var knownLength: UInt64? { nil }
    public private(set) var position: UInt64 = 0
    /// Bytes actually inflated: less than `position` once a skip jumped through an index.
    public private(set) var bytesInflated: UInt64 = 0

    private let upstream: ByteSource
    private let limits: DecompressionLimits
    private let codec: String
    /// Heap-allocated because zlib keeps a pointer back to its `z_stream` and checks it.
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var finished = false
    private var upstreamEnded = false
    /// Upstream offsets of `input[0]` and one past its last valid byte.
    private var inputStart: UInt64 = 0
    private var inputEnd: UInt64 = 0
    /// Records resume points while inflating (a first pass), or serves skips from a complete one.
    private let index: InflateIndex?
    /// True when this source fills `index` (it was given an empty one); it never jumps then.
    private let recording: Bool
    /// Recording block starts too: inflate then returns at every block end (`Z_BLOCK`),
    /// until the index gives up on them.
    private var recordsBlocks: Bool

    /// `index`: an empty one is filled while this source reads the whole stream; a complete
    /// one (from an earlier pass over the same file) lets `skip` jump instead of inflating.
    public init(upstream: ByteSource, container: Container, limits: DecompressionLimits = .default,
                index: InflateIndex? = nil) throws(InputError) {
        self.upstream = upstream
        self.limits = limits
        let index = index.flatMap { $0.sourceName == upstream.name ? $0 : nil }
        self.index = index
        recording = index.map { !$0.isComplete && $0.points.isEmpty } ?? false
        if recording, let index { index.container = container }
        recordsBlocks = recording && container != .rawDeflate && (index?.recordsBlocks ?? false)
        inputStart = upstream.position
        inputEnd = upstream.position
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
                inputStart = inputEnd
                inputEnd += UInt64(got)
                stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(got)
            }
            let before = stream.pointee.avail_out
            let status = inflate(stream, recordsBlocks ? Z_BLOCK : Z_NO_FLUSH)
            if recordsBlocks, status == Z_OK, let index {
                noteBlockStart(index, produced: buffer.count - Int(stream.pointee.avail_out))
                recordsBlocks = index.recordsBlocks
            }
            if status == Z_STREAM_END {
                finished = true
                if recording, let index { index.isComplete = true }
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
        bytesInflated += UInt64(produced)
        try limits.check(output: position, input: upstream.position, path: name)
        if recording, !finished, let index, position >= index.nextOutput {
            index.record(stream, output: position, input: inputEnd - UInt64(stream.pointee.avail_in))
        }
        return produced
    }


    /// At a block boundary (bit 128 of `data_type`, not in the last block: bit 64), the next
    /// block starts `data_type & 7` bits before the end of the last compressed byte consumed;
    /// `adler` then holds the check of everything inflated so far.
    private func noteBlockStart(_ index: InflateIndex, produced: Int) {
        let type = stream.pointee.data_type
        guard type & 128 != 0, type & 64 == 0 else { return }
        let consumed = inputEnd - UInt64(stream.pointee.avail_in)
        let bit = consumed &* 8 &- UInt64(type & 7)
        index.recordBlock(output: position + UInt64(produced), bit: bit, check: UInt32(truncatingIfNeeded: stream.pointee.adler))
    }

    /// Skips by jumping to the last resume point before the target when a complete index
    /// has one well ahead; inflates the rest (or everything, without an index).
    public func skip(_ count: UInt64) throws(InputError) -> UInt64 {
        let start = position
        let (target, overflow) = position.addingReportingOverflow(count)
        if !overflow, !finished, let index, index.isComplete, !recording,
           let point = index.point(atOrBefore: target), point.output > position, point.output - position >= 1 << 16 {
            try resume(at: point)
        }
        let jumped = position - start
        return jumped + (try skipByReading(count - jumped))
    }

    /// Replaces the inflate state with a snapshot and positions the compressed input at the
    /// byte it needs next: still in `input`, or further on in the upstream.
    private func resume(at point: InflateIndex.Point) throws(InputError) {
        guard point.input >= inputStart else { return }
        inflateEnd(stream)
        guard inflateCopy(stream, point.state) == Z_OK else {
            throw corrupt("out of memory resuming inflation")
        }
        if point.input < inputEnd {
            let offset = Int(point.input - inputStart)
            stream.pointee.next_in = (input.baseAddress! + offset).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_in = uInt(inputEnd - point.input)
        } else {
            let gap = point.input - inputEnd
            let skipped = try upstream.skip(gap)
            guard skipped == gap else { throw corrupt("stream cut short before its end marker") }
            inputStart = point.input
            inputEnd = point.input
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        position = point.output
    }

    private func corrupt(_ detail: String) -> InputError {
        InputError(path: name, offset: position, reason: .corruptStream(codec: codec, detail: detail))
    }
}

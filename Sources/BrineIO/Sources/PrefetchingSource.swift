/// A stream produced by a second thread a few chunks ahead of its reader: decompression
/// (zlib inflates at ~250 MB/s here) overlaps the parsing of what it already produced.
///
/// The ring of chunks bounds the memory (`chunkCount × chunkSize`) whatever the stream's
/// size. Each chunk records the stream offset it starts at, so a skip only has to move the
/// reader's position: chunks before it are dropped, and the producer skips in the upstream
/// (where a zlib stream can jump through its `InflateIndex`) before it reads on.
public final class PrefetchingSource: ByteSource {
    public let name: String
    public var knownLength: UInt64? { nil }
    /// The reader's offset in the stream (read and skipped bytes).
    public private(set) var position: UInt64

    private let ring: PrefetchRing
    private let producer: BackgroundThread<Void>

    /// Starts reading `upstream` on a new thread now. `observed` (the compressed file under a
    /// decompressor) is read only by that thread; `observedPosition` reports it safely.
    public init(upstream: ByteSource, observing observed: ByteSource? = nil, chunkSize: Int = 1 << 20, chunkCount: Int = 4) {
        name = upstream.name
        position = upstream.position
        let ring = PrefetchRing(upstream: upstream, observed: observed, chunkSize: chunkSize, chunkCount: chunkCount)
        self.ring = ring
        producer = BackgroundThread { ring.produce() }
    }

    deinit {
        ring.stop()
        producer.join()
    }

    /// The observed source's position as of the last chunk produced (for progress bars).
    public var observedPosition: UInt64 { ring.observedPosition }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        guard buffer.count > 0 else { return 0 }
        if !producer.started { return try ring.readDirectly(into: buffer, at: &position) }
        return try ring.read(into: buffer, at: &position)
    }

    public func skip(_ count: UInt64) throws(InputError) -> UInt64 {
        if !producer.started { return try ring.skipDirectly(count, at: &position) }
        return try ring.skip(count, at: &position)
    }
}

/// What the two threads share, guarded by `lock`. A chunk counted in `ready` belongs to the
/// reader until it hands it back; the producer fills only the slot after the ready ones.
private final class PrefetchRing: @unchecked Sendable {
    private let upstream: ByteSource
    private let observed: ByteSource?
    private let lock = ConditionLock()
    private let chunks: [UnsafeMutableRawBufferPointer]
    private var starts: [UInt64]
    private var counts: [Int]
    private var readIndex = 0
    private var ready = 0
    /// Stream offset where the producer's next read lands.
    private var producerOffset: UInt64
    /// The reader wants nothing before this offset: the producer skips up to it.
    private var skipTo: UInt64 = 0
    private var producerDone = false
    private var producerError: InputError?
    private var stopping = false
    private var observedOffset: UInt64 = 0

    init(upstream: ByteSource, observed: ByteSource?, chunkSize: Int, chunkCount: Int) {
        self.upstream = upstream
        self.observed = observed
        producerOffset = upstream.position
        observedOffset = observed?.position ?? 0
        let count = max(chunkCount, 2)
        chunks = (0..<count).map { _ in .allocate(byteCount: max(chunkSize, 4096), alignment: 64) }
        starts = Array(repeating: 0, count: count)
        counts = Array(repeating: 0, count: count)
    }

    deinit {
        for chunk in chunks { chunk.deallocate() }
    }

    var observedPosition: UInt64 { lock.locked { observedOffset } }

    func stop() {
        lock.locked { stopping = true }
    }

    // MARK: reader side

    func read(into buffer: UnsafeMutableRawBufferPointer, at position: inout UInt64) throws(InputError) -> Int {
        while true {
            let chunk: (index: Int, start: UInt64, count: Int)? = lock.wait(until: { ready > 0 || producerDone }) {
                ready > 0 ? (readIndex, starts[readIndex], counts[readIndex]) : nil
            }
            guard let chunk else {
                if let error = lock.locked({ producerError }) { throw error }
                return 0
            }
            let end = chunk.start + UInt64(chunk.count)
            if end <= position {
                release()  // wholly before a skip's target
                continue
            }
            // Chunks follow each other without gaps, and a skip's target is where the producer
            // resumes, so the reader is never before a chunk it is handed.
            precondition(chunk.start <= position, "prefetch ring out of order")
            let cursor = Int(position - chunk.start)
            let count = min(chunk.count - cursor, buffer.count)
            buffer.baseAddress!.copyMemory(from: chunks[chunk.index].baseAddress! + cursor, byteCount: count)
            position += UInt64(count)
            if position == end { release() }
            return count
        }
    }

    func skip(_ count: UInt64, at position: inout UInt64) throws(InputError) -> UInt64 {
        let (sum, overflow) = position.addingReportingOverflow(count)
        let target = overflow ? UInt64.max : sum
        lock.locked {
            // Hand back what lies wholly before the target, and ask the producer to skip on.
            while ready > 0, starts[readIndex] + UInt64(counts[readIndex]) <= target {
                readIndex = (readIndex + 1) % chunks.count
                ready -= 1
            }
            skipTo = max(skipTo, target)
        }
        let reached = lock.wait(until: { producerOffset >= target || producerDone }) { min(producerOffset, target) }
        let from = position
        position = max(position, reached)
        if position < target, let error = lock.locked({ producerError }) { throw error }
        return position - from
    }

    private func release() {
        lock.locked {
            readIndex = (readIndex + 1) % chunks.count
            ready -= 1
        }
    }

    /// Without a producer thread (the system refused one): the reader reads upstream itself.
    func readDirectly(into buffer: UnsafeMutableRawBufferPointer, at position: inout UInt64) throws(InputError) -> Int {
        let got = try upstream.read(into: buffer)
        position += UInt64(got)
        return got
    }

    func skipDirectly(_ count: UInt64, at position: inout UInt64) throws(InputError) -> UInt64 {
        let skipped = try upstream.skip(count)
        position += skipped
        return skipped
    }

    // MARK: producer side

    func produce() {
        while true {
            enum Step { case stop, skip(UInt64), read(slot: Int) }
            let step: Step = lock.wait(until: { stopping || (!producerDone && (ready < chunks.count || skipTo > producerOffset)) }) {
                if stopping { return .stop }
                if skipTo > producerOffset { return .skip(skipTo - producerOffset) }
                return .read(slot: (readIndex + ready) % chunks.count)
            }
            switch step {
            case .stop:
                return
            case .skip(let count):
                var result: Result<UInt64, InputError>
                do { result = .success(try upstream.skip(count)) } catch { result = .failure(error) }
                let position = observed?.position
                lock.locked {
                    switch result {
                    case .success(let skipped):
                        producerOffset += skipped
                        if skipped < count { producerDone = true }
                    case .failure(let error):
                        producerError = error
                        producerDone = true
                    }
                    if let position { observedOffset = position }
                }
            case .read(let slot):
                let offset = lock.locked { producerOffset }
                var result: Result<Int, InputError>
                do { result = .success(try upstream.read(into: chunks[slot])) } catch { result = .failure(error) }
                let position = observed?.position
                lock.locked {
                    switch result {
                    case .success(let got) where got > 0:
                        starts[slot] = offset
                        counts[slot] = got
                        producerOffset = offset + UInt64(got)
                        ready += 1
                    case .success:
                        producerDone = true
                    case .failure(let error):
                        producerError = error
                        producerDone = true
                    }
                    if let position { observedOffset = position }
                }
            }
        }
    }
}

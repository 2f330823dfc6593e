#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file read ahead by a second thread, so the kernel's copy of the next chunks overlaps
/// the parsing of this one (on a warm cache that copy is a fifth of a single-threaded scan).
///
/// A small ring of fixed chunks bounds the memory: `chunkCount × chunkSize` bytes more than
/// the file source itself, whatever the file's size. The consumer side is a `ByteSource`
/// used from one thread; the producer thread touches only the file and the ring.
public final class ReadAheadSource: ByteSource {
    public let name: String
    public let knownLength: UInt64?
    public var position: UInt64 { ring.position }
    public var supportsRandomAccess: Bool { true }

    private let ring: ReadAheadRing
    private let producer: BackgroundThread<Void>

    /// Wraps `file` (read from its current position on); the producer starts at once.
    public init(file: FileSource, chunkSize: Int = 2 << 20, chunkCount: Int = 4) {
        name = file.name
        knownLength = file.knownLength
        let ring = ReadAheadRing(file: file, chunkSize: chunkSize, chunkCount: chunkCount)
        self.ring = ring
        producer = BackgroundThread { ring.produce() }
        if !producer.started { ring.readsDirectly = true }
    }

    deinit {
        ring.stop()
        producer.join()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        try ring.read(into: buffer)
    }

    public func skip(_ count: UInt64) throws(InputError) -> UInt64 {
        try ring.skip(count)
    }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        try ring.file.read(at: offset, into: buffer)  // pread: independent of the producer
    }
}

/// The state both threads share, guarded by `mutex`. The consumer reads the chunk at
/// `readIndex` without the lock: the producer never writes a chunk that is counted ready.
private final class ReadAheadRing: @unchecked Sendable {
    let file: FileSource
    private(set) var position: UInt64
    private let knownLength: UInt64?
    /// Set when no producer thread could start: reads then go to the file.
    var readsDirectly = false
    private let chunkSize: Int
    private let chunks: [UnsafeMutableRawBufferPointer]
    /// Valid bytes of each chunk, and the file offset each one starts at.
    private var filled: [Int]
    /// Ring indices: `readIndex` is the consumer's chunk, `ready` how many are filled.
    private var readIndex = 0
    private var readCursor = 0
    private var ready = 0
    private var producerOffset: UInt64
    private var producerError: InputError?
    private var producerDone = false
    private var stopping = false
    /// Bumped by a skip beyond the buffered bytes: chunks of an older generation are dropped.
    private var generation = 0

    // Heap-allocated: pthread objects must not move, and a class's stored property has no
    // stable address to hand to C.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init(file: FileSource, chunkSize: Int, chunkCount: Int) {
        self.file = file
        knownLength = file.knownLength
        position = file.position
        producerOffset = file.position
        self.chunkSize = max(chunkSize, 4096)
        chunks = (0..<max(chunkCount, 2)).map { _ in .allocate(byteCount: max(chunkSize, 4096), alignment: 64) }
        filled = Array(repeating: 0, count: chunks.count)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
    }

    func stop() {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
    }

    deinit {
        for chunk in chunks { chunk.deallocate() }
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        guard buffer.count > 0 else { return 0 }
        if readsDirectly {
            let got = try file.read(at: position, into: buffer)
            position += UInt64(got)
            return got
        }
        pthread_mutex_lock(mutex)
        while ready == 0 && !producerDone { pthread_cond_wait(changed, mutex) }
        if ready == 0 {
            let error = producerError
            pthread_mutex_unlock(mutex)
            if let error { throw error }
            return 0
        }
        let chunkEnd = filled[readIndex]
        pthread_mutex_unlock(mutex)
        // The consumer owns chunk `readIndex` until it hands it back below.
        let count = min(chunkEnd - readCursor, buffer.count)
        buffer.baseAddress!.copyMemory(from: chunks[readIndex].baseAddress! + readCursor, byteCount: count)
        readCursor += count
        position += UInt64(count)
        if readCursor == chunkEnd {
            pthread_mutex_lock(mutex)
            readIndex = (readIndex + 1) % chunks.count
            readCursor = 0
            ready -= 1
            pthread_cond_broadcast(changed)
            pthread_mutex_unlock(mutex)
        }
        return count
    }

    func skip(_ count: UInt64) throws(InputError) -> UInt64 {
        let end = knownLength ?? 0
        let (target, overflow) = position.addingReportingOverflow(count)
        let newPosition = overflow ? end : min(target, end)
        pthread_mutex_lock(mutex)
        // Within the chunks already read: hand them back as if consumed.
        var skipped: UInt64 = 0
        while ready > 0, newPosition > position {
            let available = UInt64(filled[readIndex] - readCursor)
            let step = min(available, newPosition - position)
            readCursor += Int(step)
            position += step
            skipped += step
            if readCursor == filled[readIndex] {
                readIndex = (readIndex + 1) % chunks.count
                readCursor = 0
                ready -= 1
            }
        }
        if newPosition > position {
            // Beyond them: the producer restarts at the new place.
            generation += 1
            ready = 0
            readCursor = 0
            readIndex = 0
            producerOffset = newPosition
            producerDone = false
            producerError = nil
            skipped += newPosition - position
            position = newPosition
        }
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
        return skipped
    }

    /// The producer: fills free chunks in order with `pread` until the end of the file.
    func produce() {
        pthread_mutex_lock(mutex)
        while !stopping {
            guard !producerDone, ready < chunks.count else {
                pthread_cond_wait(changed, mutex)
                continue
            }
            let slot = (readIndex + ready) % chunks.count
            let offset = producerOffset
            let myGeneration = generation
            pthread_mutex_unlock(mutex)
            var result: Result<Int, InputError>
            do { result = .success(try file.read(at: offset, into: chunks[slot])) } catch { result = .failure(error) }
            pthread_mutex_lock(mutex)
            guard myGeneration == generation else { continue }  // a skip moved on meanwhile
            switch result {
            case .success(let got) where got > 0:
                filled[slot] = got
                producerOffset = offset + UInt64(got)
                ready += 1
            case .success:
                producerDone = true
            case .failure(let error):
                producerError = error
                producerDone = true
            }
            pthread_cond_broadcast(changed)
        }
        pthread_mutex_unlock(mutex)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How far a file being written has reached, for a reader on another thread that follows
/// it (verifying an output while it is written). The writer publishes; the reader waits.
public final class WriteProgress: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var published: UInt64 = 0
    private var state = State.writing

    public enum State: Equatable, Sendable {
        case writing
        /// Every byte is published.
        case complete
        /// The writer gave up; the reader should stop.
        case abandoned
    }

    public init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    /// Bytes `[0, count)` of the file are written and readable.
    public func publish(_ count: UInt64) {
        update { if count > published { published = count } }
    }

    public func complete() { update { if state == .writing { state = .complete } } }

    public func abandon() { update { state = .abandoned } }

    /// Waits until more than `offset` bytes are published or writing stopped; returns the
    /// bytes published and the state then.
    public func wait(beyond offset: UInt64) -> (published: UInt64, state: State) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while published <= offset && state == .writing { pthread_cond_wait(changed, mutex) }
        return (published, state)
    }

    private func update(_ body: () -> Void) {
        pthread_mutex_lock(mutex)
        body()
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
    }
}

/// How far a file being written has reached, for a reader on another thread that follows
/// it (verifying an output while it is written). The writer publishes; the reader waits.
public final class WriteProgress: @unchecked Sendable {
    private let lock = ConditionLock()
    private var published: UInt64 = 0
    private var state = State.writing

    public enum State: Equatable, Sendable {
        case writing
        /// Every byte is published.
        case complete
        /// The writer gave up; the reader should stop.
        case abandoned
    }

    public init() {}

    /// Bytes `[0, count)` of the file are written and readable.
    public func publish(_ count: UInt64) {
        lock.locked { if count > published { published = count } }
    }

    public func complete() { lock.locked { if state == .writing { state = .complete } } }

    public func abandon() { lock.locked { state = .abandoned } }

    /// Waits until more than `offset` bytes are published or writing stopped; returns the
    /// bytes published and the state then.
    public func wait(beyond offset: UInt64) -> (published: UInt64, state: State) {
        lock.wait(until: { published > offset || state != .writing }) { (published, state) }
    }
}

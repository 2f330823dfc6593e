#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One body run on its own POSIX thread, joined for its result. Brine uses two cores at
/// most (read-ahead, verifying while writing), so plain threads serve better than a pool.
public final class BackgroundThread<Result: Sendable>: @unchecked Sendable {
    private var thread: pthread_t?
    private var result: Result?
    private let body: @Sendable () -> Result

    /// Starts `body` now; if no thread can be created it runs at `join()` instead.
    public init(_ body: @escaping @Sendable () -> Result) {
        self.body = body
        thread = spawnThread { [self] in result = self.body() }
    }

    /// False when the system refused a thread: the body then runs in `join()`.
    public var started: Bool { thread != nil }

    /// Waits for the body and returns what it returned. Call once.
    public func join() -> Result {
        if let thread {
            pthread_join(thread, nil)
            self.thread = nil
        }
        if let result { return result }
        let value = body()
        result = value
        return value
    }
}

/// What a new thread runs, handed over as its one pointer argument.
private final class ThreadEntry {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Starts `run` on a new joinable thread; nil when the system refuses one.
private func spawnThread(_ run: @escaping () -> Void) -> pthread_t? {
    let box = Unmanaged.passRetained(ThreadEntry(run)).toOpaque()
    var handle = pthread_t()
    guard pthread_create(&handle, nil, { raw in
        Unmanaged<ThreadEntry>.fromOpaque(raw!).takeRetainedValue().run()
        return nil
    }, box) == 0 else {
        Unmanaged<ThreadEntry>.fromOpaque(box).release()
        return nil
    }
    return handle
}

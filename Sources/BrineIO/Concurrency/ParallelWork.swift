#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Independent jobs spread over a fixed number of threads. Each result lands at its job's
/// index, so what callers build from them does not depend on which thread ran what.
public enum ParallelWork {
    /// Processors this process may run on now (`--jobs` default).
    public static var activeProcessors: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// `body(index)` for every index in `0..<count` on up to `jobs` threads (the calling one
    /// included), taking indices in `order` (largest job first keeps the threads finishing
    /// together); returns the results by index. With `jobs <= 1` it runs inline, in order.
    public static func map<T: Sendable>(count: Int, jobs: Int, order: [Int]? = nil, _ body: @escaping @Sendable (Int) -> T) -> [T] {
        let sequence = order ?? Array(0..<count)
        precondition(sequence.count == count, "order must name every index once")
        guard jobs > 1, count > 1 else { return sequence.sorted().map(body) }
        let slots = Slots<T>(count: count)
        let next = Atomic<Int>(0)
        let work: @Sendable () -> Void = {
            while true {
                let position = next.add(1, ordering: .relaxed).oldValue
                guard position < sequence.count else { return }
                let index = sequence[position]
                slots.store(body(index), at: index)
            }
        }
        let threads = (1..<min(jobs, count)).map { _ in BackgroundThread(work) }
        work()
        for thread in threads { thread.join() }
        return slots.take()
    }
}

/// One write per slot, from whichever thread ran that job; read after every thread joined.
private final class Slots<T>: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<T?>

    init(count: Int) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: nil)
    }

    deinit {
        storage.deinitialize()
        storage.deallocate()
    }

    func store(_ value: T, at index: Int) { storage[index] = value }

    /// Moves the results out (a copy of each would retain and release everything inside it,
    /// a tenth of a many-file walk's serial tail); the slots are left empty.
    func take() -> [T] {
        var results: [T] = []
        results.reserveCapacity(storage.count)
        for index in storage.indices {
            results.append((storage.baseAddress! + index).move()!)
            (storage.baseAddress! + index).initialize(to: nil)
        }
        return results
    }
}

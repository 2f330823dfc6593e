import Foundation

/// A mutex with a closure API.
final class NSLockLike: @unchecked Sendable {
    private let lock = NSLock()

    func with<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}

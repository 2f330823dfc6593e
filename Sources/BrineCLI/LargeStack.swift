#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a command on a thread with a large stack. Report building, text rendering, JSON
/// encoding and strip verification recurse once per nesting level of the artifact; the
/// machine refuses nesting past `--max-depth` (at most `LimitOptions.depthCeiling`), and
/// this stack is sized so that ceiling fits even under AddressSanitizer. The memory is
/// reserved, not touched: only the pages a deep input uses count in RSS.
enum LargeStack {
    static let bytes = 1 << 30

    /// Runs `body` to completion on the large-stack thread and returns its status.
    static func run(_ body: @escaping () -> Int32) -> Int32 {
        let box = Box(body)
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        guard pthread_attr_setstacksize(&attributes, bytes) == 0 else { return body() }
        var thread = pthread_t()
        let context = Unmanaged.passRetained(box).toOpaque()
        let created = pthread_create(&thread, &attributes, { context in
            let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
            box.result = box.body()
            return nil
        }, context)
        guard created == 0 else {
            Unmanaged<Box>.fromOpaque(context).release()
            return body()
        }
        pthread_join(thread, nil)
        return box.result
    }

    private final class Box: @unchecked Sendable {
        let body: () -> Int32
        var result: Int32 = 0
        init(_ body: @escaping () -> Int32) { self.body = body }
    }
}

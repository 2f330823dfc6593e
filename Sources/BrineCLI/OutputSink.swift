#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a command writes: a buffered file descriptor, or memory for in-process tests.
public final class OutputSink: TextOutputStream {
    private let descriptor: Int32?
    private var pending: [UInt8] = []
    /// Everything written, when the sink captures instead of writing to a descriptor.
    public private(set) var captured = ""
    /// Bytes written with `write(bytes:)` (a pickle sent to `-o -`), when capturing.
    public private(set) var capturedBytes: [UInt8] = []

    /// A sink that keeps what is written in `captured`.
    public init() {
        descriptor = nil
    }

    /// A sink that writes to `descriptor` in large chunks.
    public init(descriptor: Int32) {
        self.descriptor = descriptor
        pending.reserveCapacity(1 << 16)
    }

    public static func standardOutput() -> OutputSink { OutputSink(descriptor: 1) }

    public var isStandardOutput: Bool { descriptor == 1 }
    public var isStandardError: Bool { descriptor == 2 }
    public static func standardError() -> OutputSink { OutputSink(descriptor: 2) }

    deinit { flush() }

    public func write(_ string: String) {
        guard descriptor != nil else {
            captured += string
            return
        }
        pending.append(contentsOf: string.utf8)
        if pending.count >= 1 << 16 { flush() }
    }

    /// Writes bytes as they are: binary output (`strip … -o -`) goes through the same buffer.
    public func write(bytes: UnsafeRawBufferPointer) {
        guard descriptor != nil else {
            capturedBytes.append(contentsOf: bytes)
            return
        }
        pending.append(contentsOf: bytes)
        if pending.count >= 1 << 16 { flush() }
    }

    /// Writes out what is buffered. A closed pipe (`brine dis … | head`) ends the output quietly.
    public func flush() {
        guard let descriptor, !pending.isEmpty else { return }
        pending.withUnsafeBytes { bytes in
            var written = 0
            while written < bytes.count {
                let result = Glibc.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return
                }
                written += result
            }
        }
        pending.removeAll(keepingCapacity: true)
    }
}

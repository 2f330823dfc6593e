#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Files that must not outlive the process if it is interrupted (Ctrl-C, `kill`, a CI
/// timeout) or faults on a mapped input that shrank: temporary outputs and scratch files.
///
/// A signal handler may only do async-signal-safe work, so paths are kept as C strings in
/// slots allocated up front; a slot's state is published after its path is written, so the
/// handler never unlinks a half-written name.
public enum InterruptCleanup {
    public struct Token: Sendable {
        fileprivate let slot: Int
    }

    fileprivate final class Slot: Sendable {
        /// 0 free, 1 being written, 2 holds a path to remove.
        let state = Atomic<Int>(0)
        nonisolated(unsafe) let path = UnsafeMutablePointer<CChar>.allocate(capacity: Int(PATH_MAX) + 1)
    }

    private static let slots: [Slot] = (0..<64).map { _ in Slot() }
    /// The input file being read through a mapping, named in the SIGBUS message, and where
    /// its current window sits in memory and in the file (to turn the fault into an offset).
    fileprivate static let mappedInput = Slot()
    fileprivate static let mappedAddress = Atomic<Int>(0)
    fileprivate static let mappedCount = Atomic<Int>(0)
    fileprivate static let mappedOffset = Atomic<UInt64>(0)

    /// Remembers `path` for removal on a fatal signal; nil when every slot is taken or the
    /// path is too long (the file is then only removed by normal cleanup).
    public static func register(_ path: String) -> Token? {
        for (index, slot) in slots.enumerated() {
            guard slot.state.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged else { continue }
            guard copy(path, into: slot.path) else {
                slot.state.store(0, ordering: .releasing)
                return nil
            }
            slot.state.store(2, ordering: .releasing)
            return Token(slot: index)
        }
        return nil
    }

    /// Forgets a path (it was renamed into place or removed already).
    public static func unregister(_ token: Token?) {
        guard let token else { return }
        slots[token.slot].state.store(0, ordering: .releasing)
    }

    /// Names the file a mapping reads, for the message if it shrinks under the mapping.
    static func noteMappedInput(_ path: String) {
        mappedInput.state.store(1, ordering: .releasing)
        if copy(path, into: mappedInput.path) { mappedInput.state.store(2, ordering: .releasing) }
    }

    /// Records the window a mapping currently lends (count 0: none).
    static func noteMappedWindow(address: UnsafeRawPointer?, count: Int, fileOffset: UInt64) {
        mappedCount.store(0, ordering: .releasing)
        mappedAddress.store(Int(bitPattern: address), ordering: .releasing)
        mappedOffset.store(fileOffset, ordering: .releasing)
        mappedCount.store(count, ordering: .releasing)
    }

    /// Installs the handlers: SIGINT, SIGTERM and SIGHUP remove the registered files and
    /// end the process as the signal would have; SIGBUS (a mapped input truncated by another
    /// process) removes them, prints one line and exits with status 2.
    public static func installSignalHandlers() {
        for fatal in [SIGINT, SIGTERM, SIGHUP] {
            installHandler(for: fatal) { number in
                InterruptCleanup.removeRegisteredFiles()
                signal(number, SIG_DFL)
                raise(number)
            }
        }
        var action = sigaction()
        action.__sigaction_handler.sa_sigaction = { _, info, _ in
            InterruptCleanup.removeRegisteredFiles()
            InterruptCleanup.writeError("brine: ")
            if InterruptCleanup.mappedInput.state.load(ordering: .acquiring) == 2 {
                InterruptCleanup.writeError(InterruptCleanup.mappedInput.path)
                InterruptCleanup.writeError(": ")
            }
            let base = InterruptCleanup.mappedAddress.load(ordering: .acquiring)
            let count = InterruptCleanup.mappedCount.load(ordering: .acquiring)
            if let info, count > 0, let fault = info.pointee._sifields._sigfault.si_addr.map({ Int(bitPattern: $0) }), fault >= base, fault - base < count {
                InterruptCleanup.writeError("offset ")
                InterruptCleanup.writeDecimal(InterruptCleanup.mappedOffset.load(ordering: .acquiring) &+ UInt64(fault - base))
                InterruptCleanup.writeError(": ")
            }
            InterruptCleanup.writeError("the file shrank while it was being read; read it again once nothing writes to it\n")
            _exit(2)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_SIGINFO
        sigaction(SIGBUS, &action, nil)
    }

    private static func installHandler(for signal: Int32, _ handler: @convention(c) (Int32) -> Void) {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(signal, &action, nil)
    }

    fileprivate static func removeRegisteredFiles() {
        for slot in slots where slot.state.load(ordering: .acquiring) == 2 {
            unlink(slot.path)
        }
    }

    /// Digits without allocating (a signal handler cannot call the allocator).
    fileprivate static func writeDecimal(_ value: UInt64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of stack, enough for 20 digits + NUL
        withUnsafeMutableBytes(of: &digits) { buffer in
            var index = buffer.count - 1
            buffer[index] = 0
            var rest = value
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            _ = write(2, buffer.baseAddress! + index, buffer.count - 1 - index)
        }
    }

    fileprivate static func writeError(_ text: UnsafePointer<CChar>) {
        _ = write(2, text, strlen(text))
    }

    private static func copy(_ path: String, into buffer: UnsafeMutablePointer<CChar>) -> Bool {
        let utf8 = Array(path.utf8)
        guard !utf8.isEmpty, utf8.count <= Int(PATH_MAX), !utf8.contains(0) else { return false }
        utf8.withUnsafeBufferPointer { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress!, byteCount: source.count)
        }
        buffer[utf8.count] = 0
        return true
    }
}

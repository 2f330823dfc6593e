import Foundation

/// A progress bar on stderr, drawn only on a terminal and only once a run passes a second.
final class ProgressReporter: @unchecked Sendable {
    private let enabled: Bool
    private let errors: OutputSink
    private let start = Date()
    private var drawn = false

    init(enabled: Bool, errors: OutputSink) {
        self.enabled = enabled
        self.errors = errors
    }

    /// `done` of `total` bytes of the file read.
    func update(_ done: UInt64, _ total: UInt64) {
        guard enabled, total > 0, Date().timeIntervalSince(start) > 1 else { return }
        let fraction = min(1, Double(done) / Double(total))
        let cells = Int(fraction * 30)
        errors.write("\r[" + String(repeating: "#", count: cells) + String(repeating: " ", count: 30 - cells) + "] "
                     + String(Int(fraction * 100)) + "%")
        errors.flush()
        drawn = true
    }

    func finish() {
        guard drawn else { return }
        errors.write("\r" + String(repeating: " ", count: 40) + "\r")
        errors.flush()
        drawn = false
    }
}

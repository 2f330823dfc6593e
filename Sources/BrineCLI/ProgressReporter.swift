import Brine
import Foundation

/// A progress bar on stderr with bytes/s and time left, drawn only on a terminal, never with
/// `--quiet`, and only once a run passes a second (BRINE_PROGRESS_AFTER, in seconds, changes
/// that wait; tests set 0). Redrawn at most ten times a second.
final class ProgressReporter: @unchecked Sendable {
    private let enabled: Bool
    private let errors: OutputSink
    private let label: String
    private var start = Date()
    private let delay: TimeInterval
    private var lastDraw = Date.distantPast
    private var drawn = false
    private let lock = NSLock()

    init(enabled: Bool, errors: OutputSink, label: String = "") {
        self.enabled = enabled
        self.errors = errors
        self.label = label
        delay = ProcessInfo.processInfo.environment["BRINE_PROGRESS_AFTER"].flatMap(TimeInterval.init) ?? 1
    }

    /// A bar on the process's stderr when it is a terminal and `--quiet` was not given.
    static func standard(quiet: Bool, io: CommandIO, label: String = "") -> ProgressReporter {
        ProgressReporter(enabled: !quiet && io.errors.isStandardError && isTerminal(2), errors: io.errors, label: label)
    }

    /// `done` of `total` bytes read (or packed).
    func update(_ done: UInt64, _ total: UInt64) {
        guard enabled, total > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        let elapsed = now.timeIntervalSince(start)
        guard elapsed >= delay, now.timeIntervalSince(lastDraw) >= 0.1 || done >= total else { return }
        lastDraw = now
        errors.write("\r" + Self.line(done: done, total: total, elapsed: elapsed, label: label))
        errors.flush()
        drawn = true
    }

    /// Clears the bar; the next file's rate and wait count from here.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        start = Date()
        guard drawn else { return }
        errors.write("\r" + String(repeating: " ", count: 79) + "\r")
        errors.flush()
        drawn = false
    }

    /// `[###########                   ]  37%  112.0 MB/300.0 MB  56.1 MB/s  ETA 3s`.
    static func line(done: UInt64, total: UInt64, elapsed: TimeInterval, label: String = "") -> String {
        let fraction = min(1, Double(done) / Double(total))
        let cells = Int(fraction * 24)
        var text = (label.isEmpty ? "" : label + " ") + "[" + String(repeating: "#", count: cells) + String(repeating: " ", count: 24 - cells) + "] "
        let percent = String(Int(fraction * 100))
        text += String(repeating: " ", count: 3 - percent.count) + percent + "%  "
        text += ByteFormat.human(min(done, total)) + "/" + ByteFormat.human(total)
        if elapsed > 0 {
            let rate = Double(done) / elapsed
            text += "  " + ByteFormat.human(UInt64(rate)) + "/s"
            if rate > 0, done < total {
                text += "  ETA " + duration(Double(total - done) / rate)
            }
        }
        return text
    }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        return whole < 60 ? "\(whole)s" : whole < 3600 ? "\(whole / 60)m\(String(format: "%02d", whole % 60))s" : "\(whole / 3600)h\(String(format: "%02d", whole / 60 % 60))m"
    }
}

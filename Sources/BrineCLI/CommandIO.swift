/// The streams a command writes to, injected so commands run the same in tests.
public struct CommandIO {
    public var output: OutputSink
    public var errors: OutputSink

    public init(output: OutputSink, errors: OutputSink) {
        self.output = output
        self.errors = errors
    }

    /// The process's stdout and stderr.
    public static func standard() -> CommandIO {
        CommandIO(output: .standardOutput(), errors: .standardError())
    }

    /// Memory sinks for in-process tests.
    public static func capturing() -> CommandIO {
        CommandIO(output: OutputSink(), errors: OutputSink())
    }

    /// Reports a failure as the one line users and CI logs see: `brine: FILE: offset N: …`.
    func report(_ message: String) {
        output.flush()
        errors.write("brine: \(message)\n")
        errors.flush()
    }
}

/// Exit statuses, documented in README.md ("Exit codes").
public enum ExitStatus: Int32, Sendable {
    /// Success, nothing to report.
    case success = 0
    /// The command ran and found what it gates on (findings, over budget).
    case findings = 1
    /// The input is unreadable: missing, truncated, corrupt, or over a safety limit.
    case unreadableInput = 2
    /// The command line is wrong.
    case usage = 64
}

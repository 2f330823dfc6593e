/// The streams a command writes to, injected so commands run the same in tests.
public struct CommandIO {
    public var output: OutputSink
    public var errors: OutputSink
    /// The descriptor `-` reads: standard input, or what a test hands in.
    public var input: Int32

    public init(output: OutputSink, errors: OutputSink, input: Int32 = 0) {
        self.output = output
        self.errors = errors
        self.input = input
    }

    /// The process's stdout and stderr.
    public static func standard() -> CommandIO {
        CommandIO(output: .standardOutput(), errors: .standardError())
    }

    /// Memory sinks for in-process tests.
    public static func capturing(input: Int32 = 0) -> CommandIO {
        CommandIO(output: OutputSink(), errors: OutputSink(), input: input)
    }

    /// Reports a failure as the one line users and CI logs see: `brine: FILE: offset N: …`.
    func report(_ message: String) {
        output.flush()
        errors.write("brine: \(message)\n")
        errors.flush()
    }
}

/// Exit statuses, documented in README.md ("Exit codes"). An `Error` so a shared step
/// (opening the inputs) can end a command with its status.
public enum ExitStatus: Int32, Sendable, Error {
    /// Success, nothing to report.
    case success = 0
    /// The command ran and found what it gates on (findings, over budget).
    case findings = 1
    /// The input is unreadable: missing, truncated, corrupt, or over a safety limit.
    case unreadableInput = 2
    /// The command line is wrong.
    case usage = 64
}

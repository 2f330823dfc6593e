import ArgumentParser

/// `brine`: the root command. Subcommands are the stable CLI contract CI scripts use.
public struct BrineCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "brine",
        abstract: "Open Python ML artifacts (pickle, joblib) without executing them.",
        discussion: """
            Brine reads pickles byte by byte and never runs code from them.

            Exit codes: 0 success, 1 findings or over budget, 2 unreadable input \
            (missing, truncated, corrupt or over a safety limit), 64 usage error.
            """,
        version: BrineVersion.current,
        subcommands: [DisCommand.self]
    )

    public init() {}
}

/// A subcommand that writes through injected streams, so it runs in process under test.
protocol BrineSubcommand: ParsableCommand {
    func execute(io: CommandIO) -> ExitStatus
}

extension BrineSubcommand {
    public mutating func run() throws {
        let status = execute(io: .standard())
        if status != .success { throw ExitCode(status.rawValue) }
    }
}

/// Runs the CLI in process: parses `arguments` (without the program name), executes, and
/// returns the exit status. The `brine` executable is this and nothing more.
public enum BrineMain {
    public static func run(_ arguments: [String], io: CommandIO) -> Int32 {
        let command: ParsableCommand
        do {
            command = try BrineCommand.parseAsRoot(arguments)
        } catch {
            let message = BrineCommand.fullMessage(for: error)
            let code = BrineCommand.exitCode(for: error).rawValue
            let sink = code == 0 ? io.output : io.errors
            if !message.isEmpty { sink.write(message + "\n") }
            io.output.flush()
            io.errors.flush()
            return code == 0 ? 0 : (code == ExitCode.validationFailure.rawValue ? ExitStatus.usage.rawValue : code)
        }
        guard let subcommand = command as? BrineSubcommand else {
            // Only the root without a subcommand gets here: show help, as `git` does.
            io.output.write(BrineCommand.helpMessage() + "\n")
            io.output.flush()
            return ExitStatus.success.rawValue
        }
        let status = subcommand.execute(io: io)
        io.output.flush()
        io.errors.flush()
        return status.rawValue
    }
}

enum BrineVersion {
    static let current = "0.1.0"
}

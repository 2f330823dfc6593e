import ArgumentParser
import BrineIO

/// `brine`: the root command. Subcommands are the stable CLI contract CI scripts use.
public struct BrineCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "brine",
        abstract: "Open Python ML artifacts (pickle, joblib, PyTorch, bundles) without executing them.",
        discussion: """
            Brine reads pickles byte by byte and never runs code from them.

            Exit codes: 0 success, 1 findings or over budget, 2 unreadable input \
            (missing, truncated, corrupt or over a safety limit), 64 usage error.
            """,
        version: BrineVersion.current,
        subcommands: [
            InspectCommand.self, StripCommand.self, DisCommand.self, CheckCommand.self, BudgetCommand.self, RepackCommand.self,
            DiffCommand.self, DecompileCommand.self, SbomCommand.self, ConvertCommand.self,
        ]
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
    /// For the executable only (tests run in process and keep the runner's handlers):
    /// a signal that ends the process first removes Brine's temporary files.
    public static func installSignalHandlers() {
        InterruptCleanup.installSignalHandlers()
    }

    public static func run(_ arguments: [String], io: CommandIO) -> Int32 {
        defer {
            io.output.flush()
            io.errors.flush()
        }
        do {
            var command = try BrineCommand.parseAsRoot(arguments)
            if let subcommand = command as? BrineSubcommand {
                return LargeStack.run { subcommand.execute(io: io).rawValue }
            }
            // The root alone and `brine help …`: their run() throws the help request.
            try command.run()
            return ExitStatus.success.rawValue
        } catch {
            let message = BrineCommand.fullMessage(for: error)
            let code = BrineCommand.exitCode(for: error).rawValue
            let sink = code == 0 ? io.output : io.errors
            if !message.isEmpty { sink.write(message + "\n") }
            return code == ExitCode.validationFailure.rawValue ? ExitStatus.usage.rawValue : code
        }
    }
}

import ArgumentParser
import Brine
import BrineIO
import Foundation

/// `brine check PATH…`: why an artifact will fail to load on the server, and whether
/// anything in it can run code. Nothing in the files is executed or imported.
struct CheckCommand: BrineSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Explain why an artifact will fail to load on the server, and whether it can run code.",
        discussion: """
            Finds references into __main__, modules the application does not have \
            (--app-dir), dependencies the requirements do not declare, version skew \
            (scikit-learn, numpy 2, by-value bytecode), platform-bound objects, \
            whitespace-padded categories, training tokens in stop_words_, and globals that \
            can run code. Every finding code is explained in docs/checks.md.

            Errors are loads that will fail or code that will run; warnings depend on an \
            environment Brine was not told about.

            Exit codes: 0 no finding at or above --fail-on, 1 findings at or above \
            --fail-on, 2 an input could not be read, 64 usage error.
            """
    )

    @Argument(help: "Pickle or joblib files (compression is detected by content).")
    var paths: [String]

    @Option(name: .customLong("app-dir"), help: ArgumentHelp(
        "The application's source directory: references are resolved against its modules and its requirements files.",
        valueName: "dir"))
    var appDirectory: String?

    @Option(name: .customLong("requirements"), help: ArgumentHelp(
        "requirements.txt, pyproject.toml or Pipfile declaring the server's dependencies (repeatable).", valueName: "file"))
    var requirements: [String] = []

    @Option(name: .customLong("python-version"), help: ArgumentHelp(
        "The server's Python (e.g. 3.11): which standard library modules exist.", valueName: "3.x"))
    var pythonVersion: String?

    @OptionGroup var output: FindingOutputOptions

    @OptionGroup var limits: LimitOptions

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give at least one file to check") }
        if let appDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: appDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--app-dir \(appDirectory) is not a directory")
            }
        }
        if let pythonVersion, (try? CheckContext.make(appDirectory: nil, requirementFiles: [], pythonVersion: pythonVersion)) == nil {
            throw ValidationError("--python-version must look like 3.11, got '\(pythonVersion)'")
        }
    }

    func execute(io: CommandIO) -> ExitStatus {
        let context: CheckContext
        do {
            context = try CheckContext.make(appDirectory: appDirectory, requirementFiles: requirements, pythonVersion: pythonVersion)
        } catch {
            io.report("cannot read requirements: \(error.localizedDescription)")
            return .unreadableInput
        }
        let options = InspectOptions(maximumMarkDepth: limits.maximumDepth, maximumMemoEntries: limits.maximumMemo)
        var findings: [Finding] = []
        var unreadable = false
        for path in paths {
            do {
                findings += try Checker.check(path: path, context: context, options: options, decompression: limits.decompression,
                                              maximumWindow: limits.maximumWindow)
            } catch {
                io.report("\(path): \(error)")
                unreadable = true
            }
        }
        let report = FindingReport(command: "check", inputs: paths, findings: findings, failOn: output.failOn)
        guard output.write(report, io: io) else { return .unreadableInput }
        if unreadable { return .unreadableInput }
        return report.fails ? .findings : .success
    }
}

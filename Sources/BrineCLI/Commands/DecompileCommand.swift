import ArgumentParser
import Brine
import BrineIO

/// `brine decompile FILE`: what loading an artifact would do, as readable Python.
struct DecompileCommand: BrineSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "decompile",
        abstract: "Show what loading a pickle, joblib or PyTorch file would do, as Python.",
        discussion: """
            Nothing in the file is imported or run. Globals become imports, calls become \
            `_varN = f(...)` statements in the order unpickling makes them, BUILD becomes \
            `_build(obj, state)` (pickle's own BUILD: `__setstate__`, else the instance dict), \
            persistent ids `persistent_load(pid)`, joblib's arrays `_joblib_array(wrapper, data)`. \
            Lines whose globals `brine check` reports as dangerous (BR601) or by-value code \
            (BR203) carry the finding as a comment.

            Long containers and literals are summarised (`... 13,133,204 more str: int, 372.6 MB \
            ...`); with --full everything is written and the output is Python that rebuilds \
            the object when run (docs/decompile.md says how, and its limits). PyTorch files \
            show their data.pkl record.
            """
    )

    @Argument(help: "The pickle, joblib or PyTorch file (compression and format are detected by content).")
    var file: String

    @Flag(help: "Write every item and every byte (runnable Python) instead of summarising long containers.")
    var full = false

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the output to this file (atomically) instead of stdout.", valueName: "file"))
    var output: String?

    @OptionGroup var limits: LimitOptions

    func execute(io: CommandIO) -> ExitStatus {
        var options = DecompileOptions(full: full)
        options.maximumMarkDepth = limits.maximumDepth
        options.maximumStackDepth = limits.maximumStack
        options.maximumMemoEntries = limits.maximumMemo
        options.maximumNesting = limits.maximumNesting
        let text: String
        do {
            text = try DecompileFile.decompile(path: file, options: options, decompression: limits.decompression, zipLimits: limits.zip,
                                               maximumWindow: limits.maximumWindow)
        } catch let error as InputError {
            io.report(error.description)
            return .unreadableInput
        } catch {
            io.report("\(file): \(error)")
            return .unreadableInput
        }
        return writeReport(text, to: output, io: io) ? .success : .unreadableInput
    }
}

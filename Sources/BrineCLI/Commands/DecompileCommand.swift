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
            show their data.pkl record. Bundles (a directory, tar or zip): every artifact in \
            it, each after its own header; --member picks one member of a bundle or record \
            of a PyTorch zip; naming none it holds is a usage error (exit 64) listing them.
            """
    )

    @Argument(help: "The pickle, joblib or PyTorch file, or a bundle (directory, tar, zip); compression and format are detected by content; - reads standard input.")
    var file: String

    @Option(help: ArgumentHelp("One member of a bundle (word_dict.pkl, code/model.tar.gz!m.pkl) or record of a PyTorch zip (archive/data.pkl).", valueName: "name"))
    var member: String?

    @Flag(help: "Write every item and every byte (runnable Python) instead of summarising long containers.")
    var full = false

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the output to this file (atomically) instead of stdout.", valueName: "file"))
    var output: String?

    @OptionGroup var bundleLimits: BundleLimitOptions

    func execute(io: CommandIO) -> ExitStatus {
        let limits = bundleLimits.limits
        var options = DecompileOptions(full: full)
        options.maximumMarkDepth = limits.maximumDepth
        options.maximumStackDepth = limits.maximumStack
        options.maximumMemoEntries = limits.maximumMemo
        options.maximumNesting = limits.maximumNesting
        let input: CommandInput
        do { input = try io.open(file, accepts: .artifactOrBundle, limit: limits.maximumDecompressed) } catch { return error }
        func decompile(_ path: String, name: String, record: String?) throws -> String {
            try DecompileFile.decompile(path: path, name: name, member: record, options: options, decompression: limits.decompression,
                                        zipLimits: limits.zip, maximumWindow: limits.maximumWindow)
        }
        let text: String
        do {
            try FormatSniffer.refuseForeign(path: input.path)
            if try BundleChecker.isBundle(path: input.path, options: bundleLimits.options) {
                var parts: [String] = []
                let status = BundleArtifactWalk(options: bundleLimits.options).run(input, member: member, io: io) { path, diskPath, record in
                    do {
                        parts.append(try decompile(diskPath, name: path, record: record))
                        return true
                    } catch let error as DecompileError {
                        io.report(error.description)
                    } catch let error as InputError {
                        io.report(error.path == diskPath ? "\(path): \(error.descriptionWithoutPath)" : error.description)
                    } catch {
                        io.report("\(path): \(error)")
                    }
                    return false
                }
                if status == .usage || parts.isEmpty && status != .success { return status }
                let text = parts.isEmpty ? "# brine decompile \(input.name): no pickle, joblib or PyTorch file in this bundle.\n"
                    : parts.joined(separator: "\n")
                return writeReport(text, to: output, io: io) ? status : .unreadableInput
            }
            text = try decompile(input.path, name: input.name, record: member)
        } catch let error as DecompileError {
            io.report(input.naming(error.description))
            if case .unknownMember = error { return .usage }
            return .unreadableInput
        } catch let error as InputError {
            io.report(input.naming(error.description))
            return .unreadableInput
        } catch {
            io.report("\(input.name): \(input.naming("\(error)"))")
            return .unreadableInput
        }
        return writeReport(text, to: output, io: io) ? .success : .unreadableInput
    }
}

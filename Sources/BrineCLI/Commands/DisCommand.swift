import ArgumentParser
import Brine
import BrineIO
import Foundation

/// `brine dis FILE`: the disassembly `python -m pickletools FILE` prints, byte for byte,
/// and every other pickle Brine opens: joblib streams past their arrays, PyTorch zips' records,
/// bundle members.
struct DisCommand: BrineSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "dis",
        abstract: "Disassemble a pickle exactly as `python -m pickletools` does, and the pickles of joblib, PyTorch and bundle files.",
        discussion: """
            The output is byte-identical to CPython 3.11's `python -m pickletools FILE`. \
            Where pickletools stops after the first pickle, brine goes on through every \
            pickle in the file. A compressed file (joblib's zlib, gzip, bz2, xz, lzma, lz4) \
            is disassembled from its decompressed stream, with offsets into that stream; \
            joblib's raw array data gets one line per array (dtype, shape, order, bytes) \
            and the disassembly goes on after it; object arrays' nested pickles are \
            disassembled between labels.

            PyTorch zips: `data.pkl` (TorchScript: and `constants.pkl`), each after a \
            `==> FILE!MEMBER <==` header; legacy torch files: their five pickles, then a \
            line per storage. Bundles (a directory, tar or zip): every artifact in it, \
            each after its header. --member picks one member of a bundle or record of a \
            PyTorch zip; naming none it holds is a usage error (exit 64) listing them.
            """
    )

    @Argument(help: "The pickle, joblib or PyTorch file, or a bundle (directory, tar, zip); - reads standard input.")
    var file: String

    @Option(help: ArgumentHelp("One member of a bundle (word_dict.pkl, code/model.tar.gz!m.pkl) or record of a PyTorch zip (archive/data.pkl).", valueName: "name"))
    var member: String?

    @Flag(name: .shortAndLong, help: "Annotate each line with a short opcode description.")
    var annotate = false

    /// `-l`/`--indentlevel`, as pickletools spells it.
    @Option(name: [.customShort("l"), .customLong("indentlevel")], help: "Blanks by which to indent a new MARK level.")
    var indentLevel = 4

    @OptionGroup var bundleLimits: BundleLimitOptions

    /// `-i`, what brine accepted before it matched pickletools; kept so scripts keep working.
    @Option(name: .customShort("i"), help: .hidden)
    var legacyIndentLevel: Int?

    func execute(io: CommandIO) -> ExitStatus {
        let limits = bundleLimits.limits
        let options = DisassemblyOptions(
            indentLevel: legacyIndentLevel ?? indentLevel, annotate: annotate ? 30 : 0,
            maximumMarkDepth: limits.maximumDepth, maximumMemoEntries: limits.maximumMemo)
        let disassembler = ArtifactDisassembler(
            options: options, inspect: limits.inspect, decompression: limits.decompression, zip: limits.zip,
            maximumWindow: limits.maximumWindow)
        let input: CommandInput
        do { input = try io.open(file, accepts: .artifactOrBundle, limit: limits.maximumDecompressed) } catch { return error }
        var output = io.output
        do {
            try FormatSniffer.refuseForeign(path: input.path)
            if try BundleChecker.isBundle(path: input.path, options: bundleLimits.options) {
                return disassembleBundle(disassembler, input: input, io: io)
            }
            try disassembler.disassemble(path: input.path, name: input.name, member: member, to: &output)
            return .success
        } catch let error as DisassemblyError {
            io.report(input.naming(error.description))
            if case .unknownMember = error { return .usage }
        } catch let error as InputError {
            io.report(input.naming(error.description))
        } catch {
            io.report("\(input.name): \(input.naming("\(error)"))")
        }
        return .unreadableInput
    }

    /// Every artifact of the bundle (or the one --member names), each after a header line;
    /// one that cannot be disassembled is reported and the next one follows.
    private func disassembleBundle(_ disassembler: ArtifactDisassembler, input: CommandInput, io: CommandIO) -> ExitStatus {
        var output = io.output
        var artifacts = 0
        let status = BundleArtifactWalk(options: bundleLimits.options).run(input, member: member, io: io) { path, diskPath, record in
            artifacts += 1
            if member == nil { output.write("==> \(path) <==\n") }
            do throws(DisassemblyError) {
                try disassembler.disassemble(path: diskPath, name: path, member: record, to: &output)
                return true
            } catch {
                io.report(error.description)
                return false
            }
        }
        // As decompile says it: a bundle with nothing to disassemble (a wheel, an sdist).
        if artifacts == 0, member == nil, status == .success {
            let what = BundleChecker.bundleDescription(path: input.path, options: bundleLimits.options) ?? "a bundle"
            // On stdout: the input was read and there is nothing wrong with it (exit 0 says so).
            output.write("\(input.name): \(what) with no pickle, joblib or PyTorch file in it; nothing to disassemble\n")
        }
        return status
    }
}

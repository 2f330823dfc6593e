import ArgumentParser
import Brine
import BrineIO

/// `brine dis FILE`: the disassembly `python -m pickletools FILE` prints, byte for byte.
struct DisCommand: BrineSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "dis",
        abstract: "Disassemble a pickle exactly as `python -m pickletools` does.",
        discussion: """
            The output is byte-identical to CPython 3.11's `python -m pickletools FILE`. \
            Where pickletools stops after the first pickle, brine goes on through every \
            pickle in the file. A compressed file (joblib's zlib, gzip, bz2, xz, lzma, lz4) \
            is disassembled from its decompressed stream, with offsets into that stream.
            """
    )

    @Argument(help: "The pickle file.")
    var file: String

    @Flag(name: .shortAndLong, help: "Annotate each line with a short opcode description.")
    var annotate = false

    @Option(name: [.short, .customLong("indentlevel")], help: "Blanks by which to indent a new MARK level.")
    var indentLevel = 4

    @OptionGroup var limits: LimitOptions

    func execute(io: CommandIO) -> ExitStatus {
        let options = DisassemblyOptions(
            indentLevel: indentLevel, annotate: annotate ? 30 : 0,
            maximumMarkDepth: limits.maximumDepth, maximumMemoEntries: limits.maximumMemo)
        do {
            let stream = try ArtifactStream.open(path: file, limits: limits.decompression)
            let reader = PickleReader(source: stream.source, maximumWindow: limits.maximumWindow)
            var output = io.output
            try Disassembler(options: options).disassembleAll(reader, to: &output)
            return .success
        } catch let error as InputError {
            io.report(error.description)
        } catch let error as PickleError {
            io.report("\(file): \(error)")
        } catch {
            io.report("\(file): \(error)")
        }
        return .unreadableInput
    }
}

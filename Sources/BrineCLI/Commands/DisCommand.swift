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

    @Argument(help: "The pickle file (- reads standard input).")
    var file: String

    @Flag(name: .shortAndLong, help: "Annotate each line with a short opcode description.")
    var annotate = false

    /// `-l`/`--indentlevel`, as pickletools spells it.
    @Option(name: [.customShort("l"), .customLong("indentlevel")], help: "Blanks by which to indent a new MARK level.")
    var indentLevel = 4

    /// `-i`, what brine accepted before it matched pickletools; kept so scripts keep working.
    @Option(name: .customShort("i"), help: .hidden)
    var legacyIndentLevel: Int?

    @OptionGroup var limits: LimitOptions

    func execute(io: CommandIO) -> ExitStatus {
        let options = DisassemblyOptions(
            indentLevel: legacyIndentLevel ?? indentLevel, annotate: annotate ? 30 : 0,
            maximumMarkDepth: limits.maximumDepth, maximumMemoEntries: limits.maximumMemo)
        let input: CommandInput
        do { input = try io.open(file, accepts: .artifact, limit: limits.maximumDecompressed) } catch { return error }
        do {
            let stream = try ArtifactStream.open(path: input.path, limits: limits.decompression)
            let reader = PickleReader(source: stream.source, maximumWindow: limits.maximumWindow)
            var output = io.output
            try Disassembler(options: options).disassembleAll(reader, to: &output)
            return .success
        } catch let error as InputError {
            io.report(input.naming(error.description))
        } catch {
            io.report("\(input.name): \(input.naming("\(error)"))")
        }
        return .unreadableInput
    }
}

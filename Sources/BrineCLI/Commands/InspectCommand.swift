import ArgumentParser
import Brine
import BrineIO

/// `brine inspect FILE`: where every byte of a pickle or joblib artifact goes.
struct InspectCommand: BrineSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show where every byte of a pickle or joblib artifact goes, attribute by attribute.",
        discussion: """
            Nothing in the file is executed or imported. Sizes are bytes of the pickle \
            stream (uncompressed for compressed joblib files) and add up to the whole \
            stream; MEMORY estimates what each part takes once loaded by CPython 3.11+. \
            Attributes that prediction never reads (such as TfidfVectorizer.stop_words_) \
            are marked with the saving their removal would bring.
            """
    )

    @Argument(help: "The pickle or joblib file (compression is detected by content).")
    var file: String

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Option(help: "Levels of the tree to show (text only).")
    var depth = 6

    @Option(help: "Children shown per object before the rest is summarised (text only).")
    var top = 10

    @OptionGroup var limits: LimitOptions

    func validate() throws {
        guard depth >= 0, top >= 1 else { throw ValidationError("--depth must be ≥ 0 and --top ≥ 1") }
    }

    func execute(io: CommandIO) -> ExitStatus {
        let options = limits.inspect
        let progress = ProgressReporter(enabled: io.errors.isStandardError && isTerminal(2), errors: io.errors)
        do {
            let inspection = try Inspector.inspect(
                path: file, options: options, decompression: limits.decompression, maximumWindow: limits.maximumWindow,
                progress: progress.update)
            progress.finish()
            let report = ReportBuilder.build(inspection)
            switch format {
            case .json:
                io.output.write(encodeJSON(report))
            case .text:
                let colour = io.output.isStandardOutput && isTerminal(1)
                io.output.write(TextRenderer(maximumDepth: depth, topChildren: top, colour: colour).render(report))
            }
            return .success
        } catch {
            progress.finish()
            io.report("\(file): \(error)")
            return .unreadableInput
        }
    }
}

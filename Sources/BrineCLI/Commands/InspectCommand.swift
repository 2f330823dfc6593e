import ArgumentParser
import Brine
import BrineIO

/// `brine inspect FILE`: where every byte of a pickle or joblib artifact goes.
struct InspectCommand: BrineSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show where every byte of a pickle, joblib or PyTorch artifact goes, attribute by attribute.",
        discussion: """
            Nothing in the file is executed or imported. Sizes are bytes of the pickle \
            stream (uncompressed for compressed joblib files) and add up to the whole \
            stream; MEMORY estimates what each part takes once loaded by CPython 3.11+. \
            Attributes that prediction never reads (such as TfidfVectorizer.stop_words_) \
            are marked with the saving their removal would bring.

            PyTorch files (torch.save zip and legacy formats, TorchScript) show the \
            object tree of data.pkl with every tensor as a leaf carrying its storage's \
            bytes (charged to the first tensor using it; later views are marked); zip \
            headers and metadata records are overhead, so totals add up to the file size.
            """
    )

    @Argument(help: "The pickle, joblib or PyTorch file, or a bundle of them: a directory, tar (any codec) or zip (compression and format are detected by content; - reads standard input).")
    var file: String

    @Option(help: "Output format: text, json, or html (a self-contained page with a zoomable treemap; use with -o).")
    var format: ReportFormat = .text

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the report to this file (atomically) instead of stdout.", valueName: "file"))
    var output: String?

    @Flag(name: .shortAndLong, help: "No progress bar on standard error (it is drawn only on a terminal anyway).")
    var quiet = false

    @Option(help: "Levels of the tree to show (text only). Without it: 6 levels, parts of at least 0.5 % of the stream, and no rebuild internals (__reduce_args__, __setstate__); with it every part down to that level.")
    var depth: Int?

    @Option(help: "Children shown per object before the rest is summarised (text only).")
    var top = 10

    @Flag(help: "PyTorch files: list every tensor (path, dtype, shape, storage, location, bytes) instead of the tree.")
    var tensors = false

    @OptionGroup var bundleLimits: BundleLimitOptions

    var limits: LimitOptions { bundleLimits.limits }

    func validate() throws {
        guard (depth ?? 0) >= 0, top >= 1 else { throw ValidationError("--depth must be ≥ 0 and --top ≥ 1") }
    }

    func execute(io: CommandIO) -> ExitStatus {
        let options = limits.inspect
        let input: CommandInput
        do { input = try io.open(file, accepts: .artifactOrBundle, limit: limits.maximumDecompressed) } catch { return error }
        let progress = ProgressReporter.standard(quiet: quiet, io: io)
        do {
            if let layout = try FormatReaders.read(path: input.path) { return try inspectLayout(layout, input: input, io: io) }
            try FormatSniffer.refuseForeign(path: input.path)
            if !tensors, try BundleChecker.isBundle(path: input.path, options: bundleLimits.options) {
                return try inspectBundle(input, io: io)
            }
            if (try? TorchInspector.detect(path: input.path)) != nil || tensors {
                return try inspectTorch(input, options: options, io: io)
            }
            let inspection = try Inspector.inspect(
                path: input.path, options: options, decompression: limits.decompression, maximumWindow: limits.maximumWindow,
                progress: progress.update)
            progress.finish()
            var report = ReportBuilder.build(inspection)
            report.file = input.name
            return write(report, io: io)
        } catch let error as InputError {
            progress.finish()
            io.report(error.description)
            return .unreadableInput
        } catch {
            progress.finish()
            io.report("\(input.name): \(input.naming("\(error)"))")
            return .unreadableInput
        }
    }

    /// A directory, tar or zip: the member tree, then each artifact's report.
    private func inspectBundle(_ input: CommandInput, io: CommandIO) throws(InputError) -> ExitStatus {
        let report = try BundleReport.inspect(path: input.path, options: bundleLimits.options)
        switch format {
        case .json:
            return emit(encodeJSON(report), io: io)
        case .html:
            return emit(HTMLReport.bundle(report).render(), io: io)
        case .text:
            let colour = output == nil && io.output.isStandardOutput && isTerminal(1)
            return emit(BundleTextRenderer(artifact: textRenderer(colour: colour)).render(report), io: io)
        }
    }

    private func inspectTorch(_ input: CommandInput, options: InspectOptions, io: CommandIO) throws -> ExitStatus {
        let inspection = try TorchInspector.inspect(
            path: input.path, options: options, zipLimits: limits.zip, decompression: limits.decompression, maximumWindow: limits.maximumWindow)
        // The page's treemap already has every tensor as a cell: --tensors --format html is the page.
        if tensors, format != .html {
            switch format {
            case .json: return emit(encodeJSON(TensorListing(file: input.name, format: inspection.format.rawValue, tensors: inspection.tensors)), io: io)
            case .text, .html: return emit(input.naming(TensorTable.render(inspection)), io: io)
            }
        }
        var report = TorchReportBuilder.build(inspection)
        report.file = input.name
        return write(report, io: io)
    }

    func write(_ report: InspectReport, io: CommandIO) -> ExitStatus {
        switch format {
        case .json:
            return emit(encodeJSON(report), io: io)
        case .html:
            return emit(HTMLReport.inspect(report).render(), io: io)
        case .text:
            let colour = output == nil && io.output.isStandardOutput && isTerminal(1)
            return emit(textRenderer(colour: colour).render(report), io: io)
        }
    }

    private func textRenderer(colour: Bool) -> TextRenderer {
        depth.map { TextRenderer(maximumDepth: $0, topChildren: top, colour: colour) } ?? .summary(topChildren: top, colour: colour)
    }

    func emit(_ text: String, io: CommandIO) -> ExitStatus {
        writeReport(text, to: output, io: io) ? .success : .unreadableInput
    }
}

/// `brine inspect --tensors --format json`.
struct TensorListing: Encodable {
    var file: String
    var format: String
    var tensors: [TorchTensor]
}

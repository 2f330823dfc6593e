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

    @Argument(help: "The pickle, joblib or PyTorch file, or a bundle of them: a directory, tar (any codec) or zip (compression and format are detected by content).")
    var file: String

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Option(help: "Levels of the tree to show (text only).")
    var depth = 6

    @Option(help: "Children shown per object before the rest is summarised (text only).")
    var top = 10

    @Flag(help: "PyTorch files: list every tensor (path, dtype, shape, storage, location, bytes) instead of the tree.")
    var tensors = false

    @OptionGroup var bundleLimits: BundleLimitOptions

    var limits: LimitOptions { bundleLimits.limits }

    func validate() throws {
        guard depth >= 0, top >= 1 else { throw ValidationError("--depth must be ≥ 0 and --top ≥ 1") }
    }

    func execute(io: CommandIO) -> ExitStatus {
        let options = limits.inspect
        let progress = ProgressReporter(enabled: io.errors.isStandardError && isTerminal(2), errors: io.errors)
        do {
            if let layout = try FormatReaders.read(path: file) { return try inspectLayout(layout, io: io) }
            try FormatSniffer.refuseForeign(path: file)
            if !tensors, try BundleChecker.isBundle(path: file, options: bundleLimits.options) {
                return try inspectBundle(io: io)
            }
            if (try? TorchInspector.detect(path: file)) != nil || tensors {
                return try inspectTorch(options: options, io: io)
            }
            let inspection = try Inspector.inspect(
                path: file, options: options, decompression: limits.decompression, maximumWindow: limits.maximumWindow,
                progress: progress.update)
            progress.finish()
            write(ReportBuilder.build(inspection), io: io)
            return .success
        } catch let error as InputError {
            progress.finish()
            io.report(error.description)
            return .unreadableInput
        } catch {
            progress.finish()
            io.report("\(file): \(error)")
            return .unreadableInput
        }
    }

    /// A directory, tar or zip: the member tree, then each artifact's report.
    private func inspectBundle(io: CommandIO) throws(InputError) -> ExitStatus {
        let report = try BundleReport.inspect(path: file, options: bundleLimits.options)
        switch format {
        case .json:
            io.output.write(encodeJSON(report))
        case .text:
            let colour = io.output.isStandardOutput && isTerminal(1)
            io.output.write(BundleTextRenderer(artifact: TextRenderer(maximumDepth: depth, topChildren: top, colour: colour)).render(report))
        }
        return .success
    }

    private func inspectTorch(options: InspectOptions, io: CommandIO) throws -> ExitStatus {
        let inspection = try TorchInspector.inspect(
            path: file, options: options, zipLimits: limits.zip, decompression: limits.decompression, maximumWindow: limits.maximumWindow)
        if tensors {
            switch format {
            case .json: io.output.write(encodeJSON(TensorListing(file: file, format: inspection.format.rawValue, tensors: inspection.tensors)))
            case .text: io.output.write(TensorTable.render(inspection))
            }
            return .success
        }
        write(TorchReportBuilder.build(inspection), io: io)
        return .success
    }

    func write(_ report: InspectReport, io: CommandIO) {
        switch format {
        case .json:
            io.output.write(encodeJSON(report))
        case .text:
            let colour = io.output.isStandardOutput && isTerminal(1)
            io.output.write(TextRenderer(maximumDepth: depth, topChildren: top, colour: colour).render(report))
        }
    }
}

/// `brine inspect --tensors --format json`.
struct TensorListing: Encodable {
    var file: String
    var format: String
    var tensors: [TorchTensor]
}

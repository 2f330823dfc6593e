import ArgumentParser
import Brine
import BrineIO
import Foundation

/// `brine strip FILE -o OUT`: remove training-only attributes from the bytes, without Python.
struct StripCommand: BrineSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "strip",
        abstract: "Remove attributes that only training needed, on the bytes, without loading the model.",
        discussion: """
            The output keeps the input's format: a pickle stays a pickle of the same protocol, \
            a joblib file keeps its array layout and compression codec (unless --compress). \
            It is written beside the target, read back and checked, then moved into place; \
            the input is never changed unless --in-place is given. If something outside a \
            selected attribute refers to an object inside it, nothing is written.

            Exit codes: 0 written (or --dry-run done), 1 nothing matched or the removal was \
            refused, 2 unreadable input or unwritable output, 64 usage error.
            """
    )

    @Argument(help: "The pickle, joblib or PyTorch file (PyTorch's legacy format is written out in its zip format; - reads standard input).")
    var file: String

    @Option(name: .shortAndLong, help: "Where to write the result (- writes it to standard output, the summary to standard error).")
    var output: String?

    @Option(help: "Built-in rule set: deploy (training-only attributes of scikit-learn objects) or torch-inference (optimizer, scheduler and scaler state of PyTorch checkpoints); see docs/strip-rules.md.")
    var preset: Preset?

    @Option(name: .customLong("remove"), help: ArgumentHelp(
        "An attribute to remove: Class.attribute (TfidfVectorizer.stop_words_) or a path as `brine inspect` prints it (steps[0][1].stop_words_, ['key']). Repeatable.",
        valueName: "selector"))
    var selectors: [String] = []

    @Flag(help: "Set the selected attributes to None instead of removing them.")
    var setNone = false

    @Flag(help: "Show what would go and the saving; write nothing. The output is still made and read back (in a temporary file, deleted), so a dry run fails where a real run would.")
    var dryRun = false

    @Flag(name: .customLong("to-zip"), help: "Accept writing a legacy-format PyTorch file (torch.save before 1.6) in PyTorch's zip format, the only one Brine writes.")
    var toZip = false

    @Flag(help: "Replace the input file (atomically).")
    var inPlace = false

    @Option(help: ArgumentHelp("Output compression: none, zlib, gzip, bz2, xz, lzma, lz4, with an optional :level.", valueName: "codec[:level]"))
    var compress: String?

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Flag(name: .shortAndLong, help: "No progress bar on standard error (it is drawn only on a terminal anyway).")
    var quiet = false

    @OptionGroup var limits: LimitOptions

    enum Preset: String, ExpressibleByArgument, CaseIterable {
        case deploy
        case torchInference = "torch-inference"
    }

    func validate() throws {
        guard preset != nil || !selectors.isEmpty else { throw ValidationError("give --preset deploy, --preset torch-inference or at least one --remove") }
        guard dryRun || output != nil || inPlace else { throw ValidationError("give -o OUT, --in-place or --dry-run") }
        guard !(inPlace && output != nil) else { throw ValidationError("--in-place and -o exclude each other") }
        if let compress { _ = try Self.parseCompression(compress) }
    }

    static func parseCompression(_ text: String) throws -> (CompressionFormat?, Int32?) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let level = parts.count > 1 ? Int32(parts[1]) : nil
        if parts.count > 1, level == nil { throw ValidationError("compression level must be a number: \(text)") }
        let codecs: [String: CompressionFormat?] = [
            "none": nil, "zlib": .zlib, "gzip": .gzip, "gz": .gzip, "bz2": .bzip2, "bzip2": .bzip2,
            "xz": .xz, "lzma": .lzma, "lz4": .lz4,
        ]
        guard let codec = codecs[parts[0]] else { throw ValidationError("unknown codec \(parts[0]): none, zlib, gzip, bz2, xz, lzma or lz4") }
        return (codec, level)
    }

    func execute(io: CommandIO) -> ExitStatus {
        let presetSelectors: [StripSelector] = switch preset {
        case .deploy: [.deployPreset]
        case .torchInference: [.torchInferencePreset]
        case nil: []
        }
        var options = StripOptions(selectors: presetSelectors + selectors.map(StripSelector.init(parsing:)))
        options.setNone = setNone
        options.dryRun = dryRun
        options.decompression = limits.decompression
        options.zip = limits.zip
        options.maximumWindow = limits.maximumWindow
        options.inspect = limits.inspect
        let progress = ProgressReporter.standard(quiet: quiet, io: io, label: "reading")
        options.progress = progress.update
        defer { progress.finish() }
        if let compress, let (codec, level) = try? Self.parseCompression(compress) {
            options.compression = .some(codec)
            options.compressionLevel = level
        }
        let input: CommandInput
        do { input = try io.open(file, accepts: .artifact, limit: limits.maximumDecompressed) } catch { return error }
        if io.refusesBundle(input, command: "strip", decompression: limits.decompression) { return .unreadableInput }
        if inPlace, input.isStandardInput {
            io.report("--in-place needs a file: standard input cannot be replaced")
            return .usage
        }
        if io.refusesOverwriting(input, with: output) { return .usage }
        let toStandardOutput = output == CommandInput.standardInputArgument
        if toStandardOutput, io.output.isStandardOutput, isTerminal(1) {
            io.report("-o -: refusing to write a pickle to a terminal; redirect standard output (> out.pkl) or give -o FILE")
            return .usage
        }
        // A result bound for standard output is written and verified in a scratch file first.
        let scratch: TemporaryFile?
        if toStandardOutput, !dryRun {
            do { scratch = try TemporaryFile(prefix: "brine-stdout") } catch {
                io.report("-o -: cannot create a scratch file: \(String(cString: strerror(error.value)))")
                return .unreadableInput
            }
        } else {
            scratch = nil
        }
        let target = inPlace ? input.path : (scratch?.path ?? output)
        do {
            let torchFormat = try? TorchInspector.detect(path: input.path)
            let isTorch = torchFormat != nil
            if torchFormat == .legacy, !toZip, !dryRun {
                // Whether there is anything to strip first (a dry run: nothing is written), so
                // that a file with nothing to remove is not asked for a flag it does not need.
                var probe = options
                probe.dryRun = true
                probe.dryRunWritesTrial = false
                _ = try TorchStripper.strip(input: input.path, output: nil, options: probe)
                io.report("\(input.name): a legacy-format PyTorch file (torch.save before 1.6) can only be written in PyTorch's zip format, which torch.load reads too; pass --to-zip to accept (nothing was written)")
                return .usage
            }
            if isTorch, compress != nil {
                io.report("\(input.name): --compress does not apply to PyTorch files (torch writes stored zip members)")
                return .usage
            }
            var result = isTorch
                ? try TorchStripper.strip(input: input.path, output: target, options: options)
                : try Stripper.strip(input: input.path, output: target, options: options)
            result.input = input.name
            if let scratch, result.output != nil {
                result.output = "<stdout>"
                guard copy(scratch.path, to: io.output) else {
                    io.report("-o -: cannot read back \(scratch.path)")
                    return .unreadableInput
                }
            }
            progress.finish()
            let summary = toStandardOutput ? io.errors : io.output
            summary.write(format == .json ? encodeJSON(result) : Self.text(result))
            return .success
        } catch {
            progress.finish()
            // An output error names the output; anything else is about the input.
            if case .output(let failure) = error {
                io.report(failure.description)
            } else {
                io.report("\(input.name): \(input.naming(error.description))")
            }
            switch error {
            case .nothingMatched, .nothingToStrip, .refused: return .findings
            default: return .unreadableInput
            }
        }
    }

    /// Streams a finished file to `sink` (binary output to standard output).
    private func copy(_ path: String, to sink: OutputSink) -> Bool {
        guard let source = try? FileSource(path: path) else { return false }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            guard let got = try? source.read(into: buffer) else { return false }
            if got == 0 { return true }
            sink.write(bytes: UnsafeRawBufferPointer(rebasing: buffer[..<got]))
        }
    }

    static func text(_ result: StripResult) -> String {
        var out = ""
        for part in result.removed {
            out += "\(result.dryRun ? "would remove" : (result.setNone ? "set to None" : "removed")) \(part.path) (\(part.what)): \(ByteFormat.human(part.bytes))\n"
        }
        let before = result.streamBytes, after = result.outputStreamBytes
        let saved = before >= after ? before - after : 0
        if result.format.hasPrefix("torch") || result.format == "torchscript" {
            out += "data.pkl: \(ByteFormat.human(before)) -> \(ByteFormat.human(after))\n"
            if result.format.contains("from torch-legacy") { out += "note: legacy-format input written in PyTorch's zip format (torch.load reads it)\n" }
        } else {
            out += "pickle stream: \(ByteFormat.human(before)) -> \(ByteFormat.human(after)) (-\(ByteFormat.human(saved)), -\(ByteFormat.percent(saved, of: before)))\n"
        }
        if let output = result.output, let written = result.outputBytes {
            out += "\(result.input): \(ByteFormat.human(result.inputBytes)) -> \(output): \(ByteFormat.human(written))"
            out += result.compression.map { " (\($0))" } ?? ""
            out += "\n"
        } else if result.dryRun {
            out += "dry run: nothing written\n"
        }
        return out
    }
}

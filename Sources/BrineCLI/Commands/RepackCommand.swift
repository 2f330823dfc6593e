import ArgumentParser
import Brine
import BrineIO

/// `brine repack IN -o OUT --limit L`: make an artifact or tarball fit a size limit.
struct RepackCommand: BrineSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "repack",
        abstract: "Make an artifact or model tarball fit a size limit: strip, then recompress.",
        discussion: """
            Steps, cheapest first: remove training-only attributes (strip --preset deploy \
            for pickle/joblib, --preset torch-inference for PyTorch zip files; in a tarball, \
            in each such member); then recompress with a codec the loader reads (joblib: \
            zlib, xz, bz2; tarballs: gzip, then xz; PyTorch files stay stored, as torch \
            expects). Of the codecs \
            that fit, the one that loads fastest is used. The plan is printed with each \
            step's saving. A tarball keeps its members' names, modes, owners, times and order; \
            nothing is extracted to disk. Only when nothing else fits and --allow-lossy is \
            given: a joblib file's float64 arrays are stored as float32 (about 7 significant \
            digits kept), then the codecs are tried again.

            Exit codes: 0 written (fits), 1 nothing fits (the largest parts are named), \
            2 unreadable input or unwritable output, 64 usage error.
            """
    )

    @Argument(help: "The artifact (pickle, joblib, PyTorch) or tarball (model.tar.gz); - reads standard input.")
    var input: String

    @Option(name: .shortAndLong, help: "Where to write the result.")
    var output: String?

    @Flag(help: "Replace the input file (atomically).")
    var inPlace = false

    @Option(help: "Size limit for the file on disk: 300MB, 1.5GiB or a preset.")
    var limit: String

    @Flag(help: "Show the plan; write nothing.")
    var dryRun = false

    @Flag(help: "When nothing else fits, store a joblib file's float64 arrays as float32 (lossy).")
    var allowLossy = false

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @OptionGroup var bundleLimits: BundleLimitOptions

    func validate() throws {
        guard SizeLimit.parse(limit) != nil else { throw ValidationError("cannot read --limit \(limit): a size such as 300MB or a preset") }
        guard dryRun || output != nil || inPlace else { throw ValidationError("give -o OUT, --in-place or --dry-run") }
        guard !(inPlace && output != nil) else { throw ValidationError("--in-place and -o exclude each other") }
        guard output != CommandInput.standardInputArgument else {
            throw ValidationError("-o - is not supported: repack writes a file it can measure; give -o FILE")
        }
    }

    func execute(io: CommandIO) -> ExitStatus {
        var options = RepackOptions(limitBytes: SizeLimit.parse(limit)!.bytes)
        options.dryRun = dryRun
        options.allowLossy = allowLossy
        options.bundle = bundleLimits.options
        let source: CommandInput
        do { source = try io.open(input, accepts: .artifact, limit: bundleLimits.limits.maximumDecompressed) } catch { return error }
        if inPlace, source.isStandardInput {
            io.report("--in-place needs a file: standard input cannot be replaced")
            return .usage
        }
        if io.refusesOverwriting(source, with: output) { return .usage }
        do {
            var plan = try Repacker.repack(input: source.path, output: inPlace ? source.path : output, options: options)
            plan.input = source.name
            io.output.write(format == .json ? encodeJSON(plan) : Self.text(plan))
            return plan.fits ? .success : .findings
        } catch {
            // A file that is no artifact or tarball is unreadable input, like everywhere else.
            io.report(source.naming("\(error)"))
            return .unreadableInput
        }
    }

    static func text(_ plan: RepackPlan) -> String {
        var out = "\(plan.input): \(ByteFormat.human(plan.inputBytes)) (\(plan.kind.rawValue)), limit \(ByteFormat.human(plan.limitBytes))\n"
        if plan.steps.isEmpty && plan.fits { out += "already fits; copied unchanged\n" }
        for (index, step) in plan.steps.enumerated() {
            out += "  \(index + 1). \(step.action): \(ByteFormat.human(step.bytesBefore)) -> \(ByteFormat.human(step.bytesAfter)) (-\(ByteFormat.human(step.saving)))"
            out += step.note.map { " — \($0)" } ?? ""
            out += "\n"
        }
        if !plan.candidates.isEmpty {
            out += "  codecs tried (fastest to load first): "
            out += plan.candidates.map { "\($0.codec) \(ByteFormat.human($0.bytes))\($0.fits ? " fits" : "")" }.joined(separator: ", ") + "\n"
        }
        for note in plan.notes { out += "  note: \(note)\n" }
        if plan.fits {
            out += plan.output.map { "wrote \($0): \(ByteFormat.human(plan.outputBytes))\n" } ?? "would give \(ByteFormat.human(plan.outputBytes)) (dry run: nothing written)\n"
        } else {
            out += "nothing fits: best reached \(ByteFormat.human(plan.candidates.map(\.bytes).min() ?? plan.outputBytes)) for a limit of \(ByteFormat.human(plan.limitBytes)); nothing written\n"
            if !plan.dominant.isEmpty {
                out += "largest parts:\n"
                for part in plan.dominant { out += "  \(ByteFormat.human(part.bytes))  \(part.path) (\(part.type))\n" }
            }
        }
        return out
    }
}

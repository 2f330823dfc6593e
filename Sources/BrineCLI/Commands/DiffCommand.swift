import ArgumentParser
import Brine
import BrineIO

/// `brine diff A B`: which attributes grew or shrank between two versions.
struct DiffCommand: BrineSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show which attributes or members grew or shrank between two versions of an artifact or bundle.",
        discussion: """
            Sizes are bytes of the pickle stream per attribute (uncompressed for compressed \
            files) and uncompressed bytes per bundle member, as `brine inspect` counts them. \
            Lines are sorted by the size of the change, largest first, like bloaty's.

            Exit codes: 0 compared, 2 unreadable input, 64 usage error.
            """
    )

    @Argument(help: "The old version (- reads standard input).")
    var old: String

    @Argument(help: "The new version (- reads standard input).")
    var new: String

    @Option(help: "Levels of attributes compared.")
    var depth = 4

    @Option(help: "Changes shown (text only).")
    var top = 40

    @Option(help: "Output format: text, json, markdown (a pull-request comment) or html (a self-contained page with a treemap of the changes; use with -o).")
    var format: DiffFormat = .text

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the report to this file (atomically) instead of stdout.", valueName: "file"))
    var output: String?

    @OptionGroup var bundleLimits: BundleLimitOptions

    struct Report: Codable {
        var schemaVersion = 1
        var old: String
        var new: String
        var oldBytes: UInt64
        var newBytes: UInt64
        var changes: [SizeDelta]
    }

    func validate() throws {
        guard depth >= 1, top >= 1 else { throw ValidationError("--depth and --top must be at least 1") }
    }

    func execute(io: CommandIO) -> ExitStatus {
        var options = bundleLimits.options
        options.attributeDepth = depth
        let inputs: [CommandInput]
        do { inputs = try io.open([old, new], accepts: .artifactOrBundle, limit: bundleLimits.limits.maximumDecompressed) } catch { return error }
        do {
            for input in inputs { try FormatSniffer.refuseForeign(path: input.path, reading: FormatReaders.readable) }
            guard let before = try walk(inputs[0], options: options, io: io),
                  let after = try walk(inputs[1], options: options, io: io) else { return .unreadableInput }
            let changes = SizeDiff.compare(SizeSnapshot.of(before), SizeSnapshot.of(after))
            let report = Report(old: inputs[0].name, new: inputs[1].name, oldBytes: before.bytes, newBytes: after.bytes, changes: changes)
            let (old, new) = (report.old, report.new)
            let text = switch format {
            case .json: encodeJSON(report)
            case .markdown: MarkdownSizeComment.diff(old: old, new: new, before: before.bytes, after: after.bytes, changes: changes, top: min(top, 10))
            case .html: HTMLReport.diff(before: before, after: after, old: old, new: new, changes: changes).render()
            case .text: "\(old) -> \(new) (sizes uncompressed)\n" + SizeDiff.text(changes, before: before.bytes, after: after.bytes, limit: top)
            }
            return writeReport(text, to: output, io: io) ? .success : .unreadableInput
        } catch {
            io.report(inputs.reduce(error.description) { $1.naming($0) })
            return .unreadableInput
        }
    }

    /// One side walked; nil (each damaged artifact reported) when an artifact in it could
    /// not be read: a diff against a half-read artifact would show its parts as gone.
    private func walk(_ input: CommandInput, options: BundleOptions, io: CommandIO) throws(InputError) -> BundleMember? {
        let walker = BundleWalker(options: options)
        var damaged: [String] = []
        walker.visitor = { visit in
            if case .unreadable(_, let message) = visit { damaged.append(message) }
        }
        let member = try walker.walk(path: input.path, followsLink: true)
        for line in damaged { io.report(input.naming(line)) }
        if member.kind == .file, member.children.isEmpty, damaged.isEmpty {
            io.report("\(input.name): offset 0: not a pickle, joblib or PyTorch file, nor a directory, tar or zip bundle")
            return nil
        }
        return damaged.isEmpty ? member : nil
    }
}

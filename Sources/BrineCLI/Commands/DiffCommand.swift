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

    @Argument(help: "The old version.")
    var old: String

    @Argument(help: "The new version.")
    var new: String

    @Option(help: "Levels of attributes compared.")
    var depth = 4

    @Option(help: "Changes shown (text only).")
    var top = 40

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

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
        do {
            try FormatSniffer.refuseForeign(path: old, reading: FormatReaders.readable)
            try FormatSniffer.refuseForeign(path: new, reading: FormatReaders.readable)
            let before = try BundleWalker(options: options).walk(path: old)
            let after = try BundleWalker(options: options).walk(path: new)
            let changes = SizeDiff.compare(SizeSnapshot.of(before), SizeSnapshot.of(after))
            let report = Report(old: old, new: new, oldBytes: before.bytes, newBytes: after.bytes, changes: changes)
            if format == .json {
                io.output.write(encodeJSON(report))
            } else {
                io.output.write("\(old) -> \(new) (sizes uncompressed)\n" + SizeDiff.text(changes, before: before.bytes, after: after.bytes, limit: top))
            }
            return .success
        } catch {
            io.report("\(error)")
            return .unreadableInput
        }
    }
}

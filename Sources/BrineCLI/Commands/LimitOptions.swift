import ArgumentParser
import Brine
import BrineIO

/// Guards against hostile input, shared by every command that parses artifacts.
struct LimitOptions: ParsableArguments {
    @Option(name: .customLong("max-window"), help: ArgumentHelp(
        "Largest single argument or line held in memory, in bytes.", valueName: "bytes"))
    var maximumWindow: Int = 64 << 20

    @Option(name: .customLong("max-depth"), help: ArgumentHelp(
        "Most nested MARKs (open containers) before the input is refused.", valueName: "n"))
    var maximumDepth: Int = 1_000_000

    @Option(name: .customLong("max-memo"), help: ArgumentHelp(
        "Most memo entries before the input is refused.", valueName: "n"))
    var maximumMemo: Int = 100_000_000

    @Option(name: .customLong("max-decompressed"), help: ArgumentHelp(
        "Most bytes one compressed stream may expand to.", valueName: "bytes"))
    var maximumDecompressed: UInt64 = DecompressionLimits.default.maximumOutputBytes

    @Option(name: .customLong("max-ratio"), help: ArgumentHelp(
        "Largest compression ratio accepted past the first 64 MiB of output.", valueName: "n"))
    var maximumRatio: UInt64 = DecompressionLimits.default.maximumRatio

    @Option(name: .customLong("max-members"), help: ArgumentHelp(
        "Most members read from a zip archive (PyTorch files).", valueName: "n"))
    var maximumMembers: Int = ZipLimits.default.maximumEntries

    var zip: ZipLimits { ZipLimits(maximumEntries: maximumMembers) }

    var decompression: DecompressionLimits {
        DecompressionLimits(maximumOutputBytes: maximumDecompressed, maximumRatio: maximumRatio)
    }

    func validate() throws {
        guard maximumWindow >= 16 else { throw ValidationError("--max-window must be at least 16 bytes") }
        guard maximumDepth > 0, maximumMemo > 0, maximumRatio > 0, maximumMembers > 0 else {
            throw ValidationError("--max-depth, --max-memo, --max-ratio and --max-members must be positive")
        }
    }
}

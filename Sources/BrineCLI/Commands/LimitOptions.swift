import ArgumentParser
import Brine
import BrineIO

/// Guards against hostile input, shared by every command that parses artifacts.
struct LimitOptions: ParsableArguments {
    @Option(name: .customLong("max-window"), help: ArgumentHelp(
        "Largest single argument or line held in memory, in bytes.", valueName: "bytes"))
    var maximumWindow: Int = 64 << 20

    @Option(name: .customLong("max-depth"), help: ArgumentHelp(
        "Deepest nesting accepted: open MARKs, and objects inside objects.", valueName: "n"))
    var maximumDepth: Int = 5_000

    @Option(name: .customLong("max-stack"), help: ArgumentHelp(
        "Most values on the unpickling stack.", valueName: "n"))
    var maximumStack: Int = 10_000_000

    @Option(name: .customLong("max-memo"), help: ArgumentHelp(
        "Most memo entries before the input is refused.", valueName: "n"))
    var maximumMemo: Int = 100_000_000

    @Option(name: .customLong("max-nesting"), help: ArgumentHelp(
        "Most pickles nested inside each other (joblib object arrays).", valueName: "n"))
    var maximumNesting: Int = 16

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

    static let depthCeiling = 10_000

    var decompression: DecompressionLimits {
        DecompressionLimits(maximumOutputBytes: maximumDecompressed, maximumRatio: maximumRatio)
    }

    /// The symbolic machine's settings with these limits.
    var inspect: InspectOptions {
        InspectOptions(maximumMarkDepth: maximumDepth, maximumStackDepth: maximumStack, maximumMemoEntries: maximumMemo,
                       maximumNesting: maximumNesting, maximumObjectDepth: maximumDepth)
    }

    func validate() throws {
        guard maximumWindow >= 16 else { throw ValidationError("--max-window must be at least 16 bytes") }
        guard maximumDepth > 0, maximumStack > 0, maximumMemo > 0, maximumRatio > 0, maximumNesting > 0, maximumMembers > 0 else {
            throw ValidationError("--max-depth, --max-stack, --max-memo, --max-nesting, --max-ratio and --max-members must be positive")
        }
        // Reports and JSON are built recursively, one level per nesting level; past this the
        // thread's stack, not the input, would be the limit.
        guard maximumDepth <= Self.depthCeiling else {
            throw ValidationError("--max-depth can be at most \(Self.depthCeiling)")
        }
    }
}

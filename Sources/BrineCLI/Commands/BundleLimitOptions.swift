import ArgumentParser
import Brine

/// Guards against hostile bundles, shared by budget, diff and repack.
struct BundleLimitOptions: ParsableArguments {
    @Option(name: .customLong("max-members"), help: ArgumentHelp(
        "Most archive members and files walked, across every nesting level.", valueName: "n"))
    var maximumMembers: Int = BundleOptions().maximumMembers

    @Option(name: .customLong("max-nesting"), help: ArgumentHelp(
        "Most archives inside archives.", valueName: "n"))
    var maximumNesting: Int = BundleOptions().maximumNesting

    @OptionGroup var limits: LimitOptions

    var options: BundleOptions {
        BundleOptions(
            maximumMembers: maximumMembers, maximumNesting: maximumNesting, decompression: limits.decompression,
            inspect: InspectOptions(maximumMarkDepth: limits.maximumDepth, maximumMemoEntries: limits.maximumMemo),
            maximumWindow: limits.maximumWindow)
    }

    func validate() throws {
        guard maximumMembers > 0, maximumNesting >= 0 else { throw ValidationError("--max-members must be positive and --max-nesting ≥ 0") }
    }
}

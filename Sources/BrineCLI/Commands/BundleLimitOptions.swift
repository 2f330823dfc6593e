import ArgumentParser
import Brine

/// Guards against hostile bundles, shared by budget, diff and repack.
struct BundleLimitOptions: ParsableArguments {
    @Option(name: .customLong("max-nesting"), help: ArgumentHelp(
        "Most archives inside archives.", valueName: "n"))
    var maximumNesting: Int = BundleOptions().maximumNesting

    @OptionGroup var limits: LimitOptions

    var options: BundleOptions {
        BundleOptions(
            maximumMembers: limits.maximumMembers, maximumNesting: maximumNesting, decompression: limits.decompression,
            inspect: InspectOptions(maximumMarkDepth: limits.maximumDepth, maximumMemoEntries: limits.maximumMemo),
            maximumWindow: limits.maximumWindow)
    }

    func validate() throws {
        guard maximumNesting >= 0 else { throw ValidationError("--max-nesting must be ≥ 0") }
    }
}

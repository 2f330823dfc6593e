import ArgumentParser
import Brine

/// Guards against hostile bundles, shared by budget, diff and repack.
struct BundleLimitOptions: ParsableArguments {
    @Option(name: .customLong("max-archive-depth"), help: ArgumentHelp(
        "Most archives inside archives.", valueName: "n"))
    var maximumNesting: Int = BundleOptions().maximumNesting

    @OptionGroup var limits: LimitOptions

    var options: BundleOptions {
        BundleOptions(
            maximumMembers: limits.maximumMembers, maximumNesting: maximumNesting, decompression: limits.decompression,
            inspect: limits.inspect,
            maximumWindow: limits.maximumWindow)
    }

    func validate() throws {
        guard maximumNesting >= 0 else { throw ValidationError("--max-archive-depth must be ≥ 0") }
    }
}

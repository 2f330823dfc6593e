// fuzz-seeds: fixtures/bundles/*/*.tar* fixtures/bundles/*/*/*.pkl fixtures/bundles/*/*/*.joblib fixtures/malformed/archives/* fixtures/torch/module_main.pt fixtures/torch/shared_views.pt
// fuzz-dict: bundle
import Brine
import BrineIO
import Foundation
import FuzzSupport

/// Limits small enough that bombs and member floods are refused long before libFuzzer's
/// RSS limit or timeout: a finding then means a real bug, not a limit set too high.
private let bundleOptions = BundleOptions(
    maximumMembers: 2_000, maximumNesting: 4, decompression: FuzzLimits.decompression, attributeDepth: 4,
    inspect: FuzzLimits.inspect, maximumWindow: FuzzLimits.window)

/// The scratch directory's path, for the exit handler (a C function cannot capture).
nonisolated(unsafe) private var scratchPath = ""

/// Bytes as one bundle file: the walker detects compression (gzip, bz2, xz, zstd …) and
/// archives (tar, zip) by content, walks members through libarchive, recurses into nested
/// archives, inspects pickle/joblib members and spools PyTorch members to a scratch file.
/// TMPDIR points into the harness's private scratch directory, so every spool lands
/// there; after each input only the input file may remain.
@_cdecl("FuzzBundle_main")
public func fuzzBundleMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    let scratch = ScratchDirectory()
    scratchPath = scratch.path
    setenv("TMPDIR", scratch.path, 1)
    // libFuzzer leaves through exit() when its time is up; the scratch directory goes too.
    atexit { _ = try? FileManager.default.removeItem(atPath: scratchPath) }
    let input = scratch.path + "/input"
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return runFuzzer(argc, argv) { data in
        _ = FileManager.default.createFile(atPath: input, contents: Data(data))
        do {
            let root = try BundleWalker(options: bundleOptions).walk(path: input)
            _ = try encoder.encode(root)
        } catch {
            checkOneLine(error)
        }
        let left = Set((try? FileManager.default.contentsOfDirectory(atPath: scratch.path)) ?? [])
        precondition(left == ["input"], "bundle walk left files behind: \(left.sorted())")
    }
}

// fuzz-seeds: fixtures/formats/numpy/*.npy fixtures/formats/numpy/*.npz
import Brine
import BrineIO
import Foundation
import FuzzSupport

nonisolated(unsafe) private var scratchPath = ""

/// The npy reader (Sources/Brine/Formats) on arbitrary bytes: every count, length and
/// offset it takes from the file must be bounded before use; errors are one line.
@_cdecl("FuzzNpy_main")
public func fuzzNpyMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    let scratch = ScratchDirectory()
    scratchPath = scratch.path
    atexit { _ = try? FileManager.default.removeItem(atPath: scratchPath) }
    let input = scratch.path + "/input"
    _ = input
    return runFuzzer(argc, argv) { data in
        let bytes = Array(data)
        exerciseLayout(bytes, format: "npy")
        exerciseLayoutFile(bytes, path: input)
    }
}

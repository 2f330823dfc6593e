// fuzz-seeds: fixtures/formats/onnx/*.onnx fixtures/formats/onnx/*/*.onnx
import Brine
import BrineIO
import Foundation
import FuzzSupport

nonisolated(unsafe) private var scratchPath = ""

/// The onnx reader (Sources/Brine/Formats) on arbitrary bytes: every count, length and
/// offset it takes from the file must be bounded before use; errors are one line.
@_cdecl("FuzzONNX_main")
public func fuzzONNXMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    let scratch = ScratchDirectory()
    scratchPath = scratch.path
    atexit { _ = try? FileManager.default.removeItem(atPath: scratchPath) }
    let input = scratch.path + "/input"
    _ = input
    return runFuzzer(argc, argv) { data in
        exerciseLayout(Array(data), format: "onnx")
    }
}

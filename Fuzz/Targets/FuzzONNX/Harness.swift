// fuzz-seeds: fixtures/formats/onnx/*.onnx fixtures/formats/onnx/*/*.onnx
import FuzzSupport

/// The onnx reader (Sources/Brine/Formats) on arbitrary bytes: every count, length and
/// offset it takes from the file must be bounded before use; errors are one line.
@_cdecl("FuzzONNX_main")
public func fuzzONNXMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLayoutFuzzer(argc, argv, format: "onnx", byPath: false)
}

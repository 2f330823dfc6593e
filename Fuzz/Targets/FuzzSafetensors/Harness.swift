// fuzz-seeds: fixtures/formats/safetensors/*.safetensors fixtures/formats/hf/*/*.safetensors
import FuzzSupport

/// The safetensors reader (Sources/Brine/Formats) on arbitrary bytes: every count, length and
/// offset it takes from the file must be bounded before use; errors are one line.
@_cdecl("FuzzSafetensors_main")
public func fuzzSafetensorsMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLayoutFuzzer(argc, argv, format: "safetensors", byPath: false)
}

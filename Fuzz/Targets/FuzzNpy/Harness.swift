// fuzz-seeds: fixtures/formats/numpy/*.npy fixtures/formats/numpy/*.npz
import FuzzSupport

/// The npy reader (Sources/Brine/Formats) on arbitrary bytes: every count, length and
/// offset it takes from the file must be bounded before use; errors are one line.
@_cdecl("FuzzNpy_main")
public func fuzzNpyMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLayoutFuzzer(argc, argv, format: "npy", byPath: true)
}

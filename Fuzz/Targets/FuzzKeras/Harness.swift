// fuzz-seeds: fixtures/formats/keras/*.keras
import FuzzSupport

/// The keras reader (Sources/Brine/Formats) on arbitrary bytes: every count, length and
/// offset it takes from the file must be bounded before use; errors are one line.
@_cdecl("FuzzKeras_main")
public func fuzzKerasMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLayoutFuzzer(argc, argv, format: nil, byPath: true)
}

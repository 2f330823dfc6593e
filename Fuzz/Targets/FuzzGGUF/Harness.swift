// fuzz-seeds: fixtures/formats/gguf/*.gguf
import FuzzSupport

/// The gguf reader (Sources/Brine/Formats) on arbitrary bytes: every count, length and
/// offset it takes from the file must be bounded before use; errors are one line.
@_cdecl("FuzzGGUF_main")
public func fuzzGGUFMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLayoutFuzzer(argc, argv, format: "gguf", byPath: false)
}

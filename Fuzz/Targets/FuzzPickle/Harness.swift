// fuzz-seeds: fixtures/pickle/*.pkl fixtures/models/*.pkl fixtures/models/strip/*.pkl fixtures/models/*.joblib
// fuzz-dict: pickle
import FuzzSupport

/// Raw bytes as a pickle stream: reader, disassembler, symbolic machine, report.
/// Read once whole, once in 7-byte chunks so every window refill path runs too.
@_cdecl("FuzzPickle_main")
public func fuzzPickleMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data in
        let bytes = Array(data)
        exercisePickle(bytes)
        exercisePickle(bytes, chunkLimit: 7)
    }
}

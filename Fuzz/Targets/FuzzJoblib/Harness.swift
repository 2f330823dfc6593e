// fuzz-seeds: fixtures/models/*.joblib* fixtures/models/strip/*.joblib* fixtures/joblib/*
// fuzz-dict: joblib
import Brine
import BrineIO
import FuzzSupport

/// A joblib file: compression detected by content, decompressed through the codec
/// sources (zlib, gzip, bz2, xz, lzma, lz4, ZF), inspected; then `brine strip --preset
/// deploy` rewrites it into a scratch directory, which also runs the verifier.
@_cdecl("FuzzJoblib_main")
public func fuzzJoblibMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    let scratch = ScratchDirectory()
    return runFuzzer(argc, argv) { data in
        let bytes = Array(data)
        let prefix = UnsafeRawBufferPointer(rebasing: data[..<min(data.count, CompressionFormat.magicLength)])
        if let format = CompressionFormat.detect(prefix) {
            do {
                let source = try openDecompressed(MemorySource(bytes, name: "fuzz"), format: format, limits: FuzzLimits.decompression)
                exerciseInspect(source, fileBytes: UInt64(bytes.count), compression: format)
            } catch {
                checkOneLine(error)
            }
        } else {
            exerciseInspect(MemorySource(bytes, name: "fuzz"), fileBytes: UInt64(bytes.count), compression: nil)
        }
        scratch.strip(bytes)
    }
}

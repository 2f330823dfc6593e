// fuzz-seeds: fixtures/torch/*.pt fixtures/torch/*.pkl fixtures/malformed/archives/*.zip
// fuzz-dict: torch
import Brine
import BrineIO
import Foundation
import FuzzSupport

/// Zip-record limits small enough that a hostile central directory is refused long before
/// libFuzzer's RSS limit.
private let zipLimits = ZipLimits(maximumEntries: 4_096, maximumCentralDirectoryBytes: 4 << 20)

/// The scratch directory's path, for the exit handler (a C function cannot capture).
nonisolated(unsafe) private var scratchPath = ""

/// A PyTorch file: the zip reader straight over memory (every record opened and drained
/// through the decompression limits), then the input written as a file for the path-based
/// readers: format detection (zip, TorchScript, legacy), `TorchInspector` with tensors,
/// the report in text, tensor-table and JSON form, and `brine strip --preset
/// torch-inference` into the private scratch directory, which also re-reads its output.
@_cdecl("FuzzTorch_main")
public func fuzzTorchMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    let scratch = ScratchDirectory()
    scratchPath = scratch.path
    // libFuzzer leaves through exit() when its time is up; the scratch directory goes too.
    atexit { _ = try? FileManager.default.removeItem(atPath: scratchPath) }
    let input = scratch.path + "/input", output = scratch.path + "/output"
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return runFuzzer(argc, argv) { data in
        let bytes = Array(data)
        exerciseZip(bytes)
        _ = FileManager.default.createFile(atPath: input, contents: Data(bytes))
        do { _ = try TorchInspector.detect(path: input) } catch { checkOneLine(error) }
        do {
            let inspection = try TorchInspector.inspect(
                path: input, options: FuzzLimits.inspect, zipLimits: zipLimits, decompression: FuzzLimits.decompression,
                maximumWindow: FuzzLimits.window)
            _ = TensorTable.render(inspection)
            let report = TorchReportBuilder.build(inspection)
            _ = TextRenderer(maximumDepth: 64, topChildren: 10).render(report)
            _ = try encoder.encode(report)
        } catch {
            checkOneLine(error)
        }
        unlink(output)
        var options = StripOptions(selectors: [.torchInferencePreset])
        options.inspect = FuzzLimits.inspect
        options.decompression = FuzzLimits.decompression
        options.zip = zipLimits
        options.maximumWindow = FuzzLimits.window
        do {
            _ = try TorchStripper.strip(input: input, output: output, options: options)
        } catch {
            checkOneLine(error)
        }
        let left = Set((try? FileManager.default.contentsOfDirectory(atPath: scratch.path)) ?? [])
        precondition(left.isSubset(of: ["input", "output"]), "torch strip left files behind: \(left.sorted())")
    }
}

/// The zip reader alone over an in-memory source: the end records, the central directory
/// and every local header, each record read to its end.
private func exerciseZip(_ bytes: [UInt8]) {
    let archive: ZipArchive
    do {
        archive = try ZipArchive(source: MemorySource(bytes, name: "fuzz"), limits: zipLimits)
    } catch {
        checkOneLine(error)
        return
    }
    for entry in archive.entries.prefix(256) {
        do {
            let record = try archive.open(entry, limits: FuzzLimits.decompression)
            _ = try record.skipByReading(.max)
        } catch {
            checkOneLine(error)
        }
    }
}

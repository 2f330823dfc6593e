import Brine
import BrineIO
import Foundation

/// A non-pickle reader over bytes in memory (`format` as `FormatReaders` names it), then the
/// report, both renderers, the tensor table and the findings: what `brine inspect` and
/// `brine check` do with a layout. Pickles inside (object arrays) go through the pickle engine.
public func exerciseLayout(_ bytes: [UInt8], format: String) {
    let handler: FormatReaders.PickleHandler = { pickle, source in
        exerciseInspect(source, fileBytes: pickle.bytes, compression: nil)
    }
    do {
        let layout = try FormatReaders.read(MemorySource(bytes, name: "fuzz"), format: format, fileBytes: UInt64(bytes.count), pickles: handler)
        exerciseReport(layout)
    } catch {
        checkOneLine(error)
    }
}

/// A zip-based format (npz, keras) or any file: written to `path` and read by path.
public func exerciseLayoutFile(_ bytes: [UInt8], path: String) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    do {
        if let layout = try FormatReaders.read(path: path, pickles: { pickle, source in
            exerciseInspect(source, fileBytes: pickle.bytes, compression: nil)
        }) {
            exerciseReport(layout)
        }
    } catch {
        checkOneLine(error)
    }
}

func exerciseReport(_ layout: ArtifactLayout) {
    // Every byte in exactly one tensor or region, unless the reader says data overlaps or
    // lies outside the file (which `brine inspect` refuses).
    if !layout.findings.contains(where: { $0.breaksLayout == true }) {
        precondition(layout.tensorBytes &+ layout.regionBytes == layout.fileBytes,
                     "layout covers \(layout.tensorBytes &+ layout.regionBytes) of \(layout.fileBytes) bytes")
    }
    let report = LayoutReportBuilder.build(layout, file: "fuzz")
    _ = TextRenderer(maximumDepth: 64, topChildren: 10).render(report)
    _ = LayoutTensorTable.render(layout, file: "fuzz")
    _ = try? JSONEncoderBridge.encode(report)
    for finding in FormatReaders.findings(layout, file: "fuzz") { precondition(!finding.message.contains("\n"), "multi-line finding: \(finding.message)") }
}

nonisolated(unsafe) private var layoutScratchPath = ""

/// The driver of every tensor-format target: each input goes to the format's reader on
/// memory (`format`), and, with `byPath`, to a scratch file read by path (zip-based formats
/// are opened through libarchive, which wants a file). The scratch directory goes at exit.
public func runLayoutFuzzer(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    format: String?, byPath: Bool
) -> CInt {
    let scratch = ScratchDirectory()
    layoutScratchPath = scratch.path
    atexit { _ = try? FileManager.default.removeItem(atPath: layoutScratchPath) }
    let input = scratch.path + "/input"
    return runFuzzer(argc, argv) { data in
        let bytes = Array(data)
        if let format { exerciseLayout(bytes, format: format) }
        if byPath { exerciseLayoutFile(bytes, path: input) }
    }
}

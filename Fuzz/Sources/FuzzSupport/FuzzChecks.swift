import Brine
import BrineIO

/// libFuzzer calls the harness on its own 8 MB stack, so nesting stays well below the CLI's
/// defaults (which run on `LargeStack`); the corpus replay covers deep inputs through the CLI.
/// Limits small enough that the engine refuses hostile input long before libFuzzer's
/// RSS limit (-rss_limit_mb) or timeout would fire: a finding then means a real bug.
public enum FuzzLimits {
    public static let window = 1 << 16
    public static let inspect = InspectOptions(
        maximumMarkDepth: 500, maximumStackDepth: 200_000, maximumMemoEntries: 1_000_000, maximumNesting: 4,
        maximumObjectDepth: 500)
    public static let disassembly = DisassemblyOptions(maximumMarkDepth: 500, maximumMemoEntries: 1_000_000)
    public static let decompression = DecompressionLimits(maximumOutputBytes: 32 << 20, maximumRatio: 2_000, ratioGraceBytes: 1 << 20)
}

/// A text stream that keeps only a count, so disassembly output costs no memory.
public struct DiscardingStream: TextOutputStream {
    public var characters = 0
    public init() {}
    public mutating func write(_ string: String) { characters &+= string.utf8.count }
}

/// Every error the engine reports must be one line: that is what users and CI logs see.
public func checkOneLine(_ error: Error) {
    let text = "\(error)"
    precondition(!text.isEmpty, "empty error message")
    precondition(!text.contains("\n"), "multi-line error message: \(text)")
}

/// Disassembles, inspects and renders a pickle stream held in memory: the reader, the
/// disassembler, the symbolic machine, the report builder and both renderers.
public func exercisePickle(_ bytes: [UInt8], chunkLimit: Int = .max) {
    do {
        let reader = PickleReader(source: MemorySource(bytes, name: "fuzz", chunkLimit: chunkLimit), maximumWindow: FuzzLimits.window)
        var output = DiscardingStream()
        try Disassembler(options: FuzzLimits.disassembly).disassembleAll(reader, to: &output)
    } catch {
        checkOneLine(error)
    }
    exerciseInspect(MemorySource(bytes, name: "fuzz", chunkLimit: chunkLimit), fileBytes: UInt64(bytes.count), compression: nil)
}

/// Inspects any source and renders the report as text and JSON.
public func exerciseInspect(_ source: ByteSource, fileBytes: UInt64, compression: CompressionFormat?) {
    do {
        let inspection = try Inspector.inspect(
            source: source, name: "fuzz", fileBytes: fileBytes, compression: compression,
            options: FuzzLimits.inspect, maximumWindow: FuzzLimits.window)
        let report = ReportBuilder.build(inspection)
        _ = TextRenderer(maximumDepth: 64, topChildren: 10).render(report)
        _ = try JSONEncoderBridge.encode(report)
    } catch {
        checkOneLine(error)
    }
}

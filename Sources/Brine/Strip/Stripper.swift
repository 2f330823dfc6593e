import BrineIO

#if canImport(Glibc)
import Glibc
#endif

/// Settings of `brine strip`.
public struct StripOptions: Sendable {
    public var selectors: [StripSelector]
    /// Replace selected values with None instead of removing the attribute.
    public var setNone = false
    /// Plan and measure, write nothing.
    public var dryRun = false
    /// Whether a dry run still writes its trial output to a scratch file and reads it back, so
    /// that it refuses what a real run refuses. Off only to ask whether anything would be cut.
    public var dryRunWritesTrial = true
    /// Output codec: nil keeps the input's; `.some(nil)` writes uncompressed.
    public var compression: CompressionFormat?? = nil
    public var compressionLevel: Int32? = nil
    public var inspect = InspectOptions()
    public var decompression = DecompressionLimits.default
    /// Zip member limits for PyTorch files.
    public var zip = ZipLimits.default
    public var maximumWindow = 64 << 20
    /// Called while the input is read (bytes of the file read, its size), for a progress bar.
    public var progress: (@Sendable (UInt64, UInt64) -> Void)?

    public init(selectors: [StripSelector]) {
        self.selectors = selectors
    }
}

/// What a strip did (or would do), as `brine strip` reports it.
public struct StripResult: Codable, Sendable, Equatable {
    public struct Removed: Codable, Sendable, Equatable {
        public var path: String
        public var what: String
        /// Stream bytes of the attribute (key and value).
        public var bytes: UInt64
    }

    public var input: String
    public var output: String?
    public var dryRun: Bool
    public var setNone: Bool
    public var format: String
    public var compression: String?
    /// Sizes on disk (compressed when the file is).
    public var inputBytes: UInt64
    public var outputBytes: UInt64?
    /// Sizes of the pickle stream, before and after.
    public var streamBytes: UInt64
    public var outputStreamBytes: UInt64
    public var removed: [Removed]
    /// Stream bytes whose compressed form was copied from the input instead of compressed
    /// again (zlib and gzip outputs in the input's codec); nil when nothing could be.
    public var reusedStreamBytes: UInt64? = nil
}

/// `brine strip`: inspect, plan the cuts, rewrite the stream (streaming, never loading it),
/// read the result back to check it, and only then move it into place.
public enum Stripper {
    public static func strip(input: String, output: String?, options: StripOptions) throws(StripError) -> StripResult {
        let inspection: Inspection
        do {
            inspection = try Inspector.inspect(path: input, options: options.inspect, decompression: options.decompression,
                                               maximumWindow: options.maximumWindow, recordsResumePoints: true,
                                               progress: options.progress)
        } catch { throw .input(error) }
        let cuts = StripPlanner.cuts(for: options.selectors, in: inspection)
        guard !cuts.isEmpty else { throw .nothingMatched(options.selectors.map(\.description)) }

        let codec: CompressionFormat? = options.compression ?? inspection.compression
        var result = StripResult(
            input: input, output: options.dryRun ? nil : output, dryRun: options.dryRun, setNone: options.setNone,
            format: inspection.format, compression: codec?.rawValue, inputBytes: inspection.fileBytes, outputBytes: nil,
            streamBytes: inspection.streamBytes, outputStreamBytes: 0,
            removed: cuts.map { StripResult.Removed(path: $0.path, what: $0.what, bytes: $0.range.upperBound - $0.range.lowerBound) })

        // Objects inside a cut that something outside still references: usually none, so
        // the first rewrite runs without looking; if it meets one, an analysis run finds
        // them all and the rewrite starts over, writing those values again where needed.
        var needed: Set<Int64> = []

        if options.dryRun {
            guard options.dryRunWritesTrial else { return result }
            // The real run's rewrite and read-back, into a temporary file that is never moved
            // into place: a dry run refuses exactly what a real run refuses. Uncompressed, as
            // the check is of the pickle stream.
            var trial = options
            trial.compression = .some(nil)
            let written = try writeVerified(input, inspection, cuts, trial, to: output ?? scratchPath(for: input), needed: &needed,
                                            commits: false)
            result.outputStreamBytes = written.streamBytes
            return result
        }
        guard let output else { throw .unsupported("an output path (-o) is needed unless --dry-run is given") }

        let written = try writeVerified(input, inspection, cuts, options, to: output, needed: &needed)
        result.outputStreamBytes = written.streamBytes
        result.reusedStreamBytes = written.reusedStreamBytes
        result.outputBytes = fileSize(output)
        return result
    }

    /// Pass 2 writes the output's temporary file while pass 3, on a second core, reads it
    /// back as it grows; the rename happens only once it reads as `expected` (the input
    /// minus the cuts, with `downcast`'s arrays as float32).
    static func writeVerified(
        _ input: String, _ inspection: Inspection, _ cuts: [StripCut], _ options: StripOptions, to output: String,
        needed: inout Set<Int64>, downcast: DowncastPlan? = nil, expected: Inspection? = nil, commits: Bool = true
    ) throws(StripError) -> Written {
        let codec: CompressionFormat? = options.compression ?? inspection.compression
        do {
            for attempt in 0..<2 {
                let file = try AtomicFileSink(path: output)
                file.commitsOnFinish = false
                let progress = WriteProgress()
                file.progress = progress
                let verifier = StripVerifier.follow(file.temporaryPath, shownAs: output, progress: progress, options: options)
                defer {
                    file.discard()  // after commit() this does nothing
                    _ = verifier.join()
                }
                let compressor = try openOutput(file, input: input, inspection: inspection, codec: codec, options: options,
                                                rewritesData: downcast != nil)
                let counter = CountingSink(downstream: compressor)
                guard try rewrite(input, inspection, cuts, options, into: counter, needed: &needed, downcast: downcast) else {
                    guard attempt == 0 else { throw StripError.verificationFailed("shared values still unresolved after analysis") }
                    continue
                }
                try counter.finish()
                try StripVerifier.verify(original: expected ?? inspection, cuts: cuts, setNone: options.setNone, rewritten: verifier.join())
                if commits { try file.commit() }
                let reused = (compressor as? SplicingDeflateSink)?.bytesSpliced
                return Written(streamBytes: counter.bytesWritten, reusedStreamBytes: reused.flatMap { $0 > 0 ? $0 : nil })
            }
        } catch let error as OutputError {
            throw .output(error)
        } catch let error as StripError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
        throw .verificationFailed("shared values still unresolved after analysis")
    }

    struct Written {
        var streamBytes: UInt64
        var reusedStreamBytes: UInt64?
    }

    /// The compressor for the output. Written with the input's own codec and no level given,
    /// a zlib or gzip output reuses the input's compressed blocks wherever the bytes are
    /// unchanged; a downcast rewrites most of the data, so it deflates everything in parallel.
    /// Uncompressed in and out, unchanged stretches are copied file to file by the kernel.
    private static func openOutput(
        _ file: AtomicFileSink, input: String, inspection: Inspection, codec: CompressionFormat?, options: StripOptions, rewritesData: Bool
    ) throws(OutputError) -> ByteSink {
        if !rewritesData, codec == nil, inspection.compression == nil {
            return try FileRangeCopySink(file: file, inputPath: input)
        }
        if !rewritesData, options.compressionLevel == nil, let codec, codec == inspection.compression, codec == .zlib || codec == .gzip,
           let index = inspection.resumePoints,
           let splicing = try SplicingDeflateSink(downstream: file, inputPath: input, index: index,
                                                  level: codec.defaultWriteLevel ?? 3) {
            return splicing
        }
        return try openCompressing(file, format: codec, level: options.compressionLevel)
    }

    /// One rewrite into `sink`. Returns false when it met a value inside a cut that something
    /// outside references; `needed` then holds every such entry and a second call succeeds.
    private static func rewrite(
        _ input: String, _ inspection: Inspection, _ cuts: [StripCut], _ options: StripOptions,
        into sink: ByteSink, needed: inout Set<Int64>, downcast: DowncastPlan? = nil
    ) throws(StripError) -> Bool {
        do {
            try rewriter(input, inspection, cuts, options, sink: sink, needed: needed, downcast: downcast).run()
            return true
        } catch {
            guard case .needsAnalysis = error else { throw error }
            let analysis = try rewriter(input, inspection, cuts, options, sink: nil, needed: [])
            try analysis.run()
            needed = Set(analysis.referencedFromOutside.keys)
            return false
        }
    }

    private static func rewriter(
        _ input: String, _ inspection: Inspection, _ cuts: [StripCut], _ options: StripOptions, sink: ByteSink?, needed: Set<Int64>,
        downcast: DowncastPlan? = nil
    ) throws(StripError) -> PickleRewriter {
        let stream: ArtifactStream
        do {
            stream = try ArtifactStream.open(path: input, limits: options.decompression, index: inspection.resumePoints)
        } catch { throw .input(PickleError(error)) }
        let reader = PickleReader(source: stream.source, maximumWindow: options.maximumWindow)
        return PickleRewriter(reader: reader, cuts: cuts, rawSpans: inspection.rawSpans, frames: inspection.frames,
                              setNone: options.setNone, sink: sink, needed: needed, downcast: downcast)
    }

    /// Where a dry run without `-o` writes its trial output (deleted after the check).
    static func scratchPath(for input: String) -> String {
        let directory = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let base = input.split(separator: "/").last.map(String.init) ?? "brine"
        return (directory.hasSuffix("/") ? directory : directory + "/") + base
    }

    private static func fileSize(_ path: String) -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt64(max(0, info.st_size))
    }
}

/// Counts what passes through (the uncompressed stream size), optionally forwarding it.
final class CountingSink: InputReusingSink {
    private let downstream: ByteSink?
    private(set) var bytesWritten: UInt64 = 0

    init(downstream: ByteSink? = nil) {
        self.downstream = downstream
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        bytesWritten &+= UInt64(bytes.count)
        try downstream?.write(bytes)
    }

    func write(_ bytes: UnsafeRawBufferPointer, copiedFrom source: UInt64) throws(OutputError) {
        bytesWritten &+= UInt64(bytes.count)
        try downstream?.write(bytes, copiedFrom: source)
    }

    var reusesInput: Bool { (downstream as? InputReusingSink)?.reusesInput ?? false }

    func copy(from source: UInt64, count: UInt64) throws(OutputError) {
        bytesWritten &+= count
        try (downstream as! InputReusingSink).copy(from: source, count: count)
    }

    func finish() throws(OutputError) {
        try downstream?.finish()
    }
}

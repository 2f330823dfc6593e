import BrineIO

#if canImport(Glibc)
import Glibc
#endif

/// `brine strip` on PyTorch files: rewrites `data.pkl` without the selected parts, drops the
/// storage records nothing refers to any more, and writes a zip PyTorch's reader accepts
/// (same record names and order, stored members, data aligned to 64 bytes, a new
/// serialization id), atomically, after reading it back.
///
/// Legacy (pre-1.6) input is written in the zip format: torch.load reads both, and the zip
/// format is what torch.save writes today. The only change to the pickle besides the cuts
/// is the legacy persistent ids' sixth item (view metadata, None) which the zip loader does
/// not accept.
public enum TorchStripper {
    public static func strip(input: String, output: String?, options: StripOptions) throws(StripError) -> StripResult {
        let inspection: TorchInspection
        do {
            inspection = try TorchInspector.inspect(path: input, options: options.inspect, zipLimits: options.zip,
                                                    decompression: options.decompression, maximumWindow: options.maximumWindow)
        } catch { throw .torch(error) }
        guard !options.setNone || inspection.format != .legacy else {
            throw .unsupported("--set-none is not available for legacy PyTorch files; remove the keys instead")
        }
        let base = inspection.legacyMainPickleRange?.lowerBound ?? 0
        var cuts = StripPlanner.cuts(for: options.selectors, in: inspection.pickle)
        guard !cuts.isEmpty else {
            // The preset found no training state: say what the file holds instead of which selector missed.
            if options.selectors == [.torchInferencePreset] {
                throw .nothingToStrip(file: input.split(separator: "/").last.map(String.init) ?? input, onlyWeights: holdsOnlyTensors(inspection))
            }
            throw .nothingMatched(options.selectors.map(\.description))
        }
        let selectedCuts = cuts
        if inspection.format == .legacy {
            cuts = cuts.map { cut in
                var cut = cut
                cut.range = (cut.range.lowerBound - base)..<(cut.range.upperBound - base)
                cut.valueStart -= base
                cut.valueEnd = cut.valueEnd.map { $0 - base }
                return cut
            }
            cuts += legacyViewMetadataCuts(inspection, base: base, outside: cuts)
            cuts.sort { $0.range.lowerBound < $1.range.lowerBound }
        }

        // 1. The new data.pkl, in memory (a checkpoint's pickle is small; the tensors are not in it).
        let pickleBytes = try rewritePickle(inspection, cuts: cuts, options: options)
        // 2. What it still refers to.
        var torchOptions = options.inspect
        torchOptions.recognizesTorch = true
        torchOptions.keptEdgesPerNode = max(torchOptions.keptEdgesPerNode, 1 << 16)
        let rewritten: Inspection
        do {
            rewritten = try Inspector.inspect(source: MemorySource(pickleBytes, name: input), name: input,
                                              fileBytes: UInt64(pickleBytes.count), options: torchOptions)
        } catch { throw .verificationFailed("the rewritten data.pkl does not parse: \(error)") }
        let keptKeys = Set(rewritten.torchTensors.values.map(\.storage.key))

        var result = StripResult(
            input: input, output: options.dryRun ? nil : output, dryRun: options.dryRun, setNone: options.setNone,
            format: inspection.format == .legacy ? "torch-zip (from torch-legacy)" : inspection.format.rawValue,
            compression: nil, inputBytes: inspection.fileBytes, outputBytes: nil,
            streamBytes: inspection.pickle.streamBytes, outputStreamBytes: UInt64(pickleBytes.count),
            removed: selectedCuts.map { cut in
                let storages = storagesBelow(cut.path, inspection)
                return StripResult.Removed(path: cut.path, what: cut.what, bytes: cut.range.upperBound - cut.range.lowerBound + storages)
            })
        if options.dryRun, !options.dryRunWritesTrial { return result }
        // A dry run writes and reads back the real output too, into a temporary file that is
        // never moved into place, so it refuses exactly what a real run refuses.
        guard let target = output ?? (options.dryRun ? Stripper.scratchPath(for: input) : nil) else {
            throw .unsupported("an output path (-o) is needed unless --dry-run is given")
        }

        // Written to the sink's temporary file, read back and compared, and only then renamed.
        do {
            let file = try AtomicFileSink(path: target)
            file.commitsOnFinish = false
            defer { file.discard() }  // after commit() this does nothing
            try writeZip(inspection, pickle: pickleBytes, keptKeys: keptKeys, into: file)
            try file.finish()
            try verify(inspection, cuts: selectedCuts, setNone: options.setNone, staged: file.temporaryPath, options: options)
            if options.dryRun { return result }
            try file.commit()
        } catch let error as OutputError {
            throw .output(error)
        } catch let error as StripError {
            throw error
        } catch let error as InputError {
            throw .input(PickleError(error))
        } catch let error as ZipError {
            throw .torch(.zip(error))
        } catch {
            throw .verificationFailed("\(error)")
        }
        var info = stat()
        if stat(target, &info) == 0 { result.outputBytes = UInt64(info.st_size) }
        return result
    }

    /// A bare state_dict: every entry of the top-level object is a tensor (besides the
    /// `_metadata` attribute `Module.state_dict()` attaches: module versions, no weights).
    static func holdsOnlyTensors(_ inspection: TorchInspection) -> Bool {
        let pickle = inspection.pickle
        guard let root = pickle.roots.last else { return false }
        let entries = pickle.graph[root].edges.filter { $0.label != .attribute("_metadata") }
        return !entries.isEmpty && entries.allSatisfy { edge in edge.child.map { pickle.torchTensors[$0] != nil } ?? false }
    }

    /// Storage bytes charged to tensors under `path` (what removing it frees besides the pickle bytes).
    static func storagesBelow(_ path: String, _ inspection: TorchInspection) -> UInt64 {
        inspection.tensors.filter { $0.path.hasPrefix(path) }.reduce(0) { $0 &+ $1.chargedBytes }
    }

    /// Legacy persistent ids end with a view-metadata item (None) the zip loader rejects:
    /// each such NONE is cut, except inside parts already cut.
    private static func legacyViewMetadataCuts(_ inspection: TorchInspection, base: UInt64, outside cuts: [StripCut]) -> [StripCut] {
        var offsets = Set<UInt64>()
        for facts in inspection.tensorNodes.values {
            if let offset = facts.storage.legacyViewMetadataOffset { offsets.insert(offset - base) }
        }
        return offsets.filter { offset in !cuts.contains { $0.range.contains(offset) } }.sorted().map {
            StripCut(path: "<view metadata>", range: $0..<($0 + 1), valueStart: $0, what: "None")
        }
    }

    private static func rewritePickle(_ inspection: TorchInspection, cuts: [StripCut], options: StripOptions) throws(StripError) -> [UInt8] {
        var needed: Set<Int64> = []
        for attempt in 0..<2 {
            let sink = MemorySink()
            let rewriter = try pickleRewriter(inspection, cuts: cuts, options: options, sink: sink, needed: needed)
            do {
                try rewriter.run()
                return sink.bytes
            } catch {
                guard case .needsAnalysis = error, attempt == 0 else { throw error }
                let analysis = try pickleRewriter(inspection, cuts: cuts, options: options, sink: nil, needed: [])
                try analysis.run()
                needed = Set(analysis.referencedFromOutside.keys)
            }
        }
        throw .verificationFailed("shared values still unresolved after analysis")
    }

    private static func pickleRewriter(
        _ inspection: TorchInspection, cuts: [StripCut], options: StripOptions, sink: ByteSink?, needed: Set<Int64>
    ) throws(StripError) -> PickleRewriter {
        let source: ByteSource
        do {
            let file = try FileSource(path: inspection.path)
            if let range = inspection.legacyMainPickleRange {
                source = SliceSource(file, start: range.lowerBound, length: UInt64(range.count))
            } else {
                let archive: ZipArchive
                do { archive = try ZipArchive(source: file, limits: options.zip) } catch { throw StripError.torch(.zip(error)) }
                guard let main = TorchInspector.mainPickle(in: archive.entries) else { throw StripError.torch(.layout(offset: 0, "no data.pkl record")) }
                do { source = try archive.open(main, limits: options.decompression) } catch { throw StripError.torch(.zip(error)) }
            }
        } catch let error as InputError {
            throw .input(PickleError(error))
        } catch let error as StripError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
        let reader = PickleReader(source: source, maximumWindow: options.maximumWindow)
        return PickleRewriter(reader: reader, cuts: cuts, rawSpans: [], setNone: options.setNone, sink: sink, needed: needed)
    }
}

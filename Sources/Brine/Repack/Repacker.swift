import BrineIO

#if canImport(Glibc)
import Glibc
#endif

/// Settings of `brine repack`.
public struct RepackOptions: Sendable {
    public var limitBytes: UInt64
    public var dryRun = false
    /// Allows the lossy step (joblib float64 arrays stored as float32) when nothing else fits.
    public var allowLossy = false
    public var bundle = BundleOptions()

    public init(limitBytes: UInt64) {
        self.limitBytes = limitBytes
    }
}

/// `brine repack`: the cheapest changes first (strip the deploy preset), then recompression
/// among codecs the loader reads; the plan that fits with the fastest load wins.
public enum Repacker {
    /// Codecs a joblib file can be rewritten with, fastest to load first (joblib picks the
    /// decompressor by magic bytes; lz4 is left out as it needs an extra package).
    static let joblibCodecs: [(CompressionFormat, Int32)] = [(.zlib, 3), (.zlib, 9), (.xz, 6), (.xz, 9), (.bzip2, 9)]
    /// Tarball codecs: gzip is what every loader (SageMaker included) expects; xz when only it fits.
    static let tarCodecs: [(CompressionFormat, Int32)] = [(.gzip, 6), (.gzip, 9), (.xz, 6), (.xz, 9)]

    public static func repack(input: String, output: String?, options: RepackOptions) throws(RepackError) -> RepackPlan {
        // A dry run writes nothing the user asked for, so its trial files go to the temporary
        // directory: never into the input's (a read-only model store, a directory another
        // process is walking).
        let scratch = Scratch(besides: output ?? Scratch.temporaryDirectory + "/dry-run")
        defer { scratch.removeAll() }
        do {
            return try repack(input: input, output: output, options: options, scratch: scratch)
        } catch {
            // Scratch files are Brine's business: a message names the file the user asked for.
            throw error.mapped { scratch.naming($0, as: output ?? input) }
        }
    }

    private static func repack(input: String, output: String?, options: RepackOptions, scratch: Scratch) throws(RepackError) -> RepackPlan {
        let walker = BundleWalker(options: options.bundle)
        // An artifact that cannot be read is unreadable input, not something to copy as is.
        var damaged: String?
        walker.visitor = { visit in
            if case .unreadable(_, let message) = visit, damaged == nil { damaged = message }
        }
        let member: BundleMember
        do {
            try FormatSniffer.refuseForeign(path: input)
            member = try walker.walk(path: input, followsLink: true)
        } catch { throw .input(InputErrorBox(description: error.description)) }
        if let damaged { throw .input(InputErrorBox(description: damaged)) }
        let inputBytes = member.storedBytes
        var plan = RepackPlan(
            input: input, output: options.dryRun ? nil : output, kind: member.kind, limitBytes: options.limitBytes,
            inputBytes: inputBytes, outputBytes: inputBytes, fits: inputBytes <= options.limitBytes, steps: [],
            candidates: [], dominant: [], notes: [])

        let result: String
        // The smallest content reached, when it is not `result` (a tarball that no codec fit).
        var reached: String?
        switch member.kind {
        case .pickle, .joblib:
            result = try repackArtifact(input, member: member, options: options, plan: &plan, scratch: scratch)
        case .tar:
            result = try repackTarball(input, member: member, options: options, plan: &plan, scratch: scratch, reached: &reached)
        case .torch:
            result = try repackTorch(input, member: member, options: options, plan: &plan, scratch: scratch)
        case .zip:
            // A wheel or other zip bundle: said as strip and convert say it (BundleChecker+Refusal).
            let what = BundleChecker.bundleDescription(path: input, options: options.bundle) ?? "a zip bundle"
            throw .unsupported("\(input): offset 0: \(what), not an artifact: brine repack reads one pickle, joblib or PyTorch file, "
                               + "or a tarball; \(BundleChecker.bundleCommands) read bundles")
        default:
            throw .unsupported("\(input): \(member.kind.rawValue) is not an artifact or tarball Brine can repack")
        }
        plan.outputBytes = fileSize(result) ?? plan.outputBytes
        plan.fits = plan.outputBytes <= options.limitBytes
        if !plan.fits {
            plan.output = nil
            plan.dominant = try largestParts(of: reached ?? result, shownAs: input, original: member, options: options)
        }
        guard !options.dryRun, plan.fits, let output else { return plan }
        // In place and nothing changed: the input already is the output.
        if result == input, sameFile(input, output) { return plan }
        if result == input {
            try copy(input, to: output)
        } else if rename(result, output) != 0 {
            throw .output("\(output): cannot move the result into place: \(String(cString: strerror(errno)))")
        }
        return plan
    }

    /// What takes the room in what the steps produced (a scratch file is walked, its name
    /// shown as the input's), so a part the strip already removed is never listed.
    private static func largestParts(of path: String, shownAs input: String, original: BundleMember, options: RepackOptions) throws(RepackError) -> [AttributeSize] {
        guard path != input else { return BudgetRunner.largestParts(of: original) }
        let walked: BundleMember
        do { walked = try BundleWalker(options: options.bundle).walk(path: path) } catch { throw .input(InputErrorBox(description: error.description)) }
        return BudgetRunner.largestParts(of: walked).map { part in
            var part = part
            if part.path.hasPrefix(path) { part.path = input + part.path.dropFirst(path.count) }
            return part
        }
    }

    // MARK: single artifacts

    private static func repackArtifact(_ input: String, member: BundleMember, options: RepackOptions, plan: inout RepackPlan, scratch: Scratch) throws(RepackError) -> String {
        var current = input
        var size = member.storedBytes
        if size <= options.limitBytes { return current }

        // 1. Strip what only training needed, keeping the codec.
        if let stripped = try strip(current, scratch: scratch) {
            let after = fileSize(stripped) ?? size
            plan.steps.append(.init(action: "strip --preset deploy", bytesBefore: size, bytesAfter: after))
            current = stripped
            size = after
            if size <= options.limitBytes { return current }
        }

        // 2. Recompress, if the loader is joblib (a plain pickle.load cannot read compressed files).
        guard member.kind == .joblib || member.compression != nil else {
            plan.notes.append("a plain pickle is loaded with pickle.load, which reads no compressed file; save it with joblib.dump to allow recompression")
            return current
        }
        if let path = try recompressToFit(current, size: size, options: options, plan: &plan, scratch: scratch) { return path }

        // 3. Lossy, only when asked: float64 arrays stored as float32. Without the flag the
        //    same step still runs into scratch files, so that the plan states what the flag
        //    would really give, not an estimate.
        guard member.kind == .joblib || member.compression != nil else { return current }
        let (inspection, lossy) = try downcastPlan(current)
        guard !lossy.isEmpty else {
            plan.notes.append(contentsOf: lossy.notes)
            return current
        }
        guard let outcome = try lossyStep(current, size: size, inspection: inspection, lossy: lossy, options: options, scratch: scratch) else {
            return current
        }
        guard !outcome.steps.isEmpty else {
            plan.notes += outcome.notes
            return current
        }
        guard options.allowLossy else {
            plan.lossySteps = outcome.steps
            plan.lossyCandidates = outcome.candidates.isEmpty ? nil : outcome.candidates
            let after = outcome.steps.last?.bytesAfter ?? size
            var figures = outcome.steps.map { "\($0.action.hasPrefix("downcast") ? "downcast" : $0.action) \(ByteFormat.human($0.bytesBefore)) -> \(ByteFormat.human($0.bytesAfter))" }
            if after > options.limitBytes, let smallest = outcome.candidates.min(by: { $0.bytes < $1.bytes }) {
                figures.append("at best \(smallest.codec) \(ByteFormat.human(smallest.bytes))")
            }
            plan.notes.append("--allow-lossy would store \(lossy.arrayNodes.count) float64 array(s) as float32: "
                              + figures.joined(separator: ", then ")
                              + " (\(after <= options.limitBytes ? "fits" : "still over the limit"))")
            scratch.remove(outcome.path)
            return current
        }
        plan.steps += outcome.steps
        plan.notes += outcome.notes
        if !outcome.candidates.isEmpty { plan.candidates = outcome.candidates }
        return outcome.path
    }

    /// The lossy step and the recompression after it, measured on real output.
    struct LossyOutcome {
        var steps: [RepackPlan.Step]
        var candidates: [RepackPlan.Candidate]
        var notes: [String]
        /// The smallest result (the downcast file, or the codec that fits).
        var path: String
    }

    private static func lossyStep(
        _ current: String, size: UInt64, inspection: Inspection, lossy: DowncastPlan, options: RepackOptions, scratch: Scratch
    ) throws(RepackError) -> LossyOutcome? {
        let target = scratch.make()
        let result: DowncastResult?
        do {
            result = try FloatDowncaster.downcast(input: current, output: target, inspection: inspection, plan: lossy,
                                                  options: StripOptions(selectors: []))
        } catch {
            // A value float32 cannot hold: the step is not taken, which is a finding, not a failure.
            guard case .unsupported(let reason) = error else { throw .strip("\(current): \(error)") }
            return LossyOutcome(steps: [], candidates: [], notes: ["no downcast: \(reason)"], path: current)
        }
        guard let result else { return nil }
        let after = fileSize(target) ?? size
        let largest = result.largest.map { "\($0.path) \(ByteFormat.human($0.bytes))" }.joined(separator: ", ")
        var outcome = LossyOutcome(
            steps: [.init(action: "downcast float64 -> float32 (--allow-lossy): \(result.arrays) array(s)", bytesBefore: size, bytesAfter: after,
                          note: "float32 keeps about 7 significant digits (relative rounding error at most 2^-24); largest: \(largest)")],
            candidates: [], notes: result.notes, path: target)
        if after <= options.limitBytes { return outcome }
        let (step, candidates, path) = try recompressStep(target, size: after, options: options, scratch: scratch)
        outcome.candidates = candidates
        if let step, let path {
            outcome.steps.append(step)
            scratch.remove(target)
            outcome.path = path
        }
        return outcome
    }

    /// The fastest-loading joblib codec that fits, as a plan step; nil when none does.
    private static func recompressToFit(_ current: String, size: UInt64, options: RepackOptions, plan: inout RepackPlan, scratch: Scratch) throws(RepackError) -> String? {
        let (step, candidates, path) = try recompressStep(current, size: size, options: options, scratch: scratch)
        plan.candidates = candidates
        if let step { plan.steps.append(step) }
        return path
    }

    private static func recompressStep(
        _ current: String, size: UInt64, options: RepackOptions, scratch: Scratch
    ) throws(RepackError) -> (RepackPlan.Step?, [RepackPlan.Candidate], String?) {
        let (best, candidates) = try bestCodec(for: current, codecs: joblibCodecs, limit: options.limitBytes, scratch: scratch)
        guard let (codec, level, path) = best else { return (nil, candidates, nil) }
        let after = fileSize(path) ?? size
        return (.init(action: "recompress \(codecName(codec)):\(level)", bytesBefore: size, bytesAfter: after, note: loadNote(codec)), candidates, path)
    }

    /// What `--allow-lossy` would convert in `path` (empty when the file cannot be read).
    private static func downcastPlan(_ path: String) throws(RepackError) -> (Inspection, DowncastPlan) {
        do { return try FloatDowncaster.plan(input: path, options: StripOptions(selectors: [])) } catch {
            throw .strip("\(path): \(error)")
        }
    }

    /// PyTorch files: strip optimizer/scheduler/scaler state. There is no codec step: torch
    /// writes and expects stored (uncompressed) zip records.
    private static func repackTorch(_ input: String, member: BundleMember, options: RepackOptions, plan: inout RepackPlan, scratch: Scratch) throws(RepackError) -> String {
        if member.storedBytes <= options.limitBytes { return input }
        if let stripped = try strip(input, scratch: scratch) {
            plan.steps.append(.init(action: "strip --preset torch-inference", bytesBefore: member.storedBytes, bytesAfter: fileSize(stripped) ?? 0))
            return stripped
        }
        plan.notes.append("PyTorch files are not recompressed: torch.load expects stored zip records")
        return input
    }

    /// The fastest-loading codec whose output fits, written to a scratch file. `codecs` is
    /// ordered fastest to load first, so the first that fits is the answer and the slower
    /// (often much slower to compress) ones are not tried.
    private static func bestCodec(
        for path: String, codecs: [(CompressionFormat, Int32)], limit: UInt64, scratch: Scratch
    ) throws(RepackError) -> ((CompressionFormat, Int32, String)?, [RepackPlan.Candidate]) {
        var candidates: [RepackPlan.Candidate] = []
        for (codec, level) in codecs {
            let target = scratch.make()
            let bytes = try recompress(path, codec: codec, level: level, into: target)
            let fits = bytes <= limit
            candidates.append(.init(codec: "\(codecName(codec)):\(level)", bytes: bytes, fits: fits))
            if fits { return ((codec, level, target), candidates) }
            scratch.remove(target)
        }
        return (nil, candidates)
    }

    /// Decompresses `path` by content and compresses it again; returns the compressed size.
    static func recompress(_ path: String, codec: CompressionFormat, level: Int32, into target: String?) throws(RepackError) -> UInt64 {
        do {
            let stream = try ArtifactStream.open(path: path)
            let file = try target.map { (t: String) throws(OutputError) -> AtomicFileSink in try AtomicFileSink(path: t) }
            let counter = CountingSink(downstream: file)
            // The counter sits below the compressor, so it counts compressed bytes.
            let sink = try openCompressing(counter, format: codec, level: level)
            _ = try copyAll(from: stream.source, to: sink)
            try sink.finish()
            return counter.bytesWritten
        } catch let error as InputError {
            throw .input(InputErrorBox(description: error.description))
        } catch {
            throw .output("\(error)")
        }
    }

    /// The deploy strip for the artifact's kind: `torch-inference` for PyTorch zip files,
    /// `deploy` for pickles and joblib files. nil when nothing matched (or for a legacy torch
    /// file, which would have to change format).
    private static func strip(_ path: String, scratch: Scratch) throws(RepackError) -> String? {
        let target = scratch.make()
        let torch = try? TorchInspector.detect(path: path)
        if torch == .legacy { return nil }
        do {
            if torch != nil {
                _ = try TorchStripper.strip(input: path, output: target, options: StripOptions(selectors: [.torchInferencePreset]))
            } else {
                _ = try Stripper.strip(input: path, output: target, options: StripOptions(selectors: [.deployPreset]))
            }
            return target
        } catch {
            switch error {
            case .nothingMatched, .nothingToStrip: return nil
            case .output(let failure): throw .output(failure.description)
            default: break
            }
            throw .strip("\(path): \(error)")
        }
    }

    // MARK: tarballs

    private static func repackTarball(
        _ input: String, member: BundleMember, options: RepackOptions, plan: inout RepackPlan, scratch: Scratch, reached: inout String?
    ) throws(RepackError) -> String {
        if member.storedBytes <= options.limitBytes { return input }
        // 1. Rewrite the tar with its artifacts stripped; names, modes, owners, times and
        //    order kept. Nothing is extracted: members pass through scratch files named by
        //    Brine, never by the archive.
        let plainTar = scratch.make()
        var strippedMembers: [String] = []
        var before: UInt64 = 0, after: UInt64 = 0
        do {
            let file = try FileSource(path: input)
            let reader = try ArchiveReader(upstream: file, limits: options.bundle.decompression)
            let sink = try AtomicFileSink(path: plainTar)
            let writer = try ArchiveWriter(downstream: sink, container: .tar, filter: nil)
            var count = 0
            while var entry = try reader.nextEntry() {
                count += 1
                if entry.escapesRoot {
                    plan.notes.append("member \(entry.path) keeps its unsafe name (absolute, '..' or a link leading out); nothing was extracted")
                }
                guard count <= options.bundle.maximumMembers else {
                    throw InputError(path: input, offset: 0, reason: .limitExceeded(limit: "bundle member limit", value: UInt64(options.bundle.maximumMembers), option: "--max-members"))
                }
                guard entry.kind == .file else {
                    try writer.begin(entry)
                    continue
                }
                let memberFile = scratch.make()
                let memberSink = try AtomicFileSink(path: memberFile)
                _ = try copyAll(from: reader.entrySource(named: input + "!" + entry.path), to: memberSink)
                try memberSink.finish()
                var chosen = memberFile
                let original = fileSize(memberFile) ?? 0
                if isArtifact(memberFile), let stripped = try strip(memberFile, scratch: scratch) {
                    chosen = stripped
                    strippedMembers.append(entry.path)
                }
                let size = fileSize(chosen) ?? 0
                before += original
                after += size
                entry.size = size
                try writer.begin(entry)
                if case .failure(let error) = try writer.write(from: try FileSource(path: chosen)) { throw error }
            }
            try writer.finish()
        } catch let error as InputError {
            throw .input(InputErrorBox(description: error.description))
        } catch let error as RepackError {
            throw error
        } catch {
            throw .output("\(error)")
        }
        if !strippedMembers.isEmpty {
            plan.steps.append(.init(action: "members: strip (deploy / torch-inference)", bytesBefore: before, bytesAfter: after,
                                    note: "uncompressed member bytes; stripped " + strippedMembers.joined(separator: ", ")))
        }
        // 2. Compress the tar: gzip first (what loaders expect), xz only when gzip cannot fit.
        let (best, candidates) = try bestCodec(for: plainTar, codecs: tarCodecs, limit: options.limitBytes, scratch: scratch)
        plan.candidates = candidates
        if let (codec, level, path) = best {
            plan.steps.append(.init(action: "recompress tar \(codecName(codec)):\(level)", bytesBefore: member.storedBytes,
                                    bytesAfter: fileSize(path) ?? 0, note: codec == .gzip ? nil : "xz: check that the loader (e.g. SageMaker expects gzip) accepts it"))
            return path
        }
        if let smallest = candidates.min(by: { $0.bytes < $1.bytes }) {
            plan.notes.append("smallest tarball reached: \(smallest.codec) \(ByteFormat.human(smallest.bytes))")
        }
        plan.outputBytes = candidates.map(\.bytes).min() ?? member.storedBytes
        if !strippedMembers.isEmpty { reached = plainTar }
        return input
    }

    private static func isArtifact(_ path: String) -> Bool {
        if let torch = try? TorchInspector.detect(path: path), torch != .legacy { return true }
        guard let stream = try? ArtifactStream.open(path: path) else { return false }
        let peek = PeekableSource(stream.source)
        guard let head = try? peek.peek(2) else { return false }
        return head.count == 2 && head[0] == 0x80 && (2...5).contains(head[1])
    }

    static func codecName(_ codec: CompressionFormat) -> String {
        codec == .bzip2 ? "bz2" : codec.rawValue
    }

    static func loadNote(_ codec: CompressionFormat) -> String {
        switch codec {
        case .zlib, .gzip: "loads fastest of the compressed forms"
        case .xz, .lzma: "smaller than zlib; decompresses a few times slower"
        case .bzip2: "slowest to load of the codecs tried"
        default: ""
        }
    }

    static func sameFile(_ first: String, _ second: String) -> Bool {
        var a = stat(), b = stat()
        guard stat(first, &a) == 0, stat(second, &b) == 0 else { return false }
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }

    static func fileSize(_ path: String) -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt64(max(0, info.st_size))
    }

    private static func copy(_ input: String, to output: String) throws(RepackError) {
        do {
            let sink = try AtomicFileSink(path: output)
            _ = try copyAll(from: try FileSource(path: input), to: sink)
            try sink.finish()
        } catch {
            throw .output("\(error)")
        }
    }
}

/// Scratch files beside the output (same file system, so the last step is a rename),
/// named by Brine alone and removed when the repack ends.
final class Scratch: @unchecked Sendable {
    private let directory: String
    private var made: [String] = []
    private var cleanups: [InterruptCleanup.Token?] = []

    /// Two repacks in one process (in-process callers, tests run in parallel) writing beside
    /// the same file must not share names: each Scratch has its own tag.
    private let tag = UInt32.random(in: 0...UInt32.max)

    /// `$TMPDIR`, else /tmp.
    static var temporaryDirectory: String {
        guard let value = getenv("TMPDIR").map({ String(cString: $0) }), value.hasPrefix("/") else { return "/tmp" }
        return value.count > 1 && value.hasSuffix("/") ? String(value.dropLast()) : value
    }

    init(besides path: String) {
        let slash = path.lastIndex(of: "/")
        directory = slash.map { String(path[...$0]) } ?? ""
    }

    func make() -> String {
        let path = directory + ".brine-repack-\(getpid())-\(String(tag, radix: 16))-\(made.count)"
        made.append(path)
        cleanups.append(InterruptCleanup.register(path))
        return path
    }

    func remove(_ path: String) {
        unlink(path)
    }

    /// `text` with every scratch file's name replaced by `target`.
    func naming(_ text: String, as target: String) -> String {
        made.reversed().reduce(text) { $0.replacing($1, with: target) }
    }

    func removeAll() {
        for path in made { unlink(path) }
        for token in cleanups { InterruptCleanup.unregister(token) }
        cleanups = []
    }
}

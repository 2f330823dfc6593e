import BrineIO

#if canImport(Glibc)
import Glibc
#endif

/// `brine check` on anything a path names: a single artifact, a directory, or a tar/zip
/// bundle, recursively, through the one bundle walker (nothing extracted, nothing run).
/// Every artifact member is checked by the rules; members that are no artifact (code, text,
/// binary data) are skipped; members whose stored name leads out of the extraction
/// directory are findings (BR721).
public enum BundleChecker {
    public struct Result: Sendable {
        public var findings: [Finding] = []
        /// Every artifact checked, by member path (`model.tar.gz!word_dict.pkl`).
        public var artifacts: [String] = []
        /// One line per artifact that could not be read (member and offset): exit 2.
        public var unreadable: [String] = []
        /// The artifacts (of `artifacts`) behind those lines: not checked, so not counted as checked.
        public var unreadableArtifacts: [String] = []
        /// A directory or archive was walked: no artifact in it means nothing was checked.
        public var isBundle = false
    }

    /// Throws when the walk itself stops: the path cannot be opened, a limit is reached
    /// (decompression bomb, member count, nesting) or an archive is damaged.
    public static func check(path: String, context: CheckContext, options: BundleOptions = BundleOptions()) throws(InputError) -> Result {
        if let result = try checkLayout(path: path, context: context, options: options) { return result }
        try FormatSniffer.refuseForeign(path: path)
        if try !isBundle(path: path, options: options) {
            return checkArtifact(path: path, context: context, options: options)
        }
        var options = options
        options.inspect.recordsReferences = true
        let walker = BundleWalker(options: options)
        // Rules run as each artifact is read, so only findings outlive its object graph.
        let collected = Collector()
        walker.visitor = { visit in collected.record(visit, context: context) }
        walker.jobs = options.jobs
        walker.parallelVisitor = {
            let local = Collector()
            return ParallelVisitor(visit: { local.record($0, context: context) }, merge: { collected.absorb(local) })
        }
        let root: BundleMember
        do {
            root = try walker.walk(path: path, followsLink: true)
        } catch {
            // A limit reached part way: what was checked before it is still reported.
            guard !collected.result.artifacts.isEmpty else { throw error }
            collected.result.unreadable.append(error.description)
            collected.result.findings.sort(by: Finding.reportOrder)
            return collected.result
        }
        var result = collected.result
        result.isBundle = root.isBundle || root.kind == .directory
        result.findings += HuggingFaceFolders.analyze(root, json: walker.capturedJSON, tensors: collected.tensorNames).findings
        for member in root.flattened() where member.unsafePath == true {
            result.findings.append(unsafePathFinding(member))
        }
        if result.artifacts.isEmpty, result.unreadable.isEmpty, !root.isBundle, root.kind != .directory {
            result.unreadableArtifacts.append(path)
            result.unreadable.append("\(path): offset 0: not a pickle, joblib or PyTorch file, nor a directory, tar or zip bundle")
        }
        result.findings.sort(by: Finding.reportOrder)
        return result
    }

    /// A single artifact goes straight to `Checker.check`, the streaming path with
    /// read-ahead decompression `brine check` had before bundles (its speed is measured in
    /// docs/benchmarks.md); everything else through the walker.
    static func checkArtifact(path: String, context: CheckContext, options: BundleOptions) -> Result {
        var result = Result()
        result.artifacts = [path]
        do {
            result.findings = try Checker.check(path: path, context: context, options: options.inspect,
                                                decompression: options.decompression, maximumWindow: options.maximumWindow,
                                                progress: options.progress)
        } catch {
            if case .unreadable(_, let message) = ArtifactVisit.unreadable(path: path, diskPath: nil, error: error) {
                result.unreadable = [message]
                result.unreadableArtifacts = [path]
            }
        }
        return result
    }

    /// A directory, or a file whose content (decompressed) is a tar or a zip that is no
    /// PyTorch file.
    public static func isBundle(path: String, options: BundleOptions) throws(InputError) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { throw InputError(path: path, offset: 0, reason: .cannotOpen(errno: errno)) }
        if info.st_mode & S_IFMT == S_IFDIR { return true }
        guard info.st_mode & S_IFMT == S_IFREG else { return false }
        let source = PeekableSource(try FileSource(path: path))
        let magic = try source.peek(CompressionFormat.magicLength)
        if ArtifactReaders.mayBeTorch(magic), (try? TorchInspector.detect(path: path)) ?? nil != nil { return false }
        guard let codec = magic.withUnsafeBytes({ CompressionFormat.detect($0) }) else {
            return ArchiveKind.detect(try source.peek(ArchiveKind.detectLength)) != nil
        }
        let stream = PeekableSource(try openDecompressed(source, format: codec, limits: options.decompression))
        return ArchiveKind.detect(try stream.peek(ArchiveKind.detectLength)) != nil
    }

    /// BR721, shared with `brine budget`; an error here: `brine check` asks whether anything
    /// in the bundle is dangerous, and a naive extraction (older `tarfile.extractall`) writes
    /// outside the directory.
    static func unsafePathFinding(_ member: BundleMember) -> Finding {
        let what = member.linkTarget.map { "it links to \($0)" } ?? "an absolute path or '..' in its name"
        let budget = BudgetFinding(
            code: "bundle-unsafe-path", severity: .error,
            message: "archive member \(member.path) would be written outside the extraction directory (\(what)); Brine never extracts it, but other tools might",
            file: member.path)
        return budget.finding
    }

    /// What the rules found, in visit order. Each walker thread has its own; the walking
    /// thread absorbs them in walk order.
    private final class Collector: @unchecked Sendable {
        var result = Result()
        var tensorNames: [String: [String]] = [:]

        func record(_ visit: ArtifactVisit, context: CheckContext) {
            switch visit {
            case .pickle(let member, let inspection):
                result.artifacts.append(member)
                result.findings += Checker.findings(ArtifactFacts(file: member, inspection: inspection), context: context)
            case .torch(let member, let inspection):
                result.artifacts.append(member)
                result.findings += Checker.findings(ArtifactFacts(file: member, torch: inspection), context: context)
            case .layout(let member, let layout):
                result.artifacts.append(member)
                result.findings += LayoutRules.findings(layout, file: member)
                tensorNames[member] = layout.tensors.map(\.name)
            case .unreadable(let member, let message):
                result.artifacts.append(member)
                result.unreadable.append(message)
                result.unreadableArtifacts.append(member)
            }
        }

        func absorb(_ other: Collector) {
            result.findings += other.result.findings
            result.artifacts += other.result.artifacts
            result.unreadable += other.result.unreadable
            result.unreadableArtifacts += other.result.unreadableArtifacts
            tensorNames.merge(other.tensorNames) { first, _ in first }
        }
    }
}

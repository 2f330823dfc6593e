import BrineIO

#if canImport(Glibc)
import Glibc
#endif

/// What `brine budget` is asked to measure.
public struct BudgetRequest: Sendable {
    public var paths: [String]
    public var limit: SizeLimit?
    public var pythonEnvironment: String?
    /// Ignore file for directories; nil uses each directory's `.slugignore` if present.
    public var ignoreFile: String?
    public var files: [BrineConfig.FileBudget] = []
    /// Most findings tolerated per severity (errors: 0 unless set).
    public var findings: [BudgetFinding.Severity: Int] = [:]
    public var baseline: SizeSnapshot?
    public var topContributors = 10
    public var bundle = BundleOptions()
    /// Called while packing (gzip-tar, zip measures) with bytes of files packed and the total.
    public var progress: (@Sendable (UInt64, UInt64) -> Void)?
    /// Threads packing (and opening the largest files) at once.
    public var jobs = 1
    /// Compressed sizes of earlier runs (docs/budgets.md "Cache"); nil measures everything.
    public var cache: BudgetCache?
    /// How gzip sizes are computed: libdeflate's fast estimate, or zlib's exact bytes.
    public var gzipSizer = GzipSizer.fast

    public init(paths: [String], limit: SizeLimit?) {
        self.paths = paths
        self.limit = limit
    }
}

/// The outcome, in the stable JSON shape docs/budgets.md documents.
public struct BudgetResult: Codable, Sendable {
    public static let schemaVersion = 1

    public struct Contributor: Codable, Sendable, Equatable {
        public var path: String
        public var kind: MemberKind
        /// On disk (uncompressed for plain files).
        public var bytes: UInt64
        /// What it alone compresses to with gzip -6: its share of a compressed package.
        public var compressedBytes: UInt64?
        public var compression: String?
        /// The largest parts inside an artifact or bundle.
        public var parts: [AttributeSize]
    }

    public struct FileBudgetResult: Codable, Sendable, Equatable {
        public var path: String
        public var glob: String
        public var limit: SizeLimit
        public var measuredBytes: UInt64
        public var over: Bool
    }

    public var schemaVersion = BudgetResult.schemaVersion
    public var paths: [String]
    public var limit: SizeLimit?
    public var measuredBytes: UInt64
    public var uncompressedBytes: UInt64
    public var files: Int
    public var ignored: Int
    public var pythonEnvironment: PythonEnvironment?
    public var contributors: [Contributor]
    public var fileBudgets: [FileBudgetResult]
    /// Against the baseline: what grew or shrank, largest change first.
    public var changes: [SizeDelta]?
    public var findings: [BudgetFinding]
    /// Whether the gate fails: an error finding, or more findings of a severity than allowed.
    public var failed: Bool
    /// For writing a new baseline.
    public var snapshot: SizeSnapshot
    /// One line (file, offset, what was expected) per artifact named on the command line that
    /// could not be read: it is still counted by its size, but the input is damaged, so the run
    /// exits 2. Files found inside a directory or bundle only get the walker's note: a binary
    /// file that merely starts like a protocol 0 pickle is not an artifact the user named.
    public var unreadable: [String]?
}

public enum BudgetRunner {
    public static func run(_ request: BudgetRequest) throws(InputError) -> BudgetResult {
        var files = FileSet()
        for path in request.paths {
            var ignore = IgnorePatterns(patterns: [])
            var info = stat()
            let isDirectory = stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
            if isDirectory { ignore = IgnorePatterns.load(path: request.ignoreFile ?? (path + "/.slugignore")) }
            let prefix = request.paths.count > 1 && isDirectory ? (path.split(separator: "/").last.map(String.init) ?? path) + "/" : ""
            try files.add(path: path, prefix: prefix, ignore: ignore)
        }
        let appFiles = files
        var environment: PythonEnvironment?
        var distributions: [(installed: PythonEnvironment.Installed, entries: [FileSet.Entry])] = []
        if let envPath = request.pythonEnvironment {
            guard let scanned = PythonEnvironment.scan(envPath) else {
                throw InputError(path: envPath, offset: 0, reason: .corruptStream(codec: "python environment", detail: "no site-packages with *.dist-info RECORD files found"))
            }
            environment = scanned
            for installed in scanned.installed {
                var own = FileSet()
                for path in installed.filePaths {
                    var info = stat()
                    guard lstat(path, &info) == 0 else { continue }
                    let relative = path.hasPrefix(scanned.sitePackages + "/") ? String(path.dropFirst(scanned.sitePackages.count + 1)) : path
                    own.add(diskPath: path, name: "site-packages/" + relative, info: info)
                }
                files.entries += own.entries
                distributions.append((installed, own.entries))
            }
        }
        let measure = request.limit?.measure ?? .uncompressed
        var measured: UInt64
        if measure == .gzipTar || measure == .zip {
            let plan = PackPlan(app: appFiles, distributions: distributions)
            measured = try plan.measure(measure, jobs: request.jobs, cache: request.cache, sizer: request.gzipSizer, progress: request.progress)
        } else {
            measured = try PackMeasure.measure(files, as: measure, progress: request.progress)
        }
        if measure == .uncompressed, let environment {
            // Installed sizes come from RECORD, whether or not every file is still on disk.
            measured = appFiles.totalBytes &+ environment.bytes
        }

        var result = BudgetResult(
            paths: request.paths, limit: request.limit, measuredBytes: measured, uncompressedBytes: appFiles.totalBytes &+ (environment?.bytes ?? 0),
            files: files.fileCount, ignored: files.ignored, pythonEnvironment: environment, contributors: [],
            fileBudgets: [], changes: nil, findings: [], failed: false, snapshot: SizeSnapshot())

        // The largest files of the app, opened to show what inside them takes the room.
        let largest = appFiles.entries.filter { $0.kind == .file }.sorted { $0.size != $1.size ? $0.size > $1.size : $0.name < $1.name }
        let unreadable = UnreadableArtifacts(named: Set(request.paths))
        let walker = unreadable.watching(BundleWalker(options: request.bundle))
        var walked: [String: BundleMember] = [:]
        let top = Array(largest.prefix(request.topContributors))
        // What each alone compresses to, on every core (and from the cache).
        let cache = request.cache, sizer = request.gzipSizer
        let compressedSizes = measure == .gzipTar || measure == .zip
            ? ParallelWork.map(count: top.count, jobs: request.jobs) { index in
                Result(catching: { () throws(InputError) -> UInt64 in try PackPlan.gzipSize(of: top[index].diskPath, cache: cache, sizer: sizer) })
            }
            : nil
        for (index, entry) in top.enumerated() {
            let member = try walker.walk(path: entry.diskPath)
            walked[entry.name] = member
            let compressed = try compressedSizes?[index].get()
            result.contributors.append(BudgetResult.Contributor(
                path: entry.name, kind: member.kind, bytes: entry.size, compressedBytes: compressed,
                compression: member.compression, parts: largestParts(of: member)))
            for item in member.flattened() {
                if item.unsafePath == true {
                    result.findings.append(BudgetFinding(
                        code: "bundle-unsafe-path", severity: .warning,
                        message: "archive member \(item.path) would be written outside the extraction directory (absolute path, '..' or a link leading out); Brine never extracts it, but other tools might",
                        file: entry.name))
                }
            }
            for finding in trainingOnly(in: member, name: entry.name) {
                result.findings.append(BudgetFinding(
                    code: "training-only", severity: .note,
                    message: finding.message,
                    file: entry.name, treePath: finding.path))
            }
        }

        let appEntries = appFiles.entries.filter { $0.kind == .file }.map { (name: $0.name, diskPath: $0.diskPath, size: $0.size) }
        for duplicate in HuggingFaceFolders.duplicateWeights(appEntries) {
            result.findings.append(BudgetFinding(code: "duplicate-weights", severity: .warning, message: duplicate.message, file: duplicate.name))
        }

        if let limit = request.limit {
            let name = limit.preset.map { "\($0) limit" } ?? "limit"
            if measured > limit.bytes {
                result.findings.append(BudgetFinding(
                    code: "budget-over", severity: .error,
                    message: "\(ByteFormat.human(measured)) \(limit.measure.phrase) is over the \(name) of \(ByteFormat.human(limit.bytes)) by \(ByteFormat.human(measured - limit.bytes))\(dominantText(result.contributors, environment))",
                    file: request.paths.joined(separator: " ")))
            } else if let warn = limit.warnBytes, measured > warn {
                result.findings.append(BudgetFinding(
                    code: "budget-warn", severity: .warning,
                    message: "\(ByteFormat.human(measured)) \(limit.measure.phrase) is past the platform's warning size of \(ByteFormat.human(warn)) (limit \(ByteFormat.human(limit.bytes)))",
                    file: request.paths.joined(separator: " ")))
            }
        }

        for rule in request.files {
            for entry in appFiles.entries where entry.kind == .file && fnmatch(rule.glob, entry.name, 0) == 0 {
                let size = rule.limit.measure == .gzipTar || rule.limit.measure == .zip ? try PackPlan.gzipSize(of: entry.diskPath, cache: request.cache, sizer: request.gzipSizer) : entry.size
                let over = size > rule.limit.bytes
                result.fileBudgets.append(BudgetResult.FileBudgetResult(path: entry.name, glob: rule.glob, limit: rule.limit, measuredBytes: size, over: over))
                guard over else { continue }
                let member: BundleMember
                if let known = walked[entry.name] { member = known } else { member = try walker.walk(path: entry.diskPath) }
                let parts = largestParts(of: member)
                let partsText = parts.prefix(3).map { "\($0.path) \(ByteFormat.human($0.bytes))" }.joined(separator: ", ")
                result.findings.append(BudgetFinding(
                    code: "budget-file-over", severity: .error,
                    message: "\(entry.name) is \(ByteFormat.human(size)), over its budget of \(ByteFormat.human(rule.limit.bytes)) (\(rule.glob)) by \(ByteFormat.human(size - rule.limit.bytes))"
                        + (partsText.isEmpty ? "" : "; largest parts: \(partsText)")
                        + "; try `brine repack \(entry.name) -o \(entry.name) --limit \(rule.limit.text)`",
                    file: entry.name, treePath: parts.first?.path))
            }
        }

        if let environment {
            for rule in HeavyDependencyRule.builtIn {
                let hits = rule.matches(environment)
                guard !hits.isEmpty else { continue }
                let bytes = hits.reduce(UInt64(0)) { $0 &+ $1.bytes }
                result.findings.append(BudgetFinding(
                    code: rule.code, severity: .warning,
                    message: "\(hits.map { "\($0.name) \($0.version)" }.joined(separator: ", ")) take \(ByteFormat.human(bytes)): \(rule.advice) (source: \(rule.source))",
                    file: environment.sitePackages))
            }
        }

        // The snapshot is the full measurement, whatever --top shows: every file, and what is
        // inside every artifact and bundle, so a baseline compares with any later run.
        var snapshot = SizeSnapshot(entries: ["TOTAL \(measure.rawValue)": measured])
        for entry in appFiles.entries where entry.kind == .file {
            snapshot.entries[entry.name] = entry.size
            // Files past --top are opened only for the snapshot: one that cannot be read keeps
            // its size, and the run is not failed for a file the report does not show.
            // A walker of its own: the member limit counts one bundle, not the whole repository.
            guard let member = walked[entry.name] ?? (try? unreadable.watching(BundleWalker(options: request.bundle)).walk(path: entry.diskPath)) else {
                continue
            }
            for (key, value) in SizeSnapshot.of(member).entries where key != "." {
                // Members come keyed `!member` already; attributes `:: path`.
                snapshot.entries[entry.name + (key.hasPrefix("::") ? " " : key.hasPrefix("!") ? "" : "!") + key] = value
            }
        }
        for distribution in environment?.distributions ?? [] { snapshot.entries["python-env: " + distribution.name] = distribution.bytes }
        result.snapshot = snapshot
        if let baseline = request.baseline {
            result.changes = SizeDiff.compareLikeWithLike(baseline, snapshot)
        }

        result.unreadable = unreadable.lines.isEmpty ? nil : unreadable.lines
        result.findings.sort { ($0.severity, $1.file, $1.code) > ($1.severity, $0.file, $0.code) }
        var allowed = request.findings
        if allowed[.error] == nil { allowed[.error] = 0 }
        result.failed = allowed.contains { severity, most in result.findings.filter { $0.severity == severity }.count > most }
        return result
    }

    /// The largest parts one level or two inside an artifact, or the largest members of a bundle.
    static func largestParts(of member: BundleMember) -> [AttributeSize] {
        var parts: [AttributeSize] = []
        if let attributes = member.attributes {
            parts = attributes.filter { $0.depth == 1 }
            if parts.count == 1, let only = parts.first {
                parts = attributes.filter { $0.depth == 2 && $0.path.hasPrefix(only.path) }
            }
        } else if member.isBundle {
            let members = member.flattened().dropFirst().filter { !$0.isBundle || $0.kind == .torch }
                .sorted { $0.bytes != $1.bytes ? $0.bytes > $1.bytes : $0.path < $1.path }
            parts = members.prefix(5).map { AttributeSize(path: $0.path, type: $0.kind.rawValue, bytes: $0.bytes, depth: 1) }
            // Inside the largest member: what takes its room, one level down.
            if let top = members.first, let inner = top.attributes {
                let children = inner.filter { $0.depth == 1 }.sorted { $0.bytes > $1.bytes }.prefix(3)
                parts += children.map { AttributeSize(path: top.path + " :: " + $0.path, type: $0.type, bytes: $0.bytes, depth: 2) }
            }
            return parts
        }
        return Array(parts.sorted { $0.bytes != $1.bytes ? $0.bytes > $1.bytes : $0.path < $1.path }.prefix(5))
    }

    /// Training-only parts with the one command that removes them, chosen by what the
    /// artifact holding them is (a PyTorch file or a scikit-learn pickle), never both.
    static func trainingOnly(in member: BundleMember, name: String) -> [(path: String, bytes: UInt64, message: String)] {
        member.flattened().flatMap { item in
            let inside = item.path == member.path
            // A member of a bundle is named as budget names the bundle, then `!member`.
            let artifact = inside ? name : name + item.path.dropFirst(min(member.path.count, item.path.count))
            let preset = item.kind == .torch ? "torch-inference" : "deploy"
            return (item.trainingOnly ?? []).map { part in
                let saving = ByteFormat.human(part.saving)
                // brine strip reads single files; a member of an archive is stripped by repack.
                let advice = inside
                    ? "`brine strip --preset \(preset)` saves \(saving)"
                    : "`brine repack \(name)` strips it with --preset \(preset), saving \(saving)"
                return (path: inside ? part.path : item.path + " :: " + part.path, bytes: part.saving,
                        message: "\(artifact): \(advice) (\(part.path) is only needed for training)")
            }
        }
    }

    private static func appBytes(_ contributors: [BudgetResult.Contributor]) -> UInt64 {
        contributors.reduce(0) { $0 &+ $1.bytes }
    }

    static func dominantText(_ contributors: [BudgetResult.Contributor], _ environment: PythonEnvironment?) -> String {
        if let environment, environment.bytes > appBytes(contributors) {
            let largest = environment.distributions.prefix(3).map { "\($0.name) \(ByteFormat.human($0.bytes))" }.joined(separator: ", ")
            return "; the Python environment dominates (\(ByteFormat.human(environment.bytes)): \(largest))"
        }
        guard let top = contributors.first else { return "" }
        var text = "; the largest file is \(top.path) (\(ByteFormat.human(top.bytes)))"
        if let part = top.parts.first { text += ", mostly \(part.path) (\(ByteFormat.human(part.bytes)))" }
        return text
    }
}

/// The artifacts named on the command line that a budget's walks could not read, each once.
private final class UnreadableArtifacts {
    private(set) var lines: [String] = []
    private var seen: Set<String> = []
    private let named: Set<String>

    init(named: Set<String>) { self.named = named }

    func watching(_ walker: BundleWalker) -> BundleWalker {
        walker.visitor = { [self] visit in
            guard case .unreadable(let path, let message) = visit, named.contains(path), seen.insert(path).inserted else { return }
            lines.append(message)
        }
        return walker
    }
}

import BrineIO

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
    }

    /// Throws when the walk itself stops: the path cannot be opened, a limit is reached
    /// (decompression bomb, member count, nesting) or an archive is damaged.
    public static func check(path: String, context: CheckContext, options: BundleOptions = BundleOptions()) throws(InputError) -> Result {
        var options = options
        options.inspect.recordsReferences = true
        let walker = BundleWalker(options: options)
        let collected = Collector()
        walker.visitor = { collected.visits.append($0) }
        let root = try walker.walk(path: path, followsLink: true)
        var result = Result()
        for visit in collected.visits {
            switch visit {
            case .pickle(let member, let inspection):
                result.artifacts.append(member)
                result.findings += Checker.findings(ArtifactFacts(file: member, inspection: inspection), context: context)
            case .torch(let member, let inspection):
                result.artifacts.append(member)
                result.findings += Checker.findings(ArtifactFacts(file: member, torch: inspection), context: context)
            case .unreadable(let member, let message):
                result.artifacts.append(member)
                result.unreadable.append(message)
            }
        }
        for member in root.flattened() where member.unsafePath == true {
            result.findings.append(unsafePathFinding(member))
        }
        if result.artifacts.isEmpty, result.unreadable.isEmpty, !root.isBundle, root.kind != .directory {
            result.unreadable.append("\(path): offset 0: not a pickle, joblib or PyTorch file, nor a directory, tar or zip bundle")
        }
        result.findings.sort(by: Finding.reportOrder)
        return result
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

    private final class Collector: @unchecked Sendable {
        var visits: [ArtifactVisit] = []
    }
}

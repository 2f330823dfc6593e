import BrineIO

/// A rule family: reads the facts of one artifact and reports findings.
public protocol CheckRule: Sendable {
    func findings(_ facts: ArtifactFacts, _ context: CheckContext) -> [Finding]
}

/// Entry point of `brine check`: replays an artifact with references recorded (nothing is
/// executed or imported) and runs every rule family over it.
public enum Checker {
    public static let families: [any CheckRule] = [
        MainModuleRule(), ResolutionRule(), VersionSkewRule(), PlatformRule(), HygieneRule(), PrivacyRule(), SecurityRule(),
    ]

    /// Checks a file: a pickle or joblib file (compression detected by content) or a PyTorch
    /// file (zip, legacy or TorchScript), whose tensors' storage locations join the facts.
    public static func check(
        path: String, context: CheckContext, options: InspectOptions = InspectOptions(), decompression: DecompressionLimits = .default,
        maximumWindow: Int = 64 << 20, progress: ((UInt64, UInt64) -> Void)? = nil
    ) throws -> [Finding] {
        var options = options
        options.recordsReferences = true
        if (try? TorchInspector.detect(path: path)) ?? nil != nil {
            let torch = try TorchInspector.inspect(path: path, options: options, decompression: decompression, maximumWindow: maximumWindow)
            return findings(ArtifactFacts(file: path, torch: torch), context: context)
        }
        let inspection = try Inspector.inspect(path: path, options: options, decompression: decompression, maximumWindow: maximumWindow,
                                               progress: progress)
        return findings(ArtifactFacts(file: path, inspection: inspection), context: context)
    }

    /// Runs the rules over facts gathered elsewhere (an archive member, a torch `data.pkl`
    /// with its storages). The inspection must have been made with `recordsReferences`.
    public static func findings(_ facts: ArtifactFacts, context: CheckContext) -> [Finding] {
        var seen = Set<String>()
        var out: [Finding] = []
        for family in families {
            for finding in family.findings(facts, context) {
                // The same global used in many places of one object is reported once per place.
                let key = [finding.code, finding.location.file, finding.location.treePath ?? "", finding.message].joined(separator: "\u{1}")
                if seen.insert(key).inserted { out.append(finding) }
            }
        }
        return out.sorted(by: Finding.reportOrder)
    }
}

import BrineIO

/// What an artifact needs in order to load, read from its own bytes: the top-level modules
/// it imports (by distribution), the versions its state records, and the Python its
/// by-value code was compiled for. Built from the same replay `brine check` uses.
public struct LoadRequirements: Sendable {
    public struct Library: Sendable {
        public var distribution: String
        public var version: String?
        /// Modules of it the artifact imports, sorted.
        public var modules: [String]
        /// Other versions found in the state (estimators pickled under different versions).
        public var otherVersions: [String] = []
        /// A version range the artifact's form requires (`numpy>=2` for numpy._core).
        public var requires: String?
        /// True when the distribution was not known to Brine and is named after the module.
        public var guessed: Bool
    }

    public var libraries: [Library] = []
    /// `>=3.11` or `>=3.8,<3.11` for code pickled by value (cloudpickle, dill).
    public var python: String?
    /// PyTorch zip records that name the serialization format (`version`, `.data/version`).
    public var torchRecords: [String: String] = [:]
    /// Artifacts read (members of a bundle), in walk order.
    public var artifacts: [String] = []
    /// One line per artifact that could not be read.
    public var unreadable: [String] = []

    public init() {}

    /// Adds what one artifact imports and records.
    mutating func add(_ facts: ArtifactFacts, torchMetadata: [String: String] = [:]) {
        artifacts.append(facts.file)
        var modulesByDistribution: [String: Set<String>] = [:]
        var guessed = Set<String>()
        for reference in facts.references {
            let module = reference.module
            if module == "__main__" || module == "__mp_main__" || module == "__torch__" || module.hasPrefix("__torch__.") { continue }
            let top = module.split(separator: ".").first.map(String.init) ?? module
            if StandardLibrary.contains(top, minor: 11) { continue }
            let distribution = Distributions.candidates(forImport: top)[0]
            if !Distributions.isKnown(top) { guessed.insert(distribution) }
            modulesByDistribution[distribution, default: []].insert(module)
        }
        var sklearnVersions: [String] = []
        for attribute in facts.attributes where attribute.name == "_sklearn_version" {
            if let preview = attribute.preview, !sklearnVersions.contains(unquote(preview)) { sklearnVersions.append(unquote(preview)) }
        }
        let numpyCore = facts.references.filter { $0.module == "numpy._core" || $0.module.hasPrefix("numpy._core.") }
        for (distribution, modules) in modulesByDistribution {
            var library = libraries.first { $0.distribution == distribution }
                ?? Library(distribution: distribution, modules: [], guessed: guessed.contains(distribution))
            library.modules = Array(Set(library.modules).union(modules)).sorted()
            if distribution == "scikit-learn" {
                for version in sklearnVersions where version != library.version && !library.otherVersions.contains(version) {
                    if library.version == nil { library.version = version } else { library.otherVersions.append(version) }
                }
            }
            if distribution == "numpy", !numpyCore.isEmpty {
                // The rule of BR202: numpy 1.26.1+ has stubs for a few numpy._core modules only.
                let beyondStubs = numpyCore.contains { !VersionSkewRule.numpy126Stubs.contains($0.module) }
                library.requires = beyondStubs ? ">=2" : ">=1.26.1"
            }
            if let index = libraries.firstIndex(where: { $0.distribution == distribution }) {
                libraries[index] = library
            } else {
                libraries.append(library)
            }
        }
        libraries.sort { $0.distribution < $1.distribution }
        for code in facts.codeObjects {
            let constraint = code.fieldCount == 18 ? ">=3.11" : code.fieldCount == 16 ? ">=3.8,<3.11" : nil
            if let constraint, python == nil { python = constraint }
        }
        for name in ["version", ".data/version"] {
            if let value = torchMetadata[name] { torchRecords[name] = value }
        }
    }

    /// Reads a file, directory or bundle (nothing is run or imported).
    public static func read(path: String, options: BundleOptions) throws -> LoadRequirements {
        var requirements = LoadRequirements()
        var options = options
        options.inspect.recordsReferences = true
        // Tensor formats (an .npy as an .npz) go through the walker, which reads their layout
        // and hands over the pickles inside them (object arrays).
        if try !BundleChecker.isBundle(path: path, options: options), FormatSniffer.sniff(path: path)?.isTensorFormat != true {
            if (try? TorchInspector.detect(path: path)) ?? nil != nil {
                let torch = try TorchInspector.inspect(path: path, options: options.inspect, zipLimits: ZipLimits(maximumEntries: options.maximumMembers),
                                                       decompression: options.decompression, maximumWindow: options.maximumWindow)
                requirements.add(ArtifactFacts(file: path, torch: torch), torchMetadata: torch.metadata)
            } else {
                let inspection = try Inspector.inspect(path: path, options: options.inspect, decompression: options.decompression,
                                                       maximumWindow: options.maximumWindow)
                requirements.add(ArtifactFacts(file: path, inspection: inspection))
            }
            return requirements
        }
        let walker = BundleWalker(options: options)
        let box = Box()
        walker.visitor = { visit in
            switch visit {
            case .pickle(let member, let inspection):
                box.value.add(ArtifactFacts(file: member, inspection: inspection))
            case .torch(let member, let inspection):
                box.value.add(ArtifactFacts(file: member, torch: inspection), torchMetadata: inspection.metadata)
            case .layout:
                // Tensor formats import no Python module when read; pickles inside them
                // (npy object arrays) come as their own .pickle visits.
                break
            case .unreadable(_, let message):
                box.value.unreadable.append(message)
            }
        }
        _ = try walker.walk(path: path, followsLink: true)
        return box.value
    }

    private final class Box: @unchecked Sendable {
        var value = LoadRequirements()
    }
}

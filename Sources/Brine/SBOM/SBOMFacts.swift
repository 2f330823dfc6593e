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
        /// Where the distribution's name comes from: the installed environment's metadata
        /// file, the row of Brine's table (with that row's source), or the import name.
        public var source: String = ""
        /// The version installed in `--python-env`, when the name came from there.
        public var installedVersion: String?
    }

    /// The distribution providing a top-level import name, and how that is known: an
    /// installed environment's `top_level.txt`/RECORD first, then Brine's table
    /// (`Distributions.importTable`, each row citing its source), else the import name
    /// itself, said to be a guess.
    public struct Resolution: Sendable, Equatable {
        public var distribution: String
        public var source: String
        public var guessed: Bool
        public var installedVersion: String?
    }

    /// An installed environment to take the import-name mapping from (`brine sbom --python-env`).
    public var environment: PythonEnvironment?

    public func resolve(_ topLevel: String) -> Resolution {
        if let environment, let first = environment.distributions(providing: topLevel).first {
            return Resolution(distribution: first.name, source: "installed: \(first.infoDirectory)/\(first.topLevelEvidence)",
                              guessed: false, installedVersion: first.version.isEmpty ? nil : first.version)
        }
        if let row = Distributions.row(forImport: topLevel) {
            return Resolution(distribution: row.distributions[0], source: "Brine's table: " + row.source, guessed: false)
        }
        return Resolution(distribution: Distributions.candidates(forImport: topLevel)[0],
                          source: "guess: named after the import `\(topLevel)` (no installed distribution or table row names it)", guessed: true)
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
        var resolutions: [String: Resolution] = [:]
        for reference in facts.references {
            let module = reference.module
            if module == "__main__" || module == "__mp_main__" || module == "__torch__" || module.hasPrefix("__torch__.") { continue }
            let top = module.split(separator: ".").first.map(String.init) ?? module
            if StandardLibrary.contains(top, minor: 11) { continue }
            let resolution = resolve(top)
            if resolutions[resolution.distribution] == nil { resolutions[resolution.distribution] = resolution }
            modulesByDistribution[resolution.distribution, default: []].insert(module)
        }
        var sklearnVersions: [String] = []
        for attribute in facts.attributes where attribute.name == "_sklearn_version" {
            if let preview = attribute.preview, !sklearnVersions.contains(unquote(preview)) { sklearnVersions.append(unquote(preview)) }
        }
        let numpyCore = facts.references.filter { $0.module == "numpy._core" || $0.module.hasPrefix("numpy._core.") }
        for (distribution, modules) in modulesByDistribution {
            var library = libraries.first { $0.distribution == distribution }
                ?? Library(distribution: distribution, modules: [], guessed: resolutions[distribution]?.guessed ?? false,
                           source: resolutions[distribution]?.source ?? "", installedVersion: resolutions[distribution]?.installedVersion)
            library.modules = Array(Set(library.modules).union(modules)).sorted()
            if DeclaredDependencies.normalize(distribution) == "scikit-learn" {
                for version in sklearnVersions where version != library.version && !library.otherVersions.contains(version) {
                    if library.version == nil { library.version = version } else { library.otherVersions.append(version) }
                }
            }
            if DeclaredDependencies.normalize(distribution) == "numpy", !numpyCore.isEmpty {
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
    public static func read(path: String, options: BundleOptions, environment: PythonEnvironment? = nil) throws -> LoadRequirements {
        var requirements = LoadRequirements()
        requirements.environment = environment
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
        box.value.environment = environment
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

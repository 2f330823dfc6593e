/// BR102, BR103, BR104: every `module.name` the artifact imports, resolved the way the
/// server would: the application's sources (`--app-dir`), the standard library of the
/// target Python, then the declared dependencies. Runs only when Brine was told about the
/// application or its requirements.
struct ResolutionRule: CheckRule {
    func findings(_ facts: ArtifactFacts, _ context: CheckContext) -> [Finding] {
        let app = context.appSources
        let declared = context.dependencies
        guard app != nil || !declared.isEmpty else { return [] }
        let minor = context.pythonMinor ?? 11
        let covered = Distributions.covering(Array(declared.requirements.keys))
        let requirementsName = declared.sources.first.map { $0.lastComponent } ?? "requirements.txt"
        var out: [Finding] = []
        var done = Set<String>()
        var reportedDistributions = Set<String>()
        // `__torch__.*` names TorchScript classes compiled into the archive, not modules to import.
        for reference in facts.references where reference.module != "__main__" && reference.module != "__mp_main__"
            && reference.module != "__torch__" && !reference.module.hasPrefix("__torch__.") {
            guard done.insert(reference.qualifiedName).inserted else { continue }
            let module = reference.module
            let top = module.split(separator: ".").first.map(String.init) ?? module
            let location = FindingLocation(file: facts.file, treePath: reference.path, offset: reference.reference.offset)

            if let app, app.hasTopLevel(of: module) {
                if !app.hasModule(module) {
                    out.append(Finding(
                        rule: CheckRules.unresolvedModule, severity: .error,
                        message: "\(reference.arrow): the application has `\(top)` but no module `\(module)`",
                        explanation: "Loading imports `\(module)` to find `\(reference.name)`. Your application in \(app.root) has a `\(top)` package but no `\(module)` in it, so the load fails with ModuleNotFoundError. Modules are often renamed or moved after a model was trained.",
                        fix: "Add `\(module.replacingAll(".", "/")).py` back to the application (a module that re-exports `\(reference.name)` is enough), or re-pickle the model with the classes imported from where they live now.",
                        location: location))
                } else if !app.defines(reference.name, in: module) {
                    out.append(Finding(
                        rule: CheckRules.missingName, severity: .error,
                        message: "\(reference.arrow): `\(module)` in the application does not define `\(reference.name)`",
                        explanation: "Loading imports `\(module)` from your application and reads `\(reference.name)` from it; the module has no top-level def, class, assignment or import of that name, so the load fails with AttributeError. The function or class was probably renamed or moved.",
                        fix: "Define or re-export `\(reference.name)` in `\(module)` (e.g. `from .new_place import \(reference.name)` in its `__init__.py`), or re-pickle the model.",
                        location: location))
                }
                continue
            }
            if StandardLibrary.contains(top, minor: minor) { continue }
            if StandardLibrary.contains(top, minor: 11), let removed = StandardLibrary.removalVersion(of: top) {
                out.append(Finding(
                    rule: CheckRules.unresolvedModule, severity: .error,
                    message: "\(reference.arrow): `\(top)` was removed from the standard library in Python \(removed)",
                    explanation: "The artifact imports `\(module)`, which ships with older Pythons only. On Python 3.\(minor) the load fails with ModuleNotFoundError.",
                    fix: "Run the server on a Python older than \(removed), or replace the object that needs `\(top)` and re-pickle.",
                    location: location))
                continue
            }
            let candidates = Distributions.candidates(forImport: top)
            if candidates.contains(where: covered.contains) { continue }
            let suggestion = candidates[0]
            if declared.isEmpty {
                guard reportedDistributions.insert(suggestion).inserted else { continue }
                out.append(Finding(
                    rule: CheckRules.undeclaredDependency, severity: .warning,
                    message: "\(reference.arrow): needs `\(suggestion)` installed; no requirements file was found in the application",
                    explanation: "The artifact imports `\(module)`, which is not part of the application or of the standard library. Brine found no requirements.txt, pyproject.toml or Pipfile to check that `\(suggestion)` is installed on the server.",
                    fix: "Declare `\(suggestion)` with the exact version used for training in requirements.txt, or pass --requirements FILE.",
                    location: location))
            } else if app == nil && !Distributions.isKnown(top) && !SecurityLists.knownModules.contains(top) {
                out.append(Finding(
                    rule: CheckRules.undeclaredDependency, severity: .warning,
                    message: "\(reference.arrow): `\(top)` is not declared in \(requirementsName); if it is your own code, pass --app-dir",
                    explanation: "The artifact imports `\(module)`. It is neither in the standard library nor among the declared dependencies; without --app-dir Brine cannot tell whether it is part of your application.",
                    fix: "Pass --app-dir with your application's source directory, or declare the distribution that provides `\(top)`.",
                    location: location))
            } else if app != nil && !Distributions.isKnown(top) && !SecurityLists.knownModules.contains(top) {
                out.append(Finding(
                    rule: CheckRules.unresolvedModule, severity: .error,
                    message: "\(reference.arrow): `\(module)` is neither in the application, the standard library nor \(requirementsName)",
                    explanation: "Loading imports `\(module)` to find `\(reference.name)`. Nothing provides it: there is no `\(top)` in \(app!.root), it is not part of Python 3.\(minor)'s standard library, and no declared dependency installs it. The load fails with ModuleNotFoundError: No module named '\(top)'.",
                    fix: "Add the `\(top)` package to the application, or add the distribution that provides it (probably `\(suggestion)`) to \(requirementsName).",
                    location: location))
            } else if reportedDistributions.insert(suggestion).inserted {
                out.append(Finding(
                    rule: CheckRules.undeclaredDependency, severity: .error,
                    message: "\(reference.arrow): add `\(suggestion)` to \(requirementsName)",
                    explanation: "Loading imports `\(module)`, which comes from the `\(candidates.joined(separator: "` or `"))` distribution. No declared dependency installs it, so the load fails with ModuleNotFoundError: No module named '\(top)'.",
                    fix: "Add `\(suggestion)==<the version used for training>` to \(requirementsName).",
                    location: location))
            }
        }
        return out
    }
}

extension String {
    /// The file name of a path, for messages (`requirements.txt`).
    var lastComponent: String { split(separator: "/").last.map(String.init) ?? self }
}

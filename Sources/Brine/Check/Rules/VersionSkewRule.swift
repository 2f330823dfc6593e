/// BR201, BR202, BR203: versions the artifact is bound to, against what is pinned.
struct VersionSkewRule: CheckRule {
    func findings(_ facts: ArtifactFacts, _ context: CheckContext) -> [Finding] {
        sklearn(facts, context) + numpy(facts, context) + byValue(facts, context)
    }

    /// scikit-learn writes `_sklearn_version` into every estimator's state (BaseEstimator.__getstate__)
    /// and warns (InconsistentVersionWarning) or fails when another version loads it.
    private func sklearn(_ facts: ArtifactFacts, _ context: CheckContext) -> [Finding] {
        var firstPath: [String: String] = [:]
        var order: [String] = []
        for attribute in facts.attributes where attribute.name == "_sklearn_version" {
            guard let preview = attribute.preview else { continue }
            let version = unquote(preview)
            if firstPath[version] == nil { firstPath[version] = attribute.path; order.append(version) }
        }
        return order.compactMap { text in
            guard let version = PackageVersion(text) else { return nil }
            let location = FindingLocation(file: facts.file, treePath: firstPath[text])
            let explanation = "scikit-learn records its version in every estimator it pickles (`_sklearn_version`). Estimators are not guaranteed to load across versions: internal attributes change between releases, and a different version raises InconsistentVersionWarning at best and AttributeError or wrong predictions at worst (scikit-learn's model persistence docs)."
            if let requirement = context.dependencies.requirement(for: "scikit-learn") {
                if !requirement.specifier.isEmpty && !requirement.specifier.allows(version) {
                    return Finding(rule: CheckRules.sklearnVersion, severity: .error,
                                   message: "pickled with scikit-learn \(text); \(requirement.source.lastComponent) pins scikit-learn\(requirement.specifier)",
                                   explanation: explanation,
                                   fix: "Pin `scikit-learn==\(text)` on the server, or retrain and re-pickle with the pinned version.",
                                   location: location)
                }
                if requirement.specifier.exactPin == nil {
                    return Finding(rule: CheckRules.sklearnVersion, severity: .warning,
                                   message: "pickled with scikit-learn \(text); \(requirement.source.lastComponent) allows other versions (\(requirement.specifier.isEmpty ? "unpinned" : requirement.specifier.text))",
                                   explanation: explanation,
                                   fix: "Pin `scikit-learn==\(text)` in \(requirement.source.lastComponent).",
                                   location: location)
                }
                return nil
            }
            guard context.dependencies.isEmpty else { return nil }  // BR103 reports the missing declaration
            return Finding(rule: CheckRules.sklearnVersion, severity: .warning,
                           message: "pickled with scikit-learn \(text); the server must run exactly this version",
                           explanation: explanation + " Brine was not given the requirements, so it cannot check the pin.",
                           fix: "Pin `scikit-learn==\(text)` in requirements.txt (and pass it with --requirements to check it).",
                           location: location)
        }
    }

    /// numpy 2 moved `numpy.core` to `numpy._core`; its pickles name the new module. numpy
    /// 1.26.1+ ships stubs for a few submodules so that common numpy 2 pickles load
    /// (numpy PR #24906); any other `numpy._core.*` (e.g. `numeric._frombuffer`, used by
    /// protocol 5 and `DataFrame.to_pickle`) needs numpy 2 (numpy issue #28340).
    static let numpy126Stubs: Set<String> = [
        "numpy._core", "numpy._core.multiarray", "numpy._core.umath", "numpy._core._multiarray_umath", "numpy._core._internal",
        "numpy._core._dtype", "numpy._core._dtype_ctypes",
    ]

    private func numpy(_ facts: ArtifactFacts, _ context: CheckContext) -> [Finding] {
        let uses = facts.references.filter { $0.module == "numpy._core" || $0.module.hasPrefix("numpy._core.") }
        guard !uses.isEmpty else { return [] }
        let beyondStubs = uses.first { !Self.numpy126Stubs.contains($0.module) }
        let reference = beyondStubs ?? uses[0]
        let floor = beyondStubs == nil ? PackageVersion(release: [1, 26, 1]) : PackageVersion(release: [2])
        let needs = beyondStubs == nil ? "numpy>=1.26.1" : "numpy>=2"
        let location = FindingLocation(file: facts.file, treePath: reference.path, offset: reference.reference.offset)
        let explanation = "numpy 2 renamed its internal package `numpy.core` to `numpy._core`, and what it pickles references `\(reference.qualifiedName)`. "
            + (beyondStubs == nil
                ? "numpy 1.26.1 and later carry stubs for this module; older numpy fails with ModuleNotFoundError: No module named 'numpy._core'."
                : "No numpy 1.x has `\(reference.module)` (1.26's `numpy._core` stubs cover only multiarray and umath), so loading fails with ModuleNotFoundError: No module named '\(reference.module)'.")
            + " (\(ByteFormat.counted(uses.count, "reference")) to numpy._core here.)"
        if let requirement = context.dependencies.requirement(for: "numpy"), !requirement.specifier.isEmpty {
            if !requirement.specifier.allowsSome(atLeast: floor) {
                return [Finding(rule: CheckRules.numpy2, severity: .error,
                                message: "pickled with numpy 2 (`\(reference.qualifiedName)`); \(requirement.source.lastComponent) pins numpy\(requirement.specifier)",
                                explanation: explanation,
                                fix: "Require `\(needs)` on the server (with the pandas/scikit-learn versions built for it), or re-pickle under numpy 1.x.",
                                location: location)]
            }
            let below = PackageVersion(release: floor.release.count > 1 ? [1, 26, 0] : [1, 26, 4])
            if requirement.specifier.allows(below) || requirement.specifier.allows(PackageVersion(release: [1, 25, 2])) {
                return [Finding(rule: CheckRules.numpy2, severity: .warning,
                                message: "pickled with numpy 2 (`\(reference.qualifiedName)`); numpy\(requirement.specifier) also allows versions that cannot load it",
                                explanation: explanation, fix: "Require `\(needs)` in \(requirement.source.lastComponent).", location: location)]
            }
            return []
        }
        return [Finding(rule: CheckRules.numpy2, severity: .warning,
                        message: "pickled with numpy 2 (`\(reference.qualifiedName)`); numpy is not pinned",
                        explanation: explanation,
                        fix: "Require `\(needs)` in requirements.txt; pass it with --requirements to check it.",
                        location: location)]
    }

    /// cloudpickle and dill pickle functions by value: their bytecode, whose format changes
    /// with every CPython minor release.
    private func byValue(_ facts: ArtifactFacts, _ context: CheckContext) -> [Finding] {
        let uses = facts.references.filter {
            if case .byValue = SecurityLists.classify(module: $0.module, name: $0.name) { return true }
            return false
        }
        guard let first = uses.first(where: { $0.path != nil }) ?? uses.first else { return [] }
        // cloudpickle calls CodeType with every field: 18 from CPython 3.11 (co_qualname,
        // co_exceptiontable), 16 in 3.8-3.10. The other family's CodeType raises TypeError.
        if let minor = context.pythonMinor,
           let code = facts.codeObjects.first(where: { ($0.fieldCount == 18 && minor < 11) || ($0.fieldCount == 16 && minor >= 11) }) {
            let family = code.fieldCount == 18 ? "CPython 3.11 or later" : "CPython 3.8-3.10"
            return [Finding(
                rule: CheckRules.byValueCode, severity: .error,
                message: "a code object pickled by value under \(family) cannot be rebuilt on Python 3.\(minor)",
                explanation: "cloudpickle rebuilds functions by calling types.CodeType with every field of the original code object. This one has \(code.fieldCount) fields, the constructor of \(family); Python 3.\(minor)'s takes \(minor >= 11 ? 18 : 16), so loading fails with TypeError before the model exists.",
                fix: "Run the server on the Python minor version used for training, or re-pickle under Python 3.\(minor) (better: move the function into a module and pickle by reference).",
                location: FindingLocation(file: facts.file, treePath: code.path))]
        }
        let library = first.module.hasPrefix("dill") ? "dill" : first.module.hasPrefix("cloudpickle") ? "cloudpickle" : "types"
        let target = context.pythonMinor.map { " the server's Python 3.\($0) must be the same minor version as the one that pickled it" } ?? " the server must run the same CPython minor version (3.x) as the one that pickled it"
        return [Finding(
            rule: CheckRules.byValueCode, severity: .warning,
            message: "functions pickled by value with \(library) (`\(first.qualifiedName)`);" + target,
            explanation: "\(library) stores a function's bytecode and code-object fields instead of a reference to its module. Bytecode and the CodeType constructor change with every CPython minor release, so the artifact only loads (or only runs correctly) on the Python version that created it, and only with \(library) installed. The bytecode also runs whatever it was written to do when the function is called: review where the artifact came from.",
            fix: "Pin the training Python's minor version on the server (e.g. `python-3.11` in runtime.txt) and `\(library)` in requirements.txt; or move the functions into a module of the application and pickle by reference.",
            location: FindingLocation(file: facts.file, treePath: first.path, offset: first.reference.offset))]
    }
}

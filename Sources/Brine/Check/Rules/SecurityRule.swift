/// BR601, BR602: globals that run code or touch the system when the artifact loads, and
/// globals outside the libraries ML artifacts are made of. Nothing is executed to decide.
struct SecurityRule: CheckRule {
    func findings(_ facts: ArtifactFacts, _ context: CheckContext) -> [Finding] {
        var out: [Finding] = []
        var unknown: [String: [PlacedReference]] = [:]
        var unknownOrder: [String] = []
        for reference in facts.references where reference.module != "__main__" && reference.module != "__mp_main__" {
            switch SecurityLists.classify(module: reference.module, name: reference.name) {
            case .dangerous(let reason):
                if isNewLookup(reference, facts) || isBoundMethod(reference, facts) { continue }
                out.append(dangerous(reference, reason: reason, facts: facts))
            case .byValue:
                if let imported = importedModule(reference, facts), case .dangerous(let reason) = SecurityLists.classify(module: imported, name: "*") {
                    out.append(dangerous(reference, reason: "imports `\(imported)`, which \(reason)", facts: facts))
                }
            case .known:
                continue
            case .unknown:
                // With --app-dir, a module is the app's own code or reported unresolved (BR102, an error).
                if context.appSources != nil { continue }
                if unknown[reference.qualifiedName] == nil { unknownOrder.append(reference.qualifiedName) }
                unknown[reference.qualifiedName, default: []].append(reference)
            }
        }
        for name in unknownOrder {
            let uses = unknown[name]!
            let first = uses.first { $0.path != nil } ?? uses[0]
            let called = uses.contains { $0.reference.use == .called }
            out.append(Finding(
                rule: CheckRules.unknownGlobal, severity: .warning,
                message: "\(first.arrow): `\(first.module)` is not a library Brine knows (\(called ? "called" : "referenced"), \(ByteFormat.counted(uses.count, "use")))",
                explanation: "Loading imports `\(first.module)` and \(called ? "calls" : "reads") `\(first.name)`. It is not one of the ML libraries Brine recognises, so Brine cannot vouch for what importing or calling it does. If it is your own code, pass --app-dir so Brine can see it.",
                fix: "Check that `\(first.qualifiedName)` is code you trust; pass --app-dir DIR when it is part of your application.",
                location: FindingLocation(file: facts.file, treePath: first.path, offset: first.reference.offset)))
        }
        return out
    }

    private func dangerous(_ reference: PlacedReference, reason: String, facts: ArtifactFacts) -> Finding {
        let called = reference.reference.use == .called
        return Finding(
            rule: CheckRules.dangerousGlobal, severity: .error,
            message: "\(reference.arrow) \(called ? "is called when the artifact loads" : "is referenced"): it \(reason)",
            explanation: called
                ? "Unpickling calls `\(reference.qualifiedName)` with arguments stored in the file, before your code sees the object. A model file has no reason to do this; this is how malicious pickles run commands. Brine found it without executing anything."
                : "The artifact names `\(reference.qualifiedName)`, which \(reason). Unpickling can hand it to another call (functools.partial, a getattr chain, a __setstate__), so its presence alone lets the file run code on load.",
            fix: "Do not load this file with pickle, joblib or torch.load. Rebuild the model from a trusted source; if you made it, find which object pickles `\(reference.qualifiedName)` (\(Self.place(reference))) and remove it.",
            location: FindingLocation(file: facts.file, treePath: reference.path, offset: reference.reference.offset))
    }

    /// Where the reference sits, spelled out in the fix: the attribute path when it has one,
    /// else the stream offset (the object the file itself unpickles to).
    static func place(_ reference: PlacedReference) -> String {
        if let path = reference.path, !path.isEmpty { return "at `\(path)`" }
        return "the file's top-level object, its opcode at offset \(reference.reference.offset) of the pickle stream (`brine dis` shows it)"
    }

    /// `getattr(SomeClass, '__new__')`: how CPython itself pickles `__getnewargs_ex__` objects
    /// at protocols 2 and 3 (copyreg's `__newobj_ex__` fallback). Any other attribute stays dangerous.
    private func isNewLookup(_ reference: PlacedReference, _ facts: ArtifactFacts) -> Bool {
        guard reference.name == "getattr", reference.reference.use == .called, let node = reference.reference.node else { return false }
        let graph = facts.inspection.graph
        guard let arguments = graph[node].edges.first(where: { $0.label == .arguments })?.child else { return false }
        let items = graph[arguments].edges
        guard items.count == 2, let owner = items.first(where: { $0.label == .index(0) }), owner.kind == .global,
              let ownerName = owner.preview, let dot = ownerName.lastIndex(of: ".") else { return false }
        guard items.first(where: { $0.label == .index(1) })?.preview == "'__new__'" else { return false }
        // The class itself must be harmless.
        if case .dangerous = SecurityLists.classify(module: String(ownerName[..<dot]), name: String(ownerName[ownerName.index(after: dot)...])) {
            return false
        }
        return true
    }

    /// `getattr(owner, 'name')` whose result is only kept, never called at load: how CPython
    /// pickles bound methods and methods looked up on classes (fastai's `learn.export()`
    /// holds several). Benign when the owner is an object the pickle built or a class of a
    /// known library, the name is not a dunder, and neither the result nor anything it was
    /// put into (a partial, a MethodType) is called while loading. `getattr(x, 'system')('…')`
    /// stays dangerous.
    private func isBoundMethod(_ reference: PlacedReference, _ facts: ArtifactFacts) -> Bool {
        guard reference.name == "getattr", reference.reference.use == .called, let node = reference.reference.node,
              !feedsACall(node.index, facts) else { return false }
        let graph = facts.inspection.graph
        guard let arguments = graph[node].edges.first(where: { $0.label == .arguments })?.child else { return false }
        let items = graph[arguments].edges
        guard items.count == 2, let owner = items.first(where: { $0.label == .index(0) }),
              let name = items.first(where: { $0.label == .index(1) })?.preview, name.hasPrefix("'"), !name.hasPrefix("'__") else {
            return false
        }
        guard owner.kind == .global else { return owner.child != nil }
        guard let ownerName = owner.preview, let dot = ownerName.lastIndex(of: ".") else { return false }
        return SecurityLists.classify(module: String(ownerName[..<dot]), name: String(ownerName[ownerName.index(after: dot)...])) == .known
    }

    /// Whether `node`, or what took it in (up to four levels: a tuple, the object built from
    /// it, …), is called during the load.
    private func feedsACall(_ node: Int, _ facts: ArtifactFacts) -> Bool {
        let log = facts.inspection.references
        var frontier = [node]
        for _ in 0..<5 {
            if frontier.contains(where: facts.calledNodes.contains) { return true }
            frontier = frontier.flatMap { [log?.owner[$0], log?.referencedBy[$0]].compactMap { $0 } }
            if frontier.isEmpty { return false }
        }
        return false
    }

    /// The module name cloudpickle's `subimport('os')` or dill's `_import_module('os')` imports.
    private func importedModule(_ reference: PlacedReference, _ facts: ArtifactFacts) -> String? {
        guard reference.name == "subimport" || reference.name == "_import_module", let node = reference.reference.node else { return nil }
        let graph = facts.inspection.graph
        guard let arguments = graph[node].edges.first(where: { $0.label == .arguments })?.child,
              let first = graph[arguments].edges.first(where: { $0.label == .index(0) })?.preview else { return nil }
        return unquote(first)
    }
}

/// BR101: functions and classes pickled from the training script are recorded as
/// `__main__.name`; under gunicorn, uvicorn or a notebook-free server `__main__` is another
/// module and loading fails with `AttributeError: Can't get attribute 'name' on <module '__main__'>`.
struct MainModuleRule: CheckRule {
    func findings(_ facts: ArtifactFacts, _ context: CheckContext) -> [Finding] {
        facts.references.filter { $0.module == "__main__" || $0.module == "__mp_main__" }.map { reference in
            let kind = reference.reference.use == .called ? "class" : "function or class"
            var fix = "Move `\(reference.name)` into a module of your application (e.g. `preprocessing.py`), import it from there in the training script, and re-pickle; or pickle it by value with `cloudpickle.register_pickle_by_value` (then see BR203)."
            if let app = context.appSources, let home = app.moduleDefining(reference.name) {
                fix = "Your application already defines `\(reference.name)` in `\(home)`: import it from there in the training script and re-pickle (the pickle then records `\(home).\(reference.name)`)."
            }
            return Finding(
                rule: CheckRules.mainModule, severity: .error,
                message: "\(reference.arrow): defined in the training script, not importable on the server",
                explanation: "pickle stores a \(kind) by reference: its module and name. `\(reference.name)` was defined in the script that was run (`python train.py`, a notebook), so it was recorded in `__main__`. On the server `__main__` is the web server or your entry point, and loading fails with AttributeError: Can't get attribute '\(reference.name)' on <module '__main__'>.",
                fix: fix,
                location: FindingLocation(file: facts.file, treePath: reference.path, offset: reference.reference.offset))
        }
    }
}

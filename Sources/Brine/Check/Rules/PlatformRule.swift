/// BR301, BR302: objects that only load on the platform or device they were saved on.
struct PlatformRule: CheckRule {
    func findings(_ facts: ArtifactFacts, _ context: CheckContext) -> [Finding] {
        paths(facts) + devices(facts)
    }

    /// `PosixPath` cannot be instantiated on Windows nor `WindowsPath` on Linux/macOS
    /// (NotImplementedError: cannot instantiate 'PosixPath' on your system). Pure paths load anywhere.
    private func paths(_ facts: ArtifactFacts) -> [Finding] {
        var done = Set<String>()
        return facts.references.compactMap { reference in
            guard reference.module == "pathlib" || reference.module.hasPrefix("pathlib."),
                  reference.name == "PosixPath" || reference.name == "WindowsPath" else { return nil }
            guard done.insert(reference.name + "\u{1}" + (reference.path ?? "")).inserted else { return nil }
            let other = reference.name == "PosixPath" ? "Windows" : "Linux or macOS"
            return Finding(
                rule: CheckRules.platformPath, severity: .warning,
                message: "\(reference.arrow): a \(reference.name) cannot be created on \(other)",
                explanation: "pathlib picks the concrete path class of the platform that saves it. Loading a \(reference.name) on \(other) raises NotImplementedError: cannot instantiate '\(reference.name)' on your system. fastai's `learn.export()` stores the learner's `path` this way.",
                fix: "Store paths as strings (or PurePosixPath) before pickling, e.g. `learn.path = Path('.')` is still concrete: use `str(path)`; on fastai, load with `pathlib.PosixPath = pathlib.WindowsPath` temporarily only as a last resort.",
                location: FindingLocation(file: facts.file, treePath: reference.path, offset: reference.reference.offset))
        }
    }

    /// torch's persistent ids name the device each storage was saved from.
    private func devices(_ facts: ArtifactFacts) -> [Finding] {
        var byLocation: [String: [StorageLocation]] = [:]
        for storage in facts.storages where storage.location != "cpu" {
            byLocation[storage.location, default: []].append(storage)
        }
        return byLocation.keys.sorted().map { location in
            let storages = byLocation[location]!
            return Finding(
                rule: CheckRules.deviceStorage, severity: .warning,
                message: "\(ByteFormat.counted(storages.count, "tensor storage")) saved on `\(location)`",
                explanation: "torch.save records the device of every storage and torch.load restores it there. On a server without that device loading fails with RuntimeError: Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False.",
                fix: "Load with `torch.load(f, map_location='cpu')`, or move the model to CPU (`model.to('cpu')`) before saving.",
                location: FindingLocation(file: facts.file, treePath: storages.first?.treePath))
        }
    }
}

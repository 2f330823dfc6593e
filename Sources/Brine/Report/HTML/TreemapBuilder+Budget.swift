extension TreemapBuilder {
    /// What `brine budget` measured: its largest files with the parts inside them, the rest of
    /// the app, and the Python environment's distributions. One metric: uncompressed bytes.
    /// `reports`: the full inspect reports of contributors (by contributor path), when the
    /// caller opened them; without one a file shows the parts the budget kept.
    public static func budget(_ result: BudgetResult, reports: [String: BundleReport] = [:]) -> TreemapNode {
        let trainingOnly = Dictionary(result.findings.filter { $0.code == "training-only" }.compactMap { finding in
            finding.treePath.map { (finding.file + " :: " + $0, finding) }
        }, uniquingKeysWith: { first, _ in first })
        var root = TreemapNode(name: result.paths.joined(separator: " "), path: "", kind: .object, values: [result.uncompressedBytes])
        var shown: UInt64 = 0
        for contributor in result.contributors {
            var file = TreemapNode(name: contributor.path, path: contributor.path,
                                   kind: contributor.kind == .file || contributor.kind == .compressed ? .file : .object,
                                   values: [contributor.bytes], type: contributor.kind.rawValue)
            if let report = reports[contributor.path] {
                var inner = bundle(report)
                renamePaths(&inner, from: report.file, to: contributor.path)
                file.children = inner.children
                file.kind = inner.kind
                file.values[0] = max(contributor.bytes, inner.values[0])
                shown &+= file.values[0]
                root.children.append(file)
                continue
            }
            for part in contributor.parts {
                let key = contributor.path + " :: " + part.path
                var cell = TreemapNode(name: part.path, path: key, kind: typeKind(part.type), values: [part.bytes], type: part.type)
                if let finding = trainingOnly[key] {
                    cell.kind = .trainingOnly
                    cell.fix = StripCommandHint(file: contributor.path, torch: contributor.kind == .torch).command(
                        for: TrainingOnlyFinding(path: part.path, reason: finding.message, source: "", saving: part.bytes))
                }
                // Depth-2 parts sit inside the depth-1 part whose path they extend.
                if part.depth > 1, let parent = file.children.lastIndex(where: { part.path.hasPrefix($0.name) }) {
                    cell.name = String(part.path.dropFirst(file.children[parent].name.count)).trimmingLeading(" :.")
                    file.children[parent].children.append(cell)
                } else {
                    file.children.append(cell)
                }
            }
            // Parts of an artifact are stream bytes (decompressed): scale never beyond the file.
            let covered = file.children.reduce(0) { $0 &+ $1.values[0] }
            file.values[0] = max(file.values[0], covered)
            shown &+= file.values[0]
            root.children.append(file)
        }
        let environmentBytes = result.pythonEnvironment?.bytes ?? 0
        let appBytes = result.uncompressedBytes &- min(result.uncompressedBytes, environmentBytes)
        let environmentFiles = result.pythonEnvironment.map { $0.distributions.reduce(0) { $0 + $1.files } } ?? 0
        let otherFiles = max(0, result.files - result.contributors.count - environmentFiles)
        if appBytes > shown, otherFiles > 0 {
            root.children.append(TreemapNode(name: "\(ByteFormat.grouped(UInt64(otherFiles))) other files", path: "(other files)",
                                             kind: .file, values: [appBytes - shown]))
        }
        if let environment = result.pythonEnvironment {
            var site = TreemapNode(name: "site-packages (\(environment.distributions.count) distributions)", path: "python-env",
                                   kind: .object, values: [environment.bytes])
            site.children = environment.distributions.map {
                TreemapNode(name: "\($0.name) \($0.version)", path: "python-env: " + $0.name, kind: .file, values: [$0.bytes], type: "distribution")
            }
            root.children.append(site)
        }
        root.values[0] = max(root.values[0], root.children.reduce(0) { $0 &+ $1.values[0] })
        sortChildren(&root)
        return root
    }

    private static func renamePaths(_ node: inout TreemapNode, from old: String, to new: String) {
        if node.path.hasPrefix(old) { node.path = new + node.path.dropFirst(old.count) }
        for index in node.children.indices { renamePaths(&node.children[index], from: old, to: new) }
    }

    static func typeKind(_ type: String) -> TreemapKind {
        switch type {
        case "str", "bytes", "bytearray": .string
        case "ndarray", "numpy.ndarray": .array
        case "torch.Tensor", "tensor": .tensor
        default: .object
        }
    }
}

extension String {
    func trimmingLeading(_ characters: String) -> String {
        String(drop { characters.contains($0) })
    }
}

/// The inspect report of a PyTorch file: the main pickle's tree, with every tensor a leaf
/// that carries its storage record's bytes (charged to the first tensor using it), and the
/// container's bytes as overhead, so the totals add up to the file size.
public enum TorchReportBuilder {
    public static func build(_ inspection: TorchInspection) -> InspectReport {
        var report = ReportBuilder.build(inspection.pickle)
        // Paths are not unique (every element of a set is `{}`): tensors wait under their path
        // in stream order, and a node takes one only when it is that tensor's object.
        var byPath: [String: [TorchTensor]] = [:]
        for tensor in inspection.tensors { byPath[tensor.path, default: []].append(tensor) }
        _ = charge(&report.root, &byPath)
        report.format = inspection.format.rawValue
        report.fileBytes = inspection.fileBytes
        // torch stores data.pkl; were it deflated, its bytes are attributed uncompressed.
        report.streamBytes = inspection.fileBytes &+ inspection.pickleInflation
        report.overheadBytes = inspection.overhead.total
        report.memoryBytes = report.root.memory
        var findings: [TrainingOnlyFinding] = []
        if report.root.type == "dict" || report.root.type == "collections.OrderedDict" {
            for index in report.root.children.indices {
                let child = report.root.children[index]
                guard child.path.hasPrefix("['"), child.path.hasSuffix("']") else { continue }
                let key = String(child.path.dropFirst(2).dropLast(2))
                guard let rule = TorchTrainingKeyRule.matching(key: key) else { continue }
                let finding = TrainingOnlyFinding(path: child.path, reason: rule.reason, source: rule.source, saving: child.bytes)
                report.root.children[index].trainingOnly = finding
                findings.append(finding)
            }
        }
        report.trainingOnly = findings.sorted { $0.saving != $1.saving ? $0.saving > $1.saving : $0.path < $1.path }
        report.torch = TorchReport(
            format: inspection.format.rawValue, prefix: inspection.prefix, tensors: inspection.tensors, records: inspection.records,
            metadata: inspection.metadata, overhead: inspection.overhead, storageBytes: inspection.storageBytes.values.reduce(0, &+))
        return report
    }

    /// Adds storage bytes (file and memory) to tensors and their ancestors; returns what was added.
    private static func charge(_ node: inout ReportNode, _ tensors: inout [String: [TorchTensor]]) -> UInt64 {
        if node.reference != true, let waiting = tensors[node.path], let first = waiting.firstIndex(where: { $0.type == node.type }) {
            let tensor = waiting[first]
            tensors[node.path]?.remove(at: first)
            node.type = tensor.type
            node.bytes &+= tensor.chargedBytes
            node.memory &+= tensor.chargedBytes > 0 ? tensor.storageBytes : 0
            node.tensor = TensorFacts(storageKey: tensor.storageKey, location: tensor.location, storageBytes: tensor.storageBytes,
                                      chargedBytes: tensor.chargedBytes, sharesStorageWith: tensor.sharesStorageWith)
            node.children = []  // how the tensor was rebuilt is not the user's concern
            node.other = nil
            return tensor.chargedBytes
        }
        var added: UInt64 = 0
        for index in node.children.indices {
            let memoryBefore = node.children[index].memory
            added &+= charge(&node.children[index], &tensors)
            node.memory &+= node.children[index].memory &- memoryBefore
        }
        node.bytes &+= added
        if added > 0 { node.children.sort { $0.bytes != $1.bytes ? $0.bytes > $1.bytes : $0.path < $1.path } }
        return added
    }
}

/// Turns an `Inspection`'s object graph into the report tree: paths, types, sizes and
/// training-only marks. Every byte of the stream is in exactly one node or the overhead.
public enum ReportBuilder {
    public static func build(_ inspection: Inspection) -> InspectReport {
        let graph = inspection.graph
        var findings: [TrainingOnlyFinding] = []
        var root: ReportNode
        if inspection.roots.count == 1 {
            root = node(inspection.roots[0], path: "", graph: graph, findings: &findings)
        } else {
            let children = inspection.roots.enumerated().map { index, id in
                node(id, path: "<pickle \(index)>", graph: graph, findings: &findings)
            }
            root = ReportNode(
                path: "", type: "pickles", bytes: children.reduce(0) { $0 &+ $1.bytes },
                memory: children.reduce(0) { $0 &+ $1.memory }, count: UInt64(children.count),
                children: children)
        }
        findings.sort { $0.saving != $1.saving ? $0.saving > $1.saving : $0.path < $1.path }
        return InspectReport(
            schemaVersion: InspectReport.schemaVersion, file: inspection.path, format: inspection.format,
            compression: inspection.compression?.rawValue, fileBytes: inspection.fileBytes,
            streamBytes: inspection.streamBytes, protocol_: inspection.highestProtocol, pickles: inspection.roots.count,
            overheadBytes: inspection.overheadBytes, memoryBytes: root.memory, root: root, trainingOnly: findings)
    }

    private static func node(_ id: NodeID, path: String, graph: ObjectGraph, findings: inout [TrainingOnlyFinding]) -> ReportNode {
        let object = graph[id]
        var report = ReportNode(
            path: path, type: typeName(object), bytes: object.totalBytes, memory: object.totalMemory,
            count: count(of: object), elements: nil, array: object.array.map(arrayReport), value: object.value,
            shared: object.isShared ? true : nil, children: [])
        for edge in object.edges {
            let step = component(edge.label)
            let childPath = path.isEmpty && step.hasPrefix(".") ? String(step.dropFirst()) : path + step
            var child: ReportNode
            if let childID = edge.child, !edge.isReference {
                child = node(childID, path: childPath, graph: graph, findings: &findings)
            } else {
                child = ReportNode(
                    path: childPath, type: edge.child.map { typeName(graph[$0]) } ?? edge.kind.pythonName,
                    bytes: edge.bytes, memory: edge.memory, count: edge.kind == .emptyTuple ? 0 : nil, value: edge.preview,
                    reference: edge.isReference ? true : nil, children: [])
            }
            if case .attribute(let name) = edge.label, let rule = TrainingOnlyRule.matching(typeName: object.typeName, attribute: name) {
                let finding = TrainingOnlyFinding(path: childPath, reason: rule.reason, source: rule.source, saving: child.bytes)
                child.trainingOnly = finding
                findings.append(finding)
            }
            report.children.append(child)
        }
        report.children.sort { $0.bytes != $1.bytes ? $0.bytes > $1.bytes : $0.path < $1.path }
        if !object.folded.isEmpty {
            report.other = OtherParts(
                count: object.folded.total, bytes: object.folded.bytes, memory: object.folded.memory,
                elements: histogram(object.folded))
            if object.edges.isEmpty { report.elements = report.other?.elements }
        }
        return report
    }

    static func typeName(_ node: ObjectNode) -> String {
        switch node.kind {
        case .instance, .array, .persistent: node.typeName ?? node.kind.pythonName
        default: node.kind.pythonName
        }
    }

    private static func count(of node: ObjectNode) -> UInt64? {
        switch node.kind {
        case .list, .tuple, .dict, .set, .frozenset: node.itemCount
        case .emptyTuple: 0
        case .array: node.array.flatMap { NumpyModel.elementCount($0.shape) }
        default: nil
        }
    }

    private static func histogram(_ summary: ValueSummary) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for (kind, count) in summary.counts { result[kind.pythonName, default: 0] += count }
        return result
    }

    private static func arrayReport(_ info: ArrayInfo) -> ArrayReport {
        ArrayReport(shape: info.shape, dtype: info.dtype, dataBytes: info.dataBytes, storage: info.storage)
    }

    /// The path step for an edge, in Python syntax.
    static func component(_ label: EdgeLabel) -> String {
        switch label {
        case .index(let index): "[\(index)]"
        case .key(let key): "[\(PythonRepr.reprStr(key.unicodeScalars.map(\.value)))]"
        case .attribute(let name): "." + name
        case .arguments: ".__reduce_args__"
        case .state: ".__setstate__"
        case .reprKey(let repr): "[\(repr)]"
        case .element: "{}"
        }
    }
}

/// Finds the byte ranges to cut for a selection, walking the inspected object graph with
/// the same paths `brine inspect` prints.
enum StripPlanner {
    static func cuts(for selectors: [StripSelector], in inspection: Inspection) -> [StripCut] {
        var cuts: [StripCut] = []
        let graph = inspection.graph
        var pending: [(node: NodeID, path: String)] = inspection.roots.count == 1
            ? [(inspection.roots[0], "")]
            : inspection.roots.enumerated().map { ($1, "<pickle \($0)>") }
        while let (id, path) = pending.popLast() {
            let node = graph[id]
            for edge in node.edges {
                let step = ReportBuilder.component(edge.label)
                let childPath = path.isEmpty && step.hasPrefix(".") ? String(step.dropFirst()) : path + step
                if let range = edge.entryRange, let valueStart = edge.valueStart,
                   selectors.contains(where: { $0.matches(path: childPath, parentType: node.typeName, label: edge.label) }) {
                    cuts.append(StripCut(path: childPath, range: range, valueStart: valueStart, valueEnd: edge.valueEnd,
                                         what: describe(edge, graph), memo: edge.entryMemo, valueMemoStart: edge.valueMemoStart))
                    continue  // what is inside goes with it
                }
                if let child = edge.child, !edge.isReference { pending.append((child, childPath)) }
            }
        }
        return cuts.sorted { $0.range.lowerBound < $1.range.lowerBound }
    }

    private static func describe(_ edge: Edge, _ graph: ObjectGraph) -> String {
        guard let child = edge.child else { return edge.kind.pythonName }
        let node = graph[child]
        let type = ReportBuilder.typeName(node)
        switch node.kind {
        case .list, .tuple, .dict, .set, .frozenset:
            let kinds = Set(node.folded.counts.map(\.kind.pythonName) + node.edges.map(\.kind.pythonName)).sorted()
            return "\(type) of \(ByteFormat.grouped(node.itemCount))" + (kinds.count == 1 ? " \(kinds[0])" : "")
        default:
            return type
        }
    }
}

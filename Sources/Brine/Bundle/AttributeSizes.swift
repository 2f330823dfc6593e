/// Flattens an inspect report to the attribute list bundles, budgets and diffs compare.
public enum AttributeSizes {
    public static func flatten(_ report: InspectReport, maximumDepth: Int) -> [AttributeSize] {
        var result: [AttributeSize] = []
        func visit(_ node: ReportNode, depth: Int) {
            result.append(AttributeSize(path: node.path, type: node.type, bytes: node.bytes, depth: depth))
            // A summarised container keeps only its largest parts, chosen by byte sizes that
            // shift with memo index widths (protocols 0-3): a diff or baseline would see parts
            // come and go. Its own size covers them.
            guard depth < maximumDepth, node.other == nil else { return }
            for child in node.children where child.reference != true { visit(child, depth: depth + 1) }
        }
        visit(report.root, depth: 0)
        return result
    }
}

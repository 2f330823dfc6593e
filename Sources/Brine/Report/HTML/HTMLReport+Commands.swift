import BrineIO

/// The pages of `brine inspect`, `brine budget` and `brine diff`.
extension HTMLReport {
    public static func inspect(_ report: InspectReport) -> HTMLReport {
        let tree = TreemapBuilder.inspect(report)
        var facts = ["\(report.file): \(report.format)\(report.compression.map { ", " + CompressionFormat.compressedPhrase($0) } ?? ""), \(ByteFormat.human(report.fileBytes)) on disk"]
        if report.compression != nil { facts.append("stream: \(ByteFormat.human(report.streamBytes)) decompressed") }
        facts.append("estimated memory once loaded: \(ByteFormat.human(report.memoryBytes))")
        facts += trainingOnlyFacts(tree)
        return HTMLReport(
            title: "brine inspect \(report.file)", facts: facts,
            metrics: [report.compression == nil ? "file bytes" : "stream bytes", "estimated memory"], root: tree,
            tableTitle: "Findings", columns: ["Severity", "Code", "Path", "Size", "Fix"], rows: fixRows(tree, total: tree.values[0]),
            emptyTable: "No training-only attributes found.")
    }

    public static func bundle(_ report: BundleReport) -> HTMLReport {
        let tree = TreemapBuilder.bundle(report)
        let members = report.root.flattened().count - 1
        var facts = ["\(report.file): \(report.root.kind.rawValue)\(report.root.compression.map { ", " + CompressionFormat.displayName($0) } ?? ""), \(members) member\(members == 1 ? "" : "s"), \(ByteFormat.human(report.root.bytes)) uncompressed"]
        facts += trainingOnlyFacts(tree)
        return HTMLReport(
            title: "brine inspect \(report.file)", facts: facts, metrics: ["uncompressed bytes", "estimated memory (artifacts)"],
            root: tree, tableTitle: "Findings", columns: ["Severity", "Code", "Path", "Size", "Fix"],
            rows: fixRows(tree, total: tree.values[0]), emptyTable: "No training-only attributes found.")
    }

    public static func budget(_ result: BudgetResult, reports: [String: BundleReport] = [:]) -> HTMLReport {
        let tree = TreemapBuilder.budget(result, reports: reports)
        let measure = result.limit?.measure ?? .uncompressed
        var facts = ["measured: \(ByteFormat.human(result.measuredBytes)) \(measure.phrase), \(ByteFormat.grouped(UInt64(result.files))) files"
                     + (measure == .uncompressed ? "" : ", \(ByteFormat.human(result.uncompressedBytes)) uncompressed")]
        if let limit = result.limit, limit.bytes != .max {
            facts.append("limit: \(limit.preset.map { "\($0) " } ?? "")\(ByteFormat.human(limit.bytes)): \(result.measuredBytes > limit.bytes ? "OVER" : "fits") (\(ByteFormat.percent(result.measuredBytes, of: limit.bytes)) of the limit)")
        }
        facts.append(result.failed ? "result: over budget" : "result: within budget")
        var paths: Set<String> = []
        func collect(_ node: TreemapNode) { paths.insert(node.path); node.children.forEach(collect) }
        collect(tree)
        var fixes: [String: String] = [:]
        func fixesOf(_ node: TreemapNode) { if let fix = node.fix { fixes[node.path] = fix }; node.children.forEach(fixesOf) }
        fixesOf(tree)
        let rows = result.findings.map { finding -> Row in
            let shared = finding.finding
            let key = finding.treePath.map { finding.file + " :: " + $0 }
            let node = key.flatMap { paths.contains($0) ? $0 : nil } ?? (paths.contains(finding.file) ? finding.file : nil)
            return Row(cells: [shared.severity.rawValue, shared.code, key ?? finding.file, finding.message, key.flatMap { fixes[$0] } ?? shared.fix ?? ""],
                       node: node, code: [2], tone: shared.severity.rawValue)
        }
        var page = HTMLReport(
            title: "brine budget \(result.paths.joined(separator: " "))", facts: facts, metrics: ["uncompressed bytes"], root: tree,
            tableTitle: "Findings", columns: ["Severity", "Code", "Path", "Finding", "Fix"], rows: rows, emptyTable: "No findings.")
        if let limit = result.limit, limit.bytes != .max, limit.bytes > 0 {
            page.gauge = Double(result.measuredBytes) / Double(limit.bytes)
        }
        return page
    }

    public static func diff(before: BundleMember, after: BundleMember, old: String, new: String, changes: [SizeDelta], limit: Int = 500) -> HTMLReport {
        let tree = TreemapBuilder.diff(before: before, after: after, oldName: old, newName: new)
        let total = SizeDelta(key: "TOTAL", before: before.bytes, after: after.bytes)
        var paths: Set<String> = []
        func collect(_ node: TreemapNode) { paths.insert(node.path); node.children.forEach(collect) }
        collect(tree)
        var rows = changes.prefix(limit).map { change in
            Row(cells: [MarkdownSizeComment.signed(change.delta), MarkdownSizeComment.change(change), ByteFormat.human(change.before),
                        ByteFormat.human(change.after), change.key],
                node: paths.contains(change.key) ? change.key : nil, code: [4], tone: change.delta >= 0 ? "grow" : "shrink")
        }
        if changes.count > limit {
            rows.append(Row(cells: ["", "", "", "", "… \(changes.count - limit) more changes (--format json lists all)"], node: nil))
        }
        return HTMLReport(
            title: "brine diff \(old) \(new)",
            facts: ["total (uncompressed): \(ByteFormat.human(before.bytes)) → \(ByteFormat.human(after.bytes)), \(MarkdownSizeComment.signed(total.delta)) (\(MarkdownSizeComment.change(total)))",
                    "\(changes.count) change\(changes.count == 1 ? "" : "s"); cells are sized by the new version (toggle: the old one) and coloured by their change"],
            metrics: ["after", "before"], mode: .diff, root: tree, tableTitle: "Changes, largest first",
            columns: ["Change", "%", "Before", "After", "Where"], rows: rows, emptyTable: "No change.")
    }

    private static func trainingOnlyFacts(_ tree: TreemapNode) -> [String] {
        var count = 0, bytes: UInt64 = 0
        func visit(_ node: TreemapNode) {
            if node.fix != nil { count += 1; bytes &+= node.values[0] } else { node.children.forEach(visit) }
        }
        visit(tree)
        guard count > 0 else { return [] }
        return ["training-only: \(count) attribute\(count == 1 ? "" : "s"), \(ByteFormat.human(bytes)) (\(ByteFormat.percent(bytes, of: tree.values[0]))) strippable"]
    }

    private static func fixRows(_ tree: TreemapNode, total: UInt64) -> [Row] {
        var rows: [(UInt64, Row)] = []
        func visit(_ node: TreemapNode) {
            if let fix = node.fix {
                rows.append((node.values[0], Row(cells: ["info", "training-only", node.path, "\(ByteFormat.human(node.values[0])) (\(ByteFormat.percent(node.values[0], of: total)))", fix],
                                                 node: node.path, code: [2, 4])))
            }
            node.children.forEach(visit)
        }
        visit(tree)
        return rows.sorted { $0.0 != $1.0 ? $0.0 > $1.0 : ($0.1.node ?? "") < ($1.1.node ?? "") }.map(\.1)
    }
}

/// Builds treemap trees from the reports the commands already make: nothing is measured here.
public enum TreemapBuilder {
    /// An artifact's tree: its top object's parts, plus the stream's overhead. Values are
    /// stream bytes and estimated memory.
    public static func inspect(_ report: InspectReport, name: String? = nil) -> TreemapNode {
        let fix = StripCommandHint(file: report.file, torch: report.torch != nil)
        let root = report.root
        var top = node(root, parentPath: "", fix: fix)
        top.name = name ?? report.file
        top.type = root.type
        if report.overheadBytes > 0 {
            top.children.append(TreemapNode(
                name: report.torch == nil ? "overhead (PROTO, FRAME, STOP, discarded values)" : "overhead (zip headers, records, metadata)",
                path: "(overhead)", kind: .overhead, values: [report.overheadBytes, 0]))
        }
        top.values = [max(root.bytes &+ report.overheadBytes, report.streamBytes), max(report.memoryBytes, root.memory)]
        sortChildren(&top)
        return top
    }

    /// A directory, tar or zip walked by `brine inspect`: members, and each artifact's tree.
    public static func bundle(_ report: BundleReport) -> TreemapNode {
        member(report.root, parent: nil, bundle: report.file)
    }

    private static func member(_ member: BundleMember, parent: String?, bundle: String) -> TreemapNode {
        let name = parent.map { member.name(relativeTo: $0) } ?? member.path
        if let report = member.report {
            var tree = inspect(report, name: name)
            tree.path = member.path
            prefixPaths(&tree, with: member.path + " :: ")
            return tree
        }
        var node = TreemapNode(name: name, path: member.path, kind: member.isBundle ? .object : .file,
                               values: [member.bytes, 0], type: member.format ?? member.kind.rawValue)
        node.children = member.children.map { self.member($0, parent: member.path, bundle: bundle) }
        if let overhead = member.overheadBytes, overhead > 0 {
            node.children.append(TreemapNode(name: "\(member.kind.rawValue) headers and padding", path: member.path + " (overhead)",
                                             kind: .overhead, values: [overhead, 0]))
        }
        let covered = node.children.reduce(0) { $0 &+ $1.values[0] }
        node.values[0] = max(node.values[0], covered)
        node.values[1] = node.children.reduce(0) { $0 &+ $1.values[1] }
        sortChildren(&node)
        return node
    }

    private static func prefixPaths(_ node: inout TreemapNode, with prefix: String) {
        for index in node.children.indices {
            node.children[index].path = prefix + node.children[index].path
            prefixPaths(&node.children[index], with: prefix)
        }
    }

    private static func node(_ report: ReportNode, parentPath: String, fix: StripCommandHint) -> TreemapNode {
        var name = report.path.hasPrefix(parentPath) ? String(report.path.dropFirst(parentPath.count)) : report.path
        if name.hasPrefix(".") { name.removeFirst() }
        if name.isEmpty { name = report.type }
        var cell = TreemapNode(name: name, path: report.path, kind: kind(of: report), values: [report.bytes, report.memory],
                               type: report.type)
        if let training = report.trainingOnly { cell.fix = fix.command(for: training) }
        cell.children = report.children.filter { $0.reference != true }.map { node($0, parentPath: report.path, fix: fix) }
        if let other = report.other, other.bytes > 0, !report.children.isEmpty {
            cell.children.append(TreemapNode(
                name: "\(ByteFormat.grouped(other.count)) more items", path: report.path + " (summarised)",
                kind: dominantKind(other.elements), values: [other.bytes, other.memory]))
        }
        return cell
    }

    static func kind(of node: ReportNode) -> TreemapKind {
        if node.trainingOnly != nil { return .trainingOnly }
        if node.tensor != nil { return .tensor }
        if node.array != nil { return .array }
        switch node.type {
        case "str", "bytes", "bytearray": return .string
        default: break
        }
        if let elements = node.elements, node.children.isEmpty { return dominantKind(elements) }
        return .object
    }

    /// Keys of a dict of strings are what take its bytes, so strings win unless clearly outnumbered.
    private static func dominantKind(_ elements: [String: UInt64]) -> TreemapKind {
        let most = elements.values.max() ?? 0
        let strings = ["str", "bytes", "bytearray"].reduce(0) { $0 + (elements[$1] ?? 0) }
        if strings > 0, strings * 2 >= most { return .string }
        if let arrays = elements["ndarray"], arrays == most { return .array }
        return .object
    }

    static func sortChildren(_ node: inout TreemapNode) {
        node.children.sort { $0.values[0] != $1.values[0] ? $0.values[0] > $1.values[0] : $0.path < $1.path }
    }
}

/// `brine strip --preset deploy FILE -o OUT`, the command a training-only cell offers.
struct StripCommandHint {
    var file: String
    var torch: Bool

    func command(for finding: TrainingOnlyFinding) -> String {
        "brine strip --preset \(torch ? "torch-inference" : "deploy") \(ShellQuote.quote(file)) -o \(ShellQuote.quote(output))"
    }

    /// `model.pkl` → `model.deploy.pkl`, `pipeline.joblib.gz` → `pipeline.deploy.joblib.gz`.
    var output: String {
        let slash = file.lastIndex(of: "/").map { file.index(after: $0) } ?? file.startIndex
        let base = file[slash...]
        let tag = torch ? "inference" : "deploy"
        guard let dot = base.dropFirst().firstIndex(of: ".") else { return file + "." + tag }
        return String(file[..<dot]) + "." + tag + String(file[dot...])
    }
}

enum ShellQuote {
    static func quote(_ text: String) -> String {
        let safe = text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_./:=@%+,".unicodeScalars.contains($0)) }
        return safe && !text.isEmpty ? text : "'" + text.replacingAll("'", "'\\''") + "'"
    }
}

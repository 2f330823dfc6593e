import BrineIO

/// The inspect report of a non-pickle file: tensors grouped by their dotted name prefix
/// (`model.layers.3.mlp` holds every tensor under it), header and container regions beside
/// them, so the tree's sizes add up to the file's.
public enum LayoutReportBuilder {
    public static func build(_ layout: ArtifactLayout, file: String) -> InspectReport {
        let root = tree(layout)
        return InspectReport(
            schemaVersion: InspectReport.schemaVersion, file: file, format: layout.format, compression: nil,
            fileBytes: layout.fileBytes, streamBytes: layout.fileBytes, protocol_: 0, pickles: layout.pickles.count,
            overheadBytes: layout.regionBytes, memoryBytes: root.memory, root: root, trainingOnly: [], layout: layout)
    }

    /// A name's groups: `a.b.c` is in `a` and `a.b`. Names without dots are leaves of the root.
    static func tree(_ layout: ArtifactLayout) -> ReportNode {
        final class Group {
            var children: [String: Group] = [:]
            var tensors: [LayoutTensor] = []
        }
        let top = Group()
        for tensor in layout.tensors {
            var group = top
            for component in tensor.name.split(separator: ".", omittingEmptySubsequences: false).dropLast() {
                let key = String(component)
                if let next = group.children[key] { group = next } else {
                    let next = Group()
                    group.children[key] = next
                    group = next
                }
            }
            group.tensors.append(tensor)
        }
        func build(_ group: Group, path: String) -> ReportNode {
            var children: [ReportNode] = group.children.map { key, child in
                build(child, path: path.isEmpty ? escapingControlCharacters(key) : path + "." + escapingControlCharacters(key))
            }
            for tensor in group.tensors {
                // Data in another file (ONNX external data) takes no byte of this one, but memory;
                // a deflated npz member takes its compressed bytes of the file.
                let memory = tensor.bytes
                children.append(ReportNode(
                    // Names come from the file: control characters would break the text tree.
                    path: escapingControlCharacters(tensor.name), type: tensor.location == nil ? "tensor" : "external tensor", bytes: tensor.location == nil ? tensor.bytesInFile : 0,
                    memory: memory, count: elementCount(tensor.shape), elements: nil,
                    array: ArrayReport(shape: tensor.shape, dtype: tensor.dtype, dataBytes: tensor.bytes, storage: tensor.location ?? layout.format),
                    value: nil, shared: nil, reference: nil, trainingOnly: nil, children: [], other: nil))
            }
            sort(&children)
            let count = children.reduce(UInt64(0)) { $0 &+ ($1.type == "group" ? ($1.count ?? 0) : 1) }
            return ReportNode(path: path, type: "group", bytes: children.reduce(0) { $0 &+ $1.bytes },
                              memory: children.reduce(0) { $0 &+ $1.memory }, count: count, elements: nil, array: nil,
                              value: nil, shared: nil, reference: nil, trainingOnly: nil, children: children, other: nil)
        }
        var root = build(top, path: "")
        root.type = layout.format
        for region in layout.regions where region.bytes > 0 {
            root.children.append(ReportNode(
                path: "(\(region.name))", type: "region", bytes: region.bytes, memory: 0, count: nil, elements: nil, array: nil,
                value: nil, shared: nil, reference: nil, trainingOnly: nil, children: [], other: nil))
            root.bytes &+= region.bytes
        }
        sort(&root.children)
        root.count = UInt64(layout.tensors.count)
        return root
    }

    /// prod(shape), nil when a dimension is negative or the product overflows (hostile
    /// headers declare such shapes; their findings say so).
    static func elementCount(_ shape: [Int64]) -> UInt64? {
        var count: UInt64 = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: UInt64(dimension))
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    private static func sort(_ nodes: inout [ReportNode]) {
        nodes.sort { $0.bytes != $1.bytes ? $0.bytes > $1.bytes : $0.path < $1.path }
    }
}

/// `brine inspect --tensors` of a non-pickle file: one tensor per line, in file order.
public enum LayoutTensorTable {
    public static func render(_ layout: ArtifactLayout, file: String) -> String {
        var out = "\(file): \(layout.format), \(layout.tensors.count) tensors, \(dataPhrase(layout))\n"
        out += "BYTES       DTYPE     SHAPE            OFFSET      NAME\n"
        for tensor in layout.tensors {
            var row = pad(ByteFormat.human(tensor.bytes), 10) + "  " + pad(tensor.dtype, 8) + "  "
            row += pad(tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")", 15) + "  " + pad(String(tensor.offset), 10) + "  "
            row += escapingControlCharacters(tensor.name)
            if let location = tensor.location { row += "  (external: \(escapingControlCharacters(location)))" }
            if let stored = tensor.storedBytes { row += "  (stored as \(ByteFormat.human(stored)) compressed)" }
            out += row + "\n"
        }
        return out
    }

    /// "102.9 KB of data"; with compressed members "166.2 KB of data, stored as 4.0 KB
    /// compressed" (the array bytes numpy loads and what they take in the file, apart).
    public static func dataPhrase(_ layout: ArtifactLayout) -> String {
        guard let compressed = layout.compressedTensorBytes else { return "\(ByteFormat.human(layout.tensorBytes)) of data" }
        let inFile = layout.tensors.filter { $0.location == nil }.reduce(UInt64(0)) { $0 &+ $1.bytes }
        let plain = layout.tensorBytes &- compressed
        return "\(ByteFormat.human(inFile)) of data, stored as \(ByteFormat.human(plain &+ compressed))" + (plain > 0 ? " (\(ByteFormat.human(compressed)) compressed)" : " compressed")
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}

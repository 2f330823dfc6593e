/// Walks an inspected object tree for what a conversion writes: every tensor (or array) with
/// its path and output name, and everything else listed as dropped.
///
/// Names join the path's parts with dots, relative to the selected root:
/// `['model_state_dict']['embedding.weight']` under `--key model_state_dict` is
/// `embedding.weight`; `['nested'][1]['u8']` is `nested.1.u8`; a TorchScript module's
/// `embedding.weight` attribute path stays `embedding.weight`. A subtree holding no tensor is
/// dropped as one entry; the arguments an object was built from are not data and are skipped.
struct TensorTree {
    struct Leaf {
        var node: NodeID
        var path: String
        var name: String
        /// The object holding it and the attribute it is held under (an attribute only).
        var owner: NodeID? = nil
        var attribute: String? = nil
    }

    let graph: ObjectGraph
    let isLeaf: (NodeID) -> Bool

    /// The node at `selector` (`model_state_dict` for a dict key, or a path as `brine inspect`
    /// prints it: `['model_state_dict']`, `.module['state']`), with its path.
    func select(_ selector: String?, roots: [NodeID]) throws(ConvertError) -> (node: NodeID, path: String) {
        guard roots.count == 1 || selector != nil else {
            throw .unsupported("the file holds \(roots.count) pickles; name one with --key '<pickle N>'")
        }
        guard let selector else { return (roots[0], "") }
        let wanted = selector.hasPrefix("[") || selector.hasPrefix(".") || selector.hasPrefix("<")
            ? selector : "[" + PythonRepr.reprStr(selector.unicodeScalars.map(\.value)) + "]"
        var pending: [(NodeID, String)] = roots.count == 1 ? [(roots[0], "")] : roots.enumerated().map { ($1, "<pickle \($0)>") }
        var visited = Set<Int>()
        while let (id, path) = pending.popLast() {
            if path == wanted || "." + path == wanted { return (id, path) }
            guard visited.insert(id.index).inserted, wanted.hasPrefix(path) || wanted.hasPrefix("." + path) else { continue }
            for edge in graph[id].edges where !edge.isReference {
                guard let child = edge.child else { continue }
                pending.append((child, Self.join(path, edge.label)))
            }
        }
        let top = roots.count == 1 ? graph[roots[0]].edges.map { Self.join("", $0.label) } : roots.indices.map { "<pickle \($0)>" }
        throw .keyNotFound(selector, available: top)
    }

    /// Tensors under `root` in pickle order (aliases through the memo included), and what is dropped.
    func walk(from root: NodeID, path rootPath: String) -> (leaves: [Leaf], dropped: [ConvertDrop], notes: [String]) {
        let bearing = tensorBearing(from: root)
        var leaves: [Leaf] = []
        var dropped: [ConvertDrop] = []
        var notes: [String] = []
        if isLeaf(root) { return ([Leaf(node: root, path: rootPath, name: "")], [], []) }
        var pending: [(NodeID, String, [String])] = [(root, rootPath, [])]
        while let (id, path, parts) = pending.popLast() {
            let node = graph[id]
            var children: [(NodeID, String, [String])] = []
            for edge in node.edges {
                let childPath = Self.join(path, edge.label)
                if edge.label == .arguments || edge.label == .state, edge.child.map({ !bearing.contains($0.index) }) ?? true { continue }
                if case .attribute("_metadata") = edge.label, node.typeName == "collections.OrderedDict" {
                    notes.append("\(Self.shown(childPath)): the state dict's version metadata (read by load_state_dict) has no place in the output and was left out")
                    continue
                }
                guard let child = edge.child else {
                    dropped.append(ConvertDrop(path: Self.shown(childPath), what: edge.kind.pythonName + (edge.preview.map { " " + $0 } ?? "")))
                    continue
                }
                let name = parts + [Self.namePart(edge.label)]
                if isLeaf(child) {
                    var leaf = Leaf(node: child, path: childPath, name: name.joined(separator: "."))
                    if case .attribute(let attribute) = edge.label { (leaf.owner, leaf.attribute) = (id, attribute) }
                    leaves.append(leaf)
                } else if edge.isReference || !bearing.contains(child.index) {
                    let what = graph[child].typeName ?? graph[child].kind.pythonName
                    dropped.append(ConvertDrop(path: Self.shown(childPath), what: edge.isReference && bearing.contains(child.index)
                        ? "\(what) (a second reference to an object holding tensors, written where it is first met)" : what))
                } else {
                    children.append((child, childPath, name))
                }
            }
            if !node.folded.isEmpty {
                dropped.append(ConvertDrop(path: Self.shown(path) + "[…]", what: "\(node.folded.total) value(s) folded into the container's summary"))
            }
            pending.append(contentsOf: children.reversed())
        }
        return (leaves, dropped, notes)
    }

    /// Nodes with a tensor somewhere below them (the tensors themselves included).
    private func tensorBearing(from root: NodeID) -> Set<Int> {
        var bearing = Set<Int>()
        var state: [Int: Bool] = [:]  // false: being visited, true: done
        var stack: [(NodeID, Int)] = [(root, 0)]
        while let (id, next) = stack.popLast() {
            if next == 0 {
                if state[id.index] != nil { continue }
                state[id.index] = false
                if isLeaf(id) {
                    bearing.insert(id.index)
                    state[id.index] = true
                    continue
                }
            }
            let edges = graph[id].edges
            if next < edges.count {
                stack.append((id, next + 1))
                if let child = edges[next].child, state[child.index] == nil { stack.append((child, 0)) }
                continue
            }
            state[id.index] = true
            if edges.contains(where: { $0.child.map { bearing.contains($0.index) } ?? false }) { bearing.insert(id.index) }
        }
        return bearing
    }

    static func join(_ path: String, _ label: EdgeLabel) -> String {
        let step = ReportBuilder.component(label)
        return path.isEmpty && step.hasPrefix(".") ? String(step.dropFirst()) : path + step
    }

    static func shown(_ path: String) -> String { path.isEmpty ? "(root)" : path }

    private static func namePart(_ label: EdgeLabel) -> String {
        switch label {
        case .key(let key): key
        case .index(let index): String(index)
        case .attribute(let name): name
        case .arguments: "__reduce_args__"
        case .state: "__setstate__"
        case .reprKey(let repr): repr
        case .element: "{}"
        }
    }
}

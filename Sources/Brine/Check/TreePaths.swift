/// Python-syntax paths of the nodes of an inspected tree (`steps[0][1].tokenizer`), the
/// same ones `brine inspect` prints, and the path of anything merged into a node.
public struct TreePaths: Sendable {
    private var paths: [Int: String] = [:]
    private let owner: [Int: Int]
    private let referencedBy: [Int: Int]

    public init(_ inspection: Inspection, owner: [Int: Int] = [:], referencedBy: [Int: Int] = [:]) {
        self.owner = owner
        self.referencedBy = referencedBy
        let graph = inspection.graph
        var pending: [(Int, String)] = inspection.roots.count == 1
            ? [(inspection.roots[0].index, "")]
            : inspection.roots.enumerated().map { ($1.index, "<pickle \($0)>") }
        while let (id, path) = pending.popLast() {
            guard paths[id] == nil else { continue }
            paths[id] = path
            for edge in graph.nodes[id].edges {
                guard let child = edge.child, !edge.isReference else { continue }
                pending.append((child.index, Self.join(path, edge.label)))
            }
        }
    }

    static func join(_ path: String, _ label: EdgeLabel) -> String {
        let step = ReportBuilder.component(label)
        return path.isEmpty && step.hasPrefix(".") ? String(step.dropFirst()) : path + step
    }

    /// The path of a node, or of the nearest node it was merged into or attached to.
    /// Follows owners first; where they end outside the tree (a value a POP discarded, such
    /// as cloudpickle's state-setter call), follows the first memo reference instead.
    public func path(of node: NodeID) -> String? {
        var pending = [node.index]
        var visited = Set<Int>()
        while let id = pending.popLast(), visited.count < 512 {
            guard visited.insert(id).inserted else { continue }
            if let path = paths[id] { return path }
            if let next = referencedBy[id] { pending.append(next) }
            if let next = owner[id] { pending.append(next) }
        }
        return nil
    }

    /// Where a global sits: the object it builds, or its holder plus the part's label. A dict
    /// merged into an object (its state) names its keys as attributes.
    public func path(of reference: GlobalReference) -> String? {
        guard let node = reference.node else { return nil }
        guard let label = reference.label else { return path(of: node) }
        if let direct = paths[node.index] { return Self.join(direct, label) }
        guard let holder = path(of: node) else { return nil }
        if case .key(let name) = label { return Self.join(holder, .attribute(name)) }
        return Self.join(holder, label)
    }

    /// Every node with a path, for rules that look at attributes.
    public var all: [(node: Int, path: String)] {
        paths.map { ($0.key, $0.value) }.sorted { $0.node < $1.node }
    }
}

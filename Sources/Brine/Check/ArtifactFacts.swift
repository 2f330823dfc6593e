/// A tensor storage and the device it was saved from (torch's persistent ids carry it:
/// `('storage', torch.FloatStorage, '0', 'cuda:0', 6)`). The PyTorch reader adds the ones
/// it finds outside the pickle (legacy format headers) through `CheckSubject.storages`.
public struct StorageLocation: Sendable {
    public var treePath: String?
    public var location: String
    public var key: String?

    public init(treePath: String?, location: String, key: String? = nil) {
        self.treePath = treePath
        self.location = location
        self.key = key
    }
}

/// One global use, with its place in the tree.
public struct PlacedReference: Sendable {
    public var reference: GlobalReference
    public var path: String?

    public var module: String { reference.module }
    public var name: String { reference.name }
    public var qualifiedName: String { reference.qualifiedName }

    /// `steps[0][1].tokenizer -> __main__.my_tokenizer`, or the name alone when it has no place.
    public var arrow: String {
        guard let path, !path.isEmpty else { return qualifiedName }
        return "\(path) -> \(qualifiedName)"
    }
}

/// An attribute of an object in the tree.
public struct PlacedAttribute: Sendable {
    public var path: String
    public var name: String
    public var ownerType: String?
    public var edge: Edge
    public var graph: ObjectGraph

    /// The value as a Python literal when it is a scalar kept by name (`'1.4.2'`).
    public var preview: String? { edge.preview }
    public var child: ObjectNode? { edge.child.map { graph[$0] } }
}

/// What the rules look at: one pickle stream (a file, or a member of an archive) replayed
/// with references recorded.
public struct ArtifactFacts: Sendable {
    /// The name findings carry (a path, or `bundle.tar.gz!model.pkl`).
    public var file: String
    public var inspection: Inspection
    public var references: [PlacedReference]
    public var padded: [(path: String?, strings: PaddedStrings)]
    public var storages: [StorageLocation]
    public var paths: TreePaths
    /// Code objects rebuilt by value, with their places.
    public var codeObjects: [(path: String?, fieldCount: UInt64)]
    /// Objects built by the pickle and then called.
    public var calledNodes: Set<Int>

    public init(file: String, inspection: Inspection, storages extra: [StorageLocation] = []) {
        self.file = file
        self.inspection = inspection
        let log = inspection.references ?? ReferenceLog(references: [], padded: [], owner: [:], droppedUses: 0)
        let paths = TreePaths(inspection, owner: log.owner, referencedBy: log.referencedBy)
        self.paths = paths
        references = log.references.map { PlacedReference(reference: $0, path: paths.path(of: $0)) }
        padded = log.padded.map { (paths.path(of: $0.node), $0) }
        codeObjects = log.codeObjects.map { (paths.path(of: $0.node), $0.fieldCount) }
        calledNodes = log.calledNodes
        // A storage named both by its persistent id and by the reader that sized it counts once.
        var seen = Set<String>()
        storages = (extra + Self.persistentStorages(inspection, paths: paths)).filter { storage in
            seen.insert(storage.key.map { "key:" + $0 } ?? "path:\(storage.treePath ?? "")|\(storage.location)").inserted
        }
    }

    /// A PyTorch file: its main pickle, with the storage location of every tensor.
    public init(file: String, torch: TorchInspection) {
        let storages = torch.tensors.map { StorageLocation(treePath: $0.path, location: $0.location, key: $0.storageKey) }
        self.init(file: file, inspection: torch.pickle, storages: storages)
    }

    /// Every attribute of every object in the tree, in path order.
    public var attributes: [PlacedAttribute] {
        var out: [PlacedAttribute] = []
        let graph = inspection.graph
        for (id, path) in paths.all {
            let node = graph.nodes[id]
            for edge in node.edges {
                guard case .attribute(let name) = edge.label else { continue }
                out.append(PlacedAttribute(path: TreePaths.join(path, edge.label), name: name, ownerType: node.typeName,
                                           edge: edge, graph: graph))
            }
        }
        return out.sorted { $0.path < $1.path }
    }

    /// torch's persistent ids: a tuple whose first item is 'storage' and fourth the location.
    static func persistentStorages(_ inspection: Inspection, paths: TreePaths) -> [StorageLocation] {
        var out: [StorageLocation] = []
        let graph = inspection.graph
        for (index, node) in graph.nodes.enumerated() where node.kind == .persistent {
            guard let arguments = node.edges.first(where: { $0.label == .arguments })?.child else { continue }
            let items = graph[arguments].edges
            func item(_ position: Int) -> String? {
                items.first { $0.label == .index(position) }?.preview.map(unquote)
            }
            guard item(0) == "storage", let location = item(3) else { continue }
            out.append(StorageLocation(treePath: paths.path(of: NodeID(index: index)), location: location, key: item(2)))
        }
        return out
    }
}

/// `'1.4.2'` → `1.4.2` (previews are Python reprs).
func unquote(_ repr: String) -> String {
    guard repr.count >= 2, let first = repr.first, first == "'" || first == "\"", repr.last == first else { return repr }
    return String(repr.dropFirst().dropLast())
}

/// What a treemap cell stands for; it picks the cell's colour and its legend entry.
public enum TreemapKind: String, Encodable, Sendable, CaseIterable {
    case trainingOnly = "training"
    case tensor
    case string
    case array
    case overhead
    case object
    case file
    case other

    /// The legend's wording.
    public var label: String {
        switch self {
        case .trainingOnly: "training-only (strippable)"
        case .tensor: "tensors"
        case .string: "strings"
        case .array: "numeric arrays"
        case .overhead: "overhead"
        case .object: "objects and containers"
        case .file: "other files"
        case .other: "folded small items"
        }
    }
}

/// One cell of a report's treemap. `values` holds one size per metric of the report (file
/// bytes and estimated memory for inspect; after and before for diff); a parent's values
/// cover its children, and what the children do not cover is the parent's own.
public struct TreemapNode: Encodable, Sendable, Equatable {
    public var name: String
    /// Where it is, as the text reports print it; findings and changes link to it.
    public var path: String
    public var kind: TreemapKind
    public var values: [UInt64]
    public var type: String?
    /// The command that removes or fixes it, where one applies.
    public var fix: String?
    public var children: [TreemapNode]

    public init(name: String, path: String, kind: TreemapKind, values: [UInt64], type: String? = nil, fix: String? = nil, children: [TreemapNode] = []) {
        self.name = name
        self.path = path
        self.kind = kind
        self.values = values
        self.type = type
        self.fix = fix
        self.children = children
    }

    // Short keys: the tree is embedded in the page, and a big report has thousands of cells.
    enum CodingKeys: String, CodingKey { case name = "n", path = "p", kind = "k", values = "v", type = "t", fix = "f", children = "c" }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(path, forKey: .path)
        try container.encode(kind, forKey: .kind)
        try container.encode(values, forKey: .values)
        try container.encodeIfPresent(type, forKey: .type)
        try container.encodeIfPresent(fix, forKey: .fix)
        if !children.isEmpty { try container.encode(children, forKey: .children) }
    }

    /// The tree with every cell smaller than `fraction` of the root (in every metric) folded
    /// into one "other (N items)" cell per parent, and nothing below `maximumDepth`: what the
    /// page embeds stays bounded whatever the artifact holds (at most 1/fraction cells a level).
    public func bounded(fraction: Double = 0.0005, maximumDepth: Int = 12) -> TreemapNode {
        let thresholds = values.map { UInt64((Double($0) * fraction).rounded(.up)) }
        return bounded(thresholds: thresholds, depth: 0, maximumDepth: maximumDepth)
    }

    private func bounded(thresholds: [UInt64], depth: Int, maximumDepth: Int) -> TreemapNode {
        var copy = self
        guard depth < maximumDepth else {
            copy.children = []
            return copy
        }
        var kept: [TreemapNode] = []
        var folded = TreemapNode(name: "", path: path + " (other)", kind: .other, values: Array(repeating: 0, count: values.count))
        var foldedCount = 0
        for child in children {
            let large = zip(child.values, thresholds).contains { $0 >= $1 && $0 > 0 }
            if large {
                kept.append(child.bounded(thresholds: thresholds, depth: depth + 1, maximumDepth: maximumDepth))
            } else {
                foldedCount += 1
                for index in folded.values.indices where index < child.values.count { folded.values[index] &+= child.values[index] }
            }
        }
        if foldedCount == 1, let only = children.first(where: { child in !zip(child.values, thresholds).contains { $0 >= $1 && $0 > 0 } }) {
            var leaf = only
            leaf.children = []
            kept.append(leaf)
        } else if foldedCount > 1 {
            folded.name = "other (\(foldedCount) items)"
            kept.append(folded)
        }
        copy.children = kept
        return copy
    }

    /// Number of cells, this one included.
    public var cellCount: Int { 1 + children.reduce(0) { $0 + $1.cellCount } }
}

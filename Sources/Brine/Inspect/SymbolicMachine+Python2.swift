/// Objects as Python 2 pickled them, shown as the objects they build.
extension SymbolicMachine {
    /// Python 2.7's `OrderedDict.__reduce__` pickles `(OrderedDict, ([[k, v], ...],))` (and
    /// the instance dict as BUILD state): every state dict `torch.save` wrote under Python 2.
    /// When the argument is such a list of pairs with str keys, the pairs become the dict's
    /// entries (`['embedding.weight']`, as at protocol 2+ under Python 3, whose
    /// OrderedDict pickles with SETITEMS) and the list, pairs and keys are charged to the
    /// dict. Keys come from their previews, which hold 60 characters: a dict with a longer
    /// key, or anything else, is left as it was built (`__reduce_args__[0][i][1]`).
    func absorbPython2OrderedDictPairs(_ arguments: StackValue, into node: Int) -> Bool {
        guard arguments.isNode, !arguments.isReference else { return false }
        let tuple = graph.nodes[arguments.node]
        guard tuple.kind == .tuple, !tuple.isLarge, tuple.itemCount == 1, tuple.edges.count == 1, let pairsEdge = tuple.edges.first,
              pairsEdge.label == .index(0), !pairsEdge.isReference, let pairsNode = pairsEdge.child?.index else { return false }
        let pairs = graph.nodes[pairsNode]
        guard pairs.kind == .list, !pairs.isLarge, pairs.edges.count == Int(pairs.itemCount),
              pairs.edges.count <= options.keptEdgesPerNode else { return false }
        var entries: [Edge] = []
        for edge in pairs.edges {
            guard !edge.isReference, let pairNode = edge.child?.index else { return false }
            let pair = graph.nodes[pairNode]
            guard pair.kind == .list || pair.kind == .tuple, !pair.isLarge, pair.itemCount == 2, pair.edges.count == 2,
                  pair.edges[0].label == .index(0), pair.edges[0].child == nil, pair.edges[0].kind == .str,
                  pair.edges[1].label == .index(1), let key = Self.wholeText(ofPreview: pair.edges[0].preview) else { return false }
            var entry = pair.edges[1]
            entry.label = .key(key)
            entries.append(entry)
        }
        let argumentBytes = nodeBytes(arguments.node)
        var valueBytes: UInt64 = 0
        for entry in entries {
            if let child = entry.child, !entry.isReference { valueBytes &+= graph.nodes[child.index].totalBytes } else { valueBytes &+= entry.bytes }
        }
        graph.nodes[node].edges += entries
        graph.nodes[node].itemCount &+= UInt64(entries.count)
        graph.nodes[node].ownBytes &+= arguments.bytes &+ (argumentBytes &- min(argumentBytes, valueBytes))
        noteAbsorbed(arguments.node, into: node)
        graph.nodes[arguments.node].isAbsorbed = true
        return true
    }

    /// The text a str preview (`'embedding.weight'`) spells, nil when it may be cut short
    /// (previews end in "..." past 60 characters).
    static func wholeText(ofPreview preview: String?) -> String? {
        guard let preview, case .string(let text)? = try? PythonLiteralParser.parse(Array(preview.utf8)) else { return nil }
        if text.unicodeScalars.count >= 60, text.hasSuffix("...") { return nil }
        return text
    }
}

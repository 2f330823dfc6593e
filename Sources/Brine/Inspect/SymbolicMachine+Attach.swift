/// How values become parts of nodes, and how nodes are summarised to stay small.
extension SymbolicMachine {
    /// Adds `value` as a part of `parent`: kept as an edge while the parent is small,
    /// counted in its summary once it is large (only the biggest child objects stay).
    func attach(_ value: StackValue, as label: EdgeLabel, to parent: Int, range: Range<UInt64>? = nil, valueEnd: UInt64? = nil,
                memo: Range<Int64>? = nil) {
        graph.nodes[parent].itemCount &+= 1
        if recorder != nil { noteAttach(value, to: parent, as: label) }
        if value.isNode && !value.isReference {
            let depth = graph.nodes[value.node].depth + 1
            if depth > graph.nodes[parent].depth {
                graph.nodes[parent].depth = depth
                if depth > options.maximumObjectDepth { nestingTooDeep = true }
            }
            graph.nodes[value.node].ownBytes &+= value.bytes
            finalize(value.node)
            let child = graph.nodes[value.node]
            graph.nodes[parent].edges.append(Edge(
                label: label, child: NodeID(index: value.node), kind: child.kind,
                bytes: child.totalBytes, memory: child.totalMemory, preview: nil, integer: nil, isReference: false,
                entryRange: range, valueStart: range == nil ? nil : value.start, valueEnd: range == nil ? nil : valueEnd,
                entryMemo: memo, valueMemoStart: memo == nil ? nil : value.memoStart))
            if graph.nodes[parent].edges.count > 2 * options.keptEdgesPerNode { prune(parent) }
            return
        }
        if !graph.nodes[parent].isLarge && graph.nodes[parent].edges.count < options.keptEdgesPerNode {
            graph.nodes[parent].edges.append(Edge(
                label: label, child: value.isNode ? NodeID(index: value.node) : nil, kind: value.kind,
                bytes: value.bytes, memory: value.memory, preview: preview(of: value),
                integer: value.hasExactInteger ? value.payload : nil, isReference: value.isReference,
                entryRange: range, valueStart: range == nil ? nil : value.start, valueEnd: range == nil ? nil : valueEnd,
                entryMemo: memo, valueMemoStart: memo == nil ? nil : value.memoStart))
            return
        }
        becomeLarge(parent)
        graph.nodes[parent].folded.add(kind: value.kind, bytes: value.bytes, memory: value.memory)
    }

    /// Key/value pairs from `start` to the top of the stack into a dict (or dict-like object).
    /// `end` is where the last pair's instructions stop (the SETITEMS opcode, or past a SETITEM).
    func attachPairs(from start: Int, to parent: Int, _ instruction: PickleInstruction, end: UInt64) throws(PickleError) {
        guard (stack.count - start) % 2 == 0 else {
            throw PickleError(offset: instruction.offset, opcode: instruction.opcode, reason: .malformed("odd number of items for a dict"))
        }
        var index = start
        while index < stack.count {
            let key = stack[index], value = stack[index + 1]
            let keepsNames = !graph.nodes[parent].isLarge && graph.nodes[parent].edges.count < options.keptEdgesPerNode
            if keepsNames || (value.isNode && !value.isReference) {
                // The key's bytes are the dict's structure; its text names the part.
                chargeKey(key, to: parent)
                let rangeEnd = index + 2 < stack.count ? stack[index + 2].start : end
                let range = key.start <= rangeEnd ? key.start..<rangeEnd : nil
                let memoEnd = index + 2 < stack.count ? stack[index + 2].memoStart : memo.sequentialMark
                let sequential = key.memoStart >= 0 && key.memoStart <= value.memoStart && value.memoStart <= memoEnd
                // An int key prints as Python does, `[0]`, not as the string `['0']`.
                let name: EdgeLabel = if key.kind == .int && key.hasExactInteger && key.payload >= Int64(Int.min) && key.payload <= Int64(Int.max) {
                    .index(Int(key.payload))
                } else if key.kind == .bytes, let repr = bytesRepr(of: key) {
                    .reprKey(repr)
                } else {
                    .key(label(of: key))
                }
                // SETITEM follows its pair's value: `--set-none` keeps it.
                let valueEnd = index + 2 >= stack.count && instruction.opcode == .setitem ? instruction.offset : nil
                attach(value, as: name, to: parent, range: range, valueEnd: valueEnd, memo: sequential ? key.memoStart..<memoEnd : nil)
            } else {
                becomeLarge(parent)
                graph.nodes[parent].itemCount &+= 1
                graph.nodes[parent].folded.add(kind: key.kind, bytes: key.bytes, memory: key.memory)
                if key.isNode && !key.isReference {
                    recomputeTotals(from: NodeID(index: key.node))
                    graph.nodes[parent].folded.bytes &+= graph.nodes[key.node].totalBytes
                    graph.nodes[key.node].isAbsorbed = true
                }
                graph.nodes[parent].folded.add(kind: value.kind, bytes: value.bytes, memory: value.memory)
            }
            index += 2
        }
        stack.removeSubrange(start...)
    }

    /// The values above a consumed MARK as an object's constructor arguments.
    func attachArguments(from start: Int, to parent: Int) throws(PickleError) {
        guard start < stack.count else { return }
        let arguments = newNode(.tuple, at: graph.nodes[parent].offset, ownBytes: 0).index
        for index in start..<stack.count { attach(stack[index], as: .index(index - start), to: arguments) }
        stack.removeSubrange(start...)
        attach(.node(arguments, kind: .tuple), as: .arguments, to: parent)
        graph.nodes[parent].itemCount &-= 1
    }

    private func chargeKey(_ key: StackValue, to parent: Int) {
        graph.nodes[parent].ownBytes &+= key.bytes
        graph.nodes[parent].ownMemory &+= key.memory
        if key.isNode && !key.isReference {
            recomputeTotals(from: NodeID(index: key.node))
            graph.nodes[parent].ownBytes &+= graph.nodes[key.node].totalBytes
            graph.nodes[key.node].isAbsorbed = true
        }
    }

    func label(of key: StackValue) -> String {
        if let text = text(of: key) { return text }
        if key.hasExactInteger { return String(key.payload) }
        if key.kind == .global, let name = globalName(key) { return name }
        return key.memoIndex >= 0 ? "<memo \(key.memoIndex)>" : "<\(key.kind.pythonName)>"
    }

    /// A short rendering of a scalar for reports: `1.0`, `'english'`, `None`.
    func preview(of value: StackValue) -> String? {
        switch value.kind {
        case .none: return "None"
        case .bool: return value.payload != 0 ? "True" : "False"
        case .int: return value.hasExactInteger ? String(value.payload) : nil
        case .float: return PythonRepr.reprFloat(Double(bitPattern: UInt64(bitPattern: value.payload)))
        case .str:
            guard let text = text(of: value, limit: 256) else { return nil }
            let short = text.unicodeScalars.count > 60 ? String(String.UnicodeScalarView(text.unicodeScalars.prefix(57))) + "..." : text
            return PythonRepr.reprStr(short.unicodeScalars.map(\.value))
        case .global: return globalName(value)
        case .bytes where value.isEncodedText && value.span.count == 0 && value.payload > 0 && !value.isReference:
            return value.payload <= 60 ? foldedReprs[value.start] : nil
        case .bytes where value.isEncodedText && value.payload <= 60 && !value.isReference:
            let spelling = value.spelling
            return try? reader.withArgumentBytes(value.span) { text -> String? in
                guard let points = spelling.codePoints(text), points.allSatisfy({ $0 < 0x100 }) else { return nil }
                return points.map(UInt8.init).withUnsafeBytes { PythonRepr.reprBytes($0) }
            } ?? nil
        case .bytes where value.span.count <= 60 && !value.isReference:
            return try? reader.withArgumentBytes(value.span) { PythonRepr.reprBytes($0) }
        case .emptyTuple: return "()"
        default: return nil
        }
    }

    /// From now on the node only counts scalars; its scalar edges move into the summary.
    func becomeLarge(_ parent: Int) {
        guard !graph.nodes[parent].isLarge else { return }
        graph.nodes[parent].isLarge = true
        var kept: [Edge] = []
        for edge in graph.nodes[parent].edges {
            if edge.child != nil && !edge.isReference {
                kept.append(edge)
            } else {
                graph.nodes[parent].folded.add(kind: edge.kind, bytes: edge.bytes, memory: edge.memory)
            }
        }
        graph.nodes[parent].edges = kept
    }

    /// Keeps the largest child objects of a large node and folds the others into its summary.
    func prune(_ parent: Int) {
        becomeLarge(parent)
        var edges = graph.nodes[parent].edges
        edges.sort { $0.bytes > $1.bytes }
        for edge in edges[options.keptEdgesPerNode...] {
            graph.nodes[parent].folded.add(kind: edge.kind, bytes: edge.bytes, memory: edge.memory)
            if let child = edge.child { graph.nodes[child.index].isAbsorbed = true }
        }
        graph.nodes[parent].edges = Array(edges[..<options.keptEdgesPerNode])
    }

    /// Sets a node's own memory (from its kind and size) and its subtree totals.
    func finalize(_ id: Int) {
        let node = graph.nodes[id]
        var structural: UInt64
        switch node.kind {
        case .list: structural = MemoryModel.list(count: node.itemCount)
        case .tuple: structural = MemoryModel.tuple(count: node.itemCount)
        case .dict: structural = MemoryModel.dict(count: node.itemCount, stringKeys: true)
        case .set, .frozenset: structural = MemoryModel.set(count: node.itemCount)
        case .instance: structural = MemoryModel.instance(attributes: node.itemCount)
        case .array: structural = MemoryModel.array(dataBytes: node.array?.dataBytes ?? 0, dimensions: node.array?.shape.count ?? 0)
        default: structural = 0
        }
        var bytes = node.ownBytes &+ node.folded.bytes
        var memory = node.ownMemory &+ structural &+ node.folded.memory
        for edge in node.edges {
            if let child = edge.child, !edge.isReference {
                bytes &+= graph.nodes[child.index].totalBytes
                memory &+= graph.nodes[child.index].totalMemory
            } else {
                bytes &+= edge.bytes
                memory &+= edge.memory
            }
        }
        graph.nodes[id].totalBytes = bytes
        graph.nodes[id].totalMemory = memory
    }

    /// Recomputes totals bottom-up below `root` (objects can change after being attached:
    /// recursive structures, BUILD on a memo reference), and refreshes edge sizes.
    func recomputeTotals(from root: NodeID) {
        var order: [Int] = []
        var pending = [root.index]
        var visited = Set<Int>()
        while let id = pending.popLast() {
            guard visited.insert(id).inserted else { continue }
            order.append(id)
            for edge in graph.nodes[id].edges where !edge.isReference {
                if let child = edge.child { pending.append(child.index) }
            }
        }
        for id in order.reversed() {
            finalize(id)
            for index in graph.nodes[id].edges.indices {
                guard let child = graph.nodes[id].edges[index].child, !graph.nodes[id].edges[index].isReference else { continue }
                graph.nodes[id].edges[index].bytes = graph.nodes[child.index].totalBytes
                graph.nodes[id].edges[index].memory = graph.nodes[child.index].totalMemory
            }
        }
    }
}

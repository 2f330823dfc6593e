/// Objects: REDUCE/NEWOBJ/INST/OBJ make instances, BUILD gives them state. numpy and
/// joblib arrays, sets pickled by value and protocol-2 bytes are recognised by their globals.
extension SymbolicMachine {
    func reduce(callable: StackValue, arguments: StackValue, keywords: StackValue?, _ instruction: PickleInstruction) throws(PickleError) {
        let name = globalName(callable)
        let ownBytes = instruction.length &+ callable.bytes
        let offset = instruction.offset

        switch name {
        case "builtins.set", "__builtin__.set", "builtins.frozenset", "__builtin__.frozenset":
            // Protocols < 4 pickle a set as set([...]): show it as the set it is.
            if let list = firstArgumentNode(arguments), graph.nodes[list].kind == .list {
                graph.nodes[list].kind = name!.hasSuffix("frozenset") ? .frozenset : .set
                // Elements, as EMPTY_SET/ADDITEMS name them at protocol 4+, not list positions.
                for index in graph.nodes[list].edges.indices { graph.nodes[list].edges[index].label = .element }
                dropRepeatedElements(list)
                graph.nodes[list].ownBytes &+= ownBytes &+ (graph.nodes[arguments.node].ownBytes)
                graph.nodes[arguments.node].isAbsorbed = true
                try push(.node(list, kind: graph.nodes[list].kind), instruction, from: callable.origin)
                return
            }
        case "_codecs.encode", "builtins.bytearray", "__builtin__.bytearray":
            // Protocol 0-2 bytes, protocol 0-4 bytearray: folded when their tuple was built.
            if try reduceFolded(name, arguments: arguments, ownBytes: ownBytes, instruction, from: callable.origin) { return }
            if !arguments.isNode || arguments.isReference || firstArgumentNode(arguments) == nil {
                let total = ownBytes &+ arguments.bytes &+ (arguments.isNode && !arguments.isReference ? nodeBytes(arguments.node) : 0)
                let kind: ValueKind = name == "_codecs.encode" ? .bytes : .bytearray
                if arguments.isNode && !arguments.isReference { graph.nodes[arguments.node].isAbsorbed = true }
                try push(.scalar(kind, bytes: total, memory: MemoryModel.bytes(count: total)), instruction, from: callable.origin)
                return
            }
        case "builtins.bytes", "__builtin__.bytes":
            // Protocols 0-2 write b'' as bytes().
            if arguments.kind == .emptyTuple || (arguments.isNode && !arguments.isReference && arguments.kind == .tuple
                                                 && graph.nodes[arguments.node].itemCount == 0) {
                var total = ownBytes &+ arguments.bytes
                if arguments.isNode {
                    total &+= nodeBytes(arguments.node)
                    graph.nodes[arguments.node].isAbsorbed = true
                }
                try push(.scalar(.bytes, bytes: total, memory: MemoryModel.bytes(count: 0)), instruction, from: callable.origin)
                return
            }
        default:
            break
        }

        let node = newNode(.instance, at: offset, ownBytes: ownBytes).index
        graph.nodes[node].typeName = name ?? "<callable>"
        if callable.isNode && !callable.isReference {
            // A callable built by the pickle itself (rare) is charged to the object it made.
            graph.nodes[node].ownBytes &+= nodeBytes(callable.node)
            graph.nodes[callable.node].isAbsorbed = true
        }
        if let name, NumpyModel.isReconstructor(name) {
            graph.nodes[node].kind = .array
            graph.nodes[node].typeName = globalName(firstArgumentScalar(arguments)) ?? "numpy.ndarray"
            absorbArguments(arguments, into: node)
        } else if name == "numpy.dtype" {
            dtypes[node] = NumpyModel.dtype(fromArguments: argumentEdges(arguments))
            if arguments.isNode, !arguments.isReference { dtypeArgumentStarts[node] = arguments.start }
            absorbArguments(arguments, into: node)
        } else if let name, NumpyModel.isFromBuffer(name) {
            let edges = argumentEdges(arguments)
            graph.nodes[node].kind = .array
            graph.nodes[node].typeName = "numpy.ndarray"
            graph.nodes[node].array = NumpyModel.fromBuffer(edges, dtypes: dtypes, graph: graph)
            absorbArguments(arguments, into: node)
        } else if name == "copyreg._reconstructor" || name == "copy_reg._reconstructor" {
            graph.nodes[node].typeName = globalName(firstArgumentScalar(arguments)) ?? name
            absorbArguments(arguments, into: node)
        } else if name == "collections.OrderedDict", absorbPython2OrderedDictPairs(arguments, into: node) {
            // Python 2's OrderedDict([[k, v], ...]): its pairs are its entries (SymbolicMachine+Python2).
        } else {
            if arguments.kind == .emptyTuple || (arguments.isNode && !arguments.isReference && graph.nodes[arguments.node].itemCount == 0) {
                absorbArguments(arguments, into: node)
            } else {
                attach(arguments, as: .arguments, to: node)
                graph.nodes[node].itemCount &-= 1
            }
        }
        if options.recognizesTorch, let name, name.hasPrefix("torch._utils._rebuild_") || name.hasPrefix("torch._tensor._rebuild_from_type") {
            recognizeTorchTensor(node, rebuiltBy: name)
        }
        if let keywords {
            attach(keywords, as: .attribute("__kwargs__"), to: node)
            graph.nodes[node].itemCount &-= 1
        }
        try push(.node(node, kind: graph.nodes[node].kind), instruction, from: callable.origin)
    }

    /// INST: the class named by the instruction, arguments above the MARK.
    func instantiate(className: String, _ instruction: PickleInstruction) throws(PickleError) {
        let mark = try popMark(instruction)
        let node = newNode(.instance, at: mark.offset, ownBytes: instruction.length &+ mark.bytes).index
        graph.nodes[node].typeName = className
        try attachArguments(from: mark.stackIndex, to: node)
        try push(.node(node, kind: .instance), instruction, from: mark.origin)
    }

    func build(state: StackValue, _ instruction: PickleInstruction) throws(PickleError) {
        let target = try topNode(instruction)
        graph.nodes[target].ownBytes &+= instruction.length
        let typeName = graph.nodes[target].typeName

        if graph.nodes[target].kind == .array, graph.nodes[target].array == nil {
            let edges = stateEdges(state)
            graph.nodes[target].array = NumpyModel.reconstructState(edges, dtypes: dtypes, graph: graph)
            absorbState(state, into: target, keepingObjectData: true)
            return
        }
        if typeName == "numpy.dtype" {
            dtypes[target] = NumpyModel.dtype(dtypes[target], withState: stateEdges(state), graph: graph)
            absorbState(state, into: target, keepingObjectData: false)
            return
        }
        mergeState(state, into: target)
        if let typeName, JoblibArrayWrapper.isInline(typeName) {
            try readJoblibArray(into: target, instruction)
        } else if let typeName, JoblibArrayWrapper.sideFileNames.contains(typeName) {
            resolveSideFileArray(target, wrapper: typeName)
        }
    }

    /// Attributes from a state dict, or (dict, slots) pair; any other state is one part.
    private func mergeState(_ state: StackValue, into target: Int) {
        guard state.isNode, !state.isReference else {
            if state.kind == .none {
                graph.nodes[target].ownBytes &+= state.bytes
            } else {
                attach(state, as: .state, to: target)
                graph.nodes[target].itemCount &-= 1
            }
            return
        }
        let stateNode = graph.nodes[state.node]
        if stateNode.kind == .dict {
            absorbDict(state.node, into: target)
        } else if stateNode.kind == .tuple, stateNode.itemCount == 2, !stateNode.isLarge,
                  stateNode.edges.allSatisfy({ $0.kind == .dict || $0.kind == .none }) {
            graph.nodes[target].ownBytes &+= stateNode.ownBytes
            noteAbsorbed(state.node, into: target)
            for edge in stateNode.edges {
                if let child = edge.child, !edge.isReference { absorbDict(child.index, into: target) } else {
                    graph.nodes[target].ownBytes &+= edge.bytes
                }
            }
            graph.nodes[state.node].isAbsorbed = true
        } else {
            attach(state, as: .state, to: target)
            graph.nodes[target].itemCount &-= 1
        }
    }

    /// A set built from a list (`set([1, 1])`) holds each provably equal scalar once
    /// (`attach` does the same for ADDITEMS/FROZENSET); the repeats' bytes are the set's own.
    private func dropRepeatedElements(_ set: Int) {
        guard !graph.nodes[set].isLarge else { return }
        var seen = Set<String>()
        var kept: [Edge] = []
        for edge in graph.nodes[set].edges {
            if edge.child == nil, let identity = Self.scalarIdentity(kind: edge.kind, integer: edge.integer, preview: edge.preview),
               !seen.insert(identity).inserted {
                graph.nodes[set].ownBytes &+= edge.bytes
                graph.nodes[set].itemCount &-= 1
                continue
            }
            kept.append(edge)
        }
        graph.nodes[set].edges = kept
    }

    /// Moves a dict's entries into an object as its attributes.
    private func absorbDict(_ dict: Int, into target: Int) {
        noteAbsorbed(dict, into: target)
        let source = graph.nodes[dict]
        graph.nodes[target].ownBytes &+= source.ownBytes
        graph.nodes[target].ownMemory &+= source.ownMemory
        graph.nodes[target].folded.merge(source.folded)
        graph.nodes[target].itemCount &+= source.itemCount
        if source.isLarge { graph.nodes[target].isLarge = true }
        for var edge in source.edges {
            if case .key(let name) = edge.label { edge.label = .attribute(name) }
            // An attribute set again (a second BUILD): the last value wins, as in `__dict__`.
            if edge.keyIsExact, let old = graph.nodes[target].edges.firstIndex(where: { $0.keyIsExact && $0.label == edge.label }) {
                let replaced = graph.nodes[target].edges.remove(at: old)
                graph.nodes[target].ownBytes &+= replaced.bytes
                if let child = replaced.child, !replaced.isReference { graph.nodes[child.index].isAbsorbed = true }
                graph.nodes[target].itemCount &-= 1
            }
            graph.nodes[target].edges.append(edge)
        }
        graph.nodes[dict].isAbsorbed = true
    }

    /// Charges constructor arguments to the object itself, without showing them as a part.
    private func absorbArguments(_ arguments: StackValue, into node: Int) {
        graph.nodes[node].ownBytes &+= arguments.bytes
        guard arguments.isNode, !arguments.isReference else { return }
        noteAbsorbed(arguments.node, into: node)
        graph.nodes[node].ownBytes &+= nodeBytes(arguments.node)
        graph.nodes[arguments.node].isAbsorbed = true
    }

    /// numpy array state: metadata is charged to the array; an object array's element
    /// list stays visible as its data.
    private func absorbState(_ state: StackValue, into node: Int, keepingObjectData: Bool) {
        graph.nodes[node].ownBytes &+= state.bytes
        guard state.isNode, !state.isReference else { return }
        noteAbsorbed(state.node, into: node)
        let stateNode = graph.nodes[state.node]
        if keepingObjectData, let data = stateNode.edges.last(where: { $0.child != nil && !$0.isReference && $0.kind == .list }),
           let child = data.child {
            recomputeTotals(from: state.node.asNodeID)
            graph.nodes[node].ownBytes &+= graph.nodes[state.node].totalBytes &- data.bytes
            graph.nodes[node].edges.append(Edge(label: .state, child: child, kind: .list, bytes: data.bytes, memory: data.memory,
                                                preview: nil, integer: nil, isReference: false))
        } else {
            graph.nodes[node].ownBytes &+= nodeBytes(state.node)
        }
        graph.nodes[state.node].isAbsorbed = true
    }

    func nodeBytes(_ id: Int) -> UInt64 {
        recomputeTotals(from: id.asNodeID)
        return graph.nodes[id].totalBytes
    }

    func argumentEdges(_ arguments: StackValue) -> [Edge] {
        guard arguments.isNode else { return [] }
        return graph.nodes[arguments.node].edges
    }

    private func stateEdges(_ state: StackValue) -> [Edge] {
        argumentEdges(state)
    }

    private func firstArgumentNode(_ arguments: StackValue) -> Int? {
        guard arguments.isNode, let first = graph.nodes[arguments.node].edges.first, first.label == .index(0) else { return nil }
        return first.child?.index
    }

    private func firstArgumentScalar(_ arguments: StackValue) -> StackValue {
        guard arguments.isNode, let first = graph.nodes[arguments.node].edges.first, first.kind == .global,
              let name = first.preview, let id = globalIndex[name] else {
            return .scalar(.none, bytes: 0, memory: 0)
        }
        var value = StackValue.scalar(.global, bytes: 0, memory: 0)
        value.payload = Int64(id)
        return value
    }
}

extension Int {
    var asNodeID: NodeID { NodeID(index: self) }
}

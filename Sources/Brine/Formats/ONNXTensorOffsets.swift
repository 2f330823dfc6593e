import BrineIO
import BrineONNX

/// Where each tensor's data sits in an ONNX file. swift-protobuf decodes the model but keeps
/// no positions, so the wire format is walked for every TensorProto the model holds, in the
/// order `ONNXTensors.all` lists the decoded ones: graph initializers, sparse initializers
/// (values, then indices), then each node's attribute tensors (`t`, `tensors`,
/// `sparse_tensor`, `sparse_tensors`, then the subgraphs `g` and `graphs`, recursively),
/// then training-info graphs (initialization, algorithm) and functions (nodes, then
/// attribute defaults). A message field given twice is merged as protobuf merges it:
/// repeated fields of every occurrence are appended, in order.
enum ONNXTensorOffsets {
    struct Data: Equatable {
        /// Absolute offset of the data's first byte.
        var offset: UInt64
        var bytes: UInt64
        /// `raw_data`; otherwise the typed fields (float_data, int64_data…), whose payloads
        /// are summed and placed at the first one.
        var raw: Bool
    }

    /// TensorProto's typed data fields: float_data, int32_data, string_data, int64_data,
    /// double_data, uint64_data.
    static let typedFields: Set<UInt64> = [4, 5, 6, 7, 10, 11]

    /// Every tensor of the ModelProto in `bytes`.
    static func tensors(_ bytes: [UInt8], name: String, maximumDepth: Int) throws(InputError) -> [Data] {
        try walk(bytes, name: name, maximumDepth: maximumDepth) { wire, walker throws(InputError) in try walker.model(wire) }
    }

    /// The one tensor of a serialized TensorProto (ONNX test data's `.pb` files).
    static func tensor(_ bytes: [UInt8], name: String, maximumDepth: Int) throws(InputError) -> Data {
        try walk(bytes, name: name, maximumDepth: maximumDepth) { wire, walker throws(InputError) in [try walker.data(of: wire, at: 0)] }[0]
    }

    private static func walk(_ bytes: [UInt8], name: String, maximumDepth: Int,
                             _ body: (ProtobufWire, Walker) throws(InputError) -> [Data]) throws(InputError) -> [Data] {
        // Array.withUnsafeBytes rethrows untyped errors: the walk's error is carried out by hand.
        var failure: InputError?
        let found = bytes.withUnsafeBytes { buffer -> [Data] in
            do throws(InputError) {
                return try body(ProtobufWire(buffer, range: 0..<buffer.count, name: name, maximumDepth: maximumDepth), Walker(maximumDepth: maximumDepth))
            } catch { failure = error; return [] }
        }
        if let failure { throw failure }
        return found
    }

    /// A graph's tensors by kind, so that several occurrences merge as protobuf merges them.
    private struct GraphParts {
        var initializers: [Data] = []
        var sparse: [Data] = []
        var nodes: [Data] = []
        mutating func merge(_ other: GraphParts) {
            initializers += other.initializers
            sparse += other.sparse
            nodes += other.nodes
        }
        var all: [Data] { initializers + sparse + nodes }
    }

    private struct Walker {
        let maximumDepth: Int

        func model(_ wire: ProtobufWire) throws(InputError) -> [Data] {
            var wire = wire
            var graph = GraphParts()
            var training: [Data] = []
            var functions: [Data] = []
            while let field = try wire.readField() {
                guard field.type == .lengthDelimited else { continue }
                switch field.number {
                case 7: graph.merge(try self.graph(wire.message(field), depth: 1))
                case 20: training += try trainingInfo(wire.message(field), depth: 1)
                case 25: functions += try function(wire.message(field), depth: 1)
                default: continue
                }
            }
            return graph.all + training + functions
        }

        private func deeper(_ depth: Int, _ wire: ProtobufWire, at offset: Int) throws(InputError) -> Int {
            guard depth < maximumDepth else {
                throw HeaderBytes.malformed(wire.name, UInt64(offset), "ONNX protobuf: graphs nested more than \(maximumDepth) deep")
            }
            return depth + 1
        }

        private func graph(_ wire: ProtobufWire, depth: Int) throws(InputError) -> GraphParts {
            var wire = wire
            var parts = GraphParts()
            while let field = try wire.readField() {
                guard field.type == .lengthDelimited else { continue }
                switch field.number {
                case 5: parts.initializers.append(try data(of: wire.message(field), at: field.value.lowerBound))
                case 15: parts.sparse += try sparse(wire.message(field))
                case 1: parts.nodes += try node(wire.message(field), depth: try deeper(depth, wire, at: field.value.lowerBound))
                default: continue
                }
            }
            return parts
        }

        private func trainingInfo(_ wire: ProtobufWire, depth: Int) throws(InputError) -> [Data] {
            var wire = wire
            var initialization = GraphParts()
            var algorithm = GraphParts()
            while let field = try wire.readField() {
                guard field.type == .lengthDelimited else { continue }
                if field.number == 1 { initialization.merge(try graph(wire.message(field), depth: depth)) }
                if field.number == 2 { algorithm.merge(try graph(wire.message(field), depth: depth)) }
            }
            return initialization.all + algorithm.all
        }

        private func function(_ wire: ProtobufWire, depth: Int) throws(InputError) -> [Data] {
            var wire = wire
            var nodes: [Data] = []
            var defaults: [Data] = []
            while let field = try wire.readField() {
                guard field.type == .lengthDelimited else { continue }
                if field.number == 7 { nodes += try node(wire.message(field), depth: depth) }
                if field.number == 11 { defaults += try attribute(wire.message(field), depth: depth) }
            }
            return nodes + defaults
        }

        private func node(_ wire: ProtobufWire, depth: Int) throws(InputError) -> [Data] {
            var wire = wire
            var found: [Data] = []
            while let field = try wire.readField() {
                if field.number == 5, field.type == .lengthDelimited { found += try attribute(wire.message(field), depth: depth) }
            }
            return found
        }

        private func attribute(_ wire: ProtobufWire, depth: Int) throws(InputError) -> [Data] {
            var wire = wire
            var tensor: [Data] = [], tensors: [Data] = [], sparseTensor: [Data] = [], sparseTensors: [Data] = []
            var graph = GraphParts()
            var graphs: [Data] = []
            while let field = try wire.readField() {
                guard field.type == .lengthDelimited else { continue }
                switch field.number {
                case 5: tensor.append(try data(of: wire.message(field), at: field.value.lowerBound))
                case 10: tensors.append(try data(of: wire.message(field), at: field.value.lowerBound))
                case 22: sparseTensor += try sparse(wire.message(field))
                case 23: sparseTensors += try sparse(wire.message(field))
                case 6: graph.merge(try self.graph(wire.message(field), depth: depth))
                case 11: graphs += try self.graph(wire.message(field), depth: depth).all
                default: continue
                }
            }
            return tensor + tensors + sparseTensor + sparseTensors + graph.all + graphs
        }

        /// SparseTensorProto: values (1), then indices (2).
        private func sparse(_ wire: ProtobufWire) throws(InputError) -> [Data] {
            var wire = wire
            var values: [Data] = [], indices: [Data] = []
            while let field = try wire.readField() {
                guard field.type == .lengthDelimited else { continue }
                if field.number == 1 { values.append(try data(of: wire.message(field), at: field.value.lowerBound)) }
                if field.number == 2 { indices.append(try data(of: wire.message(field), at: field.value.lowerBound)) }
            }
            return values + indices
        }

        func data(of tensor: ProtobufWire, at start: Int) throws(InputError) -> Data {
            var tensor = tensor
            var raw: Range<Int>?
            var typedStart: Int?
            var typedBytes = 0
            while let field = try tensor.readField() {
                if field.number == 9, field.type == .lengthDelimited {
                    // A bytes field given twice: protobuf keeps the last.
                    raw = field.value
                } else if typedFields.contains(field.number) {
                    typedStart = typedStart ?? field.value.lowerBound
                    typedBytes += field.value.count
                }
            }
            if let raw { return Data(offset: UInt64(raw.lowerBound), bytes: UInt64(raw.count), raw: true) }
            return Data(offset: UInt64(typedStart ?? start), bytes: UInt64(typedBytes), raw: false)
        }
    }
}

/// The decoded model's tensors, in the order `ONNXTensorOffsets` walks the wire, each with
/// the name Brine shows and what holds it.
enum ONNXTensors {
    struct Entry {
        var tensor: Onnx_TensorProto
        /// The tensor's own name; when it has none, for a Constant node's `value` (or
        /// `sparse_value`) the node's output, else `<node>.<attribute>` (`[i]` in a list),
        /// `<node>` being the node's name, else its first output, else its op type. A sparse
        /// tensor's indices are `<name> (indices)`.
        var name: String
        /// "initializer", "sparse initializer", or "tensor" (in a node's attribute, a
        /// subgraph, training info or a function).
        var role: String
    }

    static func all(_ model: Onnx_ModelProto) -> [Entry] {
        var found = graph(model.graph, top: true)
        for info in model.trainingInfo {
            found += graph(info.initialization, top: false) + graph(info.algorithm, top: false)
        }
        for function in model.functions {
            for node in function.node { found += self.node(node) }
            for attribute in function.attributeProto { found += self.attribute(attribute, owner: function.name, constant: nil) }
        }
        return found
    }

    private static func graph(_ graph: Onnx_GraphProto, top: Bool) -> [Entry] {
        var found = graph.initializer.map { Entry(tensor: $0, name: $0.name, role: top ? "initializer" : "tensor") }
        for sparse in graph.sparseInitializer { found += self.sparse(sparse, name: sparse.values.name, role: top ? "sparse initializer" : "tensor") }
        for node in graph.node { found += self.node(node) }
        return found
    }

    private static func node(_ node: Onnx_NodeProto) -> [Entry] {
        let owner = !node.name.isEmpty ? node.name : (node.output.first.flatMap { $0.isEmpty ? nil : $0 } ?? node.opType)
        let constant = node.opType == "Constant" && (node.domain.isEmpty || node.domain == "ai.onnx") ? node.output.first : nil
        return node.attribute.flatMap { attribute($0, owner: owner, constant: constant) }
    }

    private static func attribute(_ attribute: Onnx_AttributeProto, owner: String, constant: String?) -> [Entry] {
        let base = "\(owner).\(attribute.name)"
        func named(_ tensor: Onnx_TensorProto, _ fallback: String) -> String { tensor.name.isEmpty ? fallback : tensor.name }
        let single = (attribute.name == "value" || attribute.name == "sparse_value") ? (constant ?? base) : base
        var found: [Entry] = []
        if attribute.hasT { found.append(Entry(tensor: attribute.t, name: named(attribute.t, single), role: "tensor")) }
        for (index, tensor) in attribute.tensors.enumerated() { found.append(Entry(tensor: tensor, name: named(tensor, "\(base)[\(index)]"), role: "tensor")) }
        if attribute.hasSparseTensor { found += sparse(attribute.sparseTensor, name: named(attribute.sparseTensor.values, single), role: "tensor") }
        for (index, tensor) in attribute.sparseTensors.enumerated() {
            found += sparse(tensor, name: named(tensor.values, "\(base)[\(index)]"), role: "tensor")
        }
        if attribute.hasG { found += graph(attribute.g, top: false) }
        for subgraph in attribute.graphs { found += graph(subgraph, top: false) }
        return found
    }

    private static func sparse(_ sparse: Onnx_SparseTensorProto, name: String, role: String) -> [Entry] {
        var found: [Entry] = []
        if sparse.hasValues { found.append(Entry(tensor: sparse.values, name: name, role: role)) }
        if sparse.hasIndices { found.append(Entry(tensor: sparse.indices, name: "\(name) (indices)", role: role)) }
        return found
    }
}

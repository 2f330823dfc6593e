/// joblib's layout: after the BUILD of each `NumpyArrayWrapper`, joblib writes the array
/// itself into the stream — one padding-length byte and padding up to the alignment
/// (joblib ≥ 1.2), then the raw data; object arrays are a nested protocol-2 pickle
/// instead. Source: joblib/numpy_pickle.py (`NumpyArrayWrapper.write_array`/`read_array`).
public struct RawSpan: Sendable, Equatable {
    public var span: ByteSpan
    /// joblib ≥ 1.2 pads array data to this alignment: the span starts with a byte giving
    /// the padding length, then the padding, then the data. A rewriter recomputes it.
    public var alignment: Int?
}

/// Where one joblib array's bytes sit in the stream and what they hold: `brine dis` prints
/// a line for them instead of disassembling them as opcodes.
public struct JoblibArrayLayout: Sendable, Equatable {
    /// Where the raw span starts: the padding-length byte (joblib ≥ 1.2), the data, or the
    /// nested pickle of an object array.
    public var offset: UInt64
    /// Bytes of the whole span (padding byte, padding, data; or the nested pickle).
    public var spanBytes: UInt64
    /// Data bytes (0 for object arrays, whose elements are the nested pickle).
    public var dataBytes: UInt64
    /// The padding-length byte and the padding before the data; nil before joblib 1.2.
    public var paddingBytes: UInt64?
    /// numpy's `dtype.str`: `<f8`, `|O`, `<U10`.
    public var dtype: String
    public var shape: [Int64]
    /// `C` or `F`.
    public var order: String
    /// An object array: the span is a nested pickle.
    public var isObjectArray: Bool
}

/// One joblib array as a float downcast sees it.
public struct JoblibArrayFacts: Sendable, Equatable {
    /// The wrapper's node (the array in the report).
    public var node: NodeID
    /// The dtype object it names (nil when the dtype is not a numpy.dtype node).
    public var dtypeNode: NodeID?
    public var descr: String
    /// Where its raw span (padding byte, padding, data) starts, and the data's size.
    public var rawOffset: UInt64
    public var dataBytes: UInt64
    /// `C` or `F`: the order the raw data is in.
    public var order: String = "C"
}

extension SymbolicMachine {
    func readJoblibArray(into node: Int, _ instruction: PickleInstruction) throws(PickleError) {
        let attributes = graph.nodes[node].edges
        func attribute(_ name: String) -> Edge? { attributes.first { $0.label == .attribute(name) } }
        guard let shapeEdge = attribute("shape"), let dtypeEdge = attribute("dtype") else {
            throw PickleError(offset: instruction.offset, opcode: .build,
                              reason: .malformed("joblib array wrapper without shape or dtype"))
        }
        let shape = NumpyModel.integers(of: shapeEdge, graph: graph)
        let dtype = dtypeEdge.child.flatMap { dtypes[$0.index] }
        let subclass = attribute("subclass")?.preview ?? "numpy.ndarray"
        let order = NumpyModel.unquote(attribute("order")?.preview) ?? "C"
        recomputeTotals(from: node.asNodeID)
        let metadataBytes = graph.nodes[node].totalBytes
        graph.nodes[node].edges = []
        graph.nodes[node].folded = ValueSummary()
        graph.nodes[node].itemCount = 0
        graph.nodes[node].ownBytes = metadataBytes
        graph.nodes[node].ownMemory = 0
        graph.nodes[node].kind = .array
        graph.nodes[node].typeName = subclass

        if dtype?.hasObject ?? false {
            guard nesting < options.maximumNesting else {
                throw limit(instruction, "nested pickle limit", options.maximumNesting, "--max-nesting")
            }
            nesting += 1
            let nestedStart = reader.offset
            let inner = try runPickle()
            nesting -= 1
            if nesting == 0 {
                rawSpans.append(RawSpan(span: ByteSpan(offset: nestedStart, count: reader.offset - nestedStart), alignment: nil))
                arrayLayouts.append(JoblibArrayLayout(
                    offset: nestedStart, spanBytes: reader.offset - nestedStart, dataBytes: 0, paddingBytes: nil,
                    dtype: dtype?.descr ?? "|O", shape: shape, order: order, isObjectArray: true))
            }
            graph.nodes[node].edges.append(Edge(
                label: .state, child: inner, kind: graph[inner].kind, bytes: graph[inner].totalBytes,
                memory: graph[inner].totalMemory, preview: nil, integer: nil, isReference: false))
            graph.nodes[node].array = ArrayInfo(shape: shape, dtype: dtype?.descr ?? "O8", dataBytes: 0, storage: "objects")
            return
        }
        guard let count = NumpyModel.elementCount(shape), let itemSize = dtype?.itemSize else {
            throw PickleError(offset: instruction.offset, opcode: .build,
                              reason: .malformed("joblib array of unknown size (shape \(shape), dtype \(dtype?.descr ?? "?"))"))
        }
        let (dataBytes, overflow) = count.multipliedReportingOverflow(by: UInt64(itemSize))
        guard !overflow else {
            throw PickleError(offset: instruction.offset, opcode: .build, reason: .malformed("joblib array size overflows"))
        }
        var rawBytes: UInt64 = 0
        let rawStart = reader.offset
        var alignment: Int?
        if let alignmentEdge = attribute("numpy_array_alignment_bytes"), alignmentEdge.integer != nil {
            alignment = alignmentEdge.integer.map { Int(clamping: $0) }
            let padding = try reader.readRawByte(expected: "joblib padding length byte")
            try reader.skipRaw(UInt64(padding), expected: "\(padding) bytes of joblib array padding")
            rawBytes = 1 + UInt64(padding)
        }
        if recorder != nil { noteJoblibUnicodeArray(dtype: dtype, dataBytes: dataBytes, node: node) }
        try reader.skipRaw(dataBytes, expected: "\(dataBytes) bytes of array data (shape \(shape), dtype \(dtype?.descr ?? "?"))")
        graph.nodes[node].ownBytes &+= rawBytes &+ dataBytes
        if nesting == 0 {
            rawSpans.append(RawSpan(span: ByteSpan(offset: rawStart, count: reader.offset - rawStart), alignment: alignment))
            arrayLayouts.append(JoblibArrayLayout(
                offset: rawStart, spanBytes: reader.offset - rawStart, dataBytes: dataBytes,
                paddingBytes: alignment == nil ? nil : rawBytes, dtype: dtype?.descr ?? "?", shape: shape, order: order,
                isObjectArray: false))
            joblibArrays.append(JoblibArrayFacts(node: node.asNodeID, dtypeNode: dtypeEdge.child.flatMap { dtypes[$0.index] != nil ? $0 : nil },
                                                 descr: dtype?.descr ?? "?", rawOffset: rawStart, dataBytes: dataBytes, order: order))
        }
        graph.nodes[node].array = ArrayInfo(shape: shape, dtype: dtype?.descr ?? "?", dataBytes: dataBytes, storage: "joblib")
    }
}

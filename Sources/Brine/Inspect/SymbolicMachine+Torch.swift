/// PyTorch's storages and tensors, recognised while replaying `data.pkl` (only when
/// `InspectOptions.recognizesTorch` is set).
extension SymbolicMachine {
    /// A tuple `('storage', torch.XStorage, key, location, numel[, view_metadata])` about to
    /// be built from `stack[start...]`: remember it while its strings are still readable
    /// (a later BINGET of 'cpu' only finds the text if it was kept now).
    func noteTorchStorageID(_ node: Int, from start: Int) {
        let count = stack.count - start
        guard count == 5 || count == 6, stack[start].kind == .str, text(of: stack[start], limit: 16) == "storage",
              let type = globalName(stack[start + 1]),
              let key = text(of: stack[start + 2], limit: 256), let location = text(of: stack[start + 3], limit: 256),
              stack[start + 4].kind == .int, stack[start + 4].hasExactInteger else { return }
        var storage = TorchStorageID(storageType: type, key: key, location: location, numel: stack[start + 4].payload)
        if count == 6, stack[start + 5].kind == .none, stack[start + 5].bytes == 1 { storage.legacyViewMetadataOffset = stack[start + 5].start }
        torchStorageIDs[node] = storage
    }

    /// `_rebuild_tensor_v2(storage, offset, size, stride, …)`, `_rebuild_tensor_v3(…, dtype, …)`,
    /// `_rebuild_tensor(storage, offset, size, stride)` and the Parameter wrappers.
    func recognizeTorchTensor(_ node: Int, rebuiltBy name: String) {
        guard let arguments = graph.nodes[node].edges.last(where: { $0.label == .arguments })?.child?.index else { return }
        recognizeTorchTensor(node, rebuiltBy: name, arguments: arguments)
    }

    private func recognizeTorchTensor(_ node: Int, rebuiltBy name: String, arguments: Int, subclass: String? = nil) {
        let parts = graph.nodes[arguments].edges
        func part(_ index: Int) -> Edge? { parts.first { $0.label == .index(index) } }
        switch name {
        case "torch._tensor._rebuild_from_type_v2", "torch._tensor._rebuild_from_type":
            // A tensor subclass (fastai's TensorBase): (rebuild function, subclass, its arguments, state).
            guard let function = part(0)?.preview, function.hasPrefix("torch._utils._rebuild_tensor"),
                  let inner = part(2)?.child?.index else { return }
            recognizeTorchTensor(node, rebuiltBy: function, arguments: inner, subclass: part(1)?.preview)
            return
        case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
            guard let inner = part(0)?.child?.index, var facts = torchTensors[inner] else { return }
            facts.type = "torch.nn.Parameter"
            facts.innerNode = inner
            markTensor(node, facts)
        case "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3":
            guard let persistent = part(0)?.child?.index, let storage = torchStorageIDs[persistent],
                  let offset = part(1)?.integer, let shape = integers(part(2)), let stride = integers(part(3)) else { return }
            var dtype = storage.dtype
            if name.hasSuffix("_v3"), let global = part(6)?.preview, global.hasPrefix("torch.") { dtype = String(global.dropFirst(6)) }
            markTensor(node, TorchTensorFacts(storage: storage, dtype: dtype, shape: shape, stride: stride, storageOffset: offset,
                                              type: subclass ?? "torch.Tensor", innerNode: nil))
        default:
            return
        }
    }

    private func markTensor(_ node: Int, _ facts: TorchTensorFacts) {
        torchTensors[node] = facts
        graph.nodes[node].typeName = facts.type
        let elements = facts.shape.reduce(UInt64(1)) { $0.multipliedReportingOverflow(by: UInt64(max(0, $1))).partialValue }
        graph.nodes[node].array = ArrayInfo(shape: facts.shape, dtype: facts.dtype,
                                            dataBytes: elements &* TorchDType.itemSize(facts.dtype), storage: "torch:" + facts.storage.key)
    }

    /// The ints of a size or stride tuple: `()` is an empty-tuple scalar, others tuple nodes.
    private func integers(_ edge: Edge?) -> [Int64]? {
        guard let edge else { return nil }
        if edge.kind == .emptyTuple { return [] }
        guard let child = edge.child?.index else { return nil }
        let node = graph.nodes[child]
        guard node.kind == .tuple, !node.isLarge, node.edges.count == Int(node.itemCount) else { return nil }
        var values: [Int64] = []
        for (index, item) in node.edges.enumerated() {
            guard item.label == .index(index), let value = item.integer else { return nil }
            values.append(value)
        }
        return values
    }
}

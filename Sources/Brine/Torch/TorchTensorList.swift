/// Walks the main pickle's object tree in pickle order and lists its tensors with the paths
/// `brine inspect` prints, charging each storage to the first tensor that uses it.
enum TorchTensorList {
    static func collect(_ inspection: Inspection, storageBytes: [String: UInt64]) throws(TorchError)
        -> (tensors: [TorchTensor], facts: [NodeID: TorchTensorFacts]) {
        let graph = inspection.graph
        var facts: [NodeID: TorchTensorFacts] = [:]
        var found: [(offset: UInt64, path: String, facts: TorchTensorFacts)] = []
        var pending: [(NodeID, String)] = inspection.roots.count == 1
            ? [(inspection.roots[0], "")]
            : inspection.roots.enumerated().map { ($1, "<pickle \($0)>") }
        for (node, tensor) in inspection.torchTensors { facts[node] = tensor }
        while let (id, path) = pending.popLast() {
            if let tensor = facts[id] {
                found.append((graph[id].offset, path, tensor))
                continue  // a tensor is a leaf: its arguments are how it was built
            }
            for edge in graph[id].edges {
                guard let child = edge.child, !edge.isReference else { continue }
                let step = ReportBuilder.component(edge.label)
                pending.append((child, path.isEmpty && step.hasPrefix(".") ? String(step.dropFirst()) : path + step))
            }
        }
        found.sort { $0.offset < $1.offset }
        var firstUser: [String: String] = [:]
        var tensors: [TorchTensor] = []
        for (_, path, tensor) in found {
            let storage = tensor.storage
            let first = firstUser[storage.key]
            if first == nil { firstUser[storage.key] = path }
            guard let recorded = storageBytes[storage.key] else {
                throw .layout(offset: 0, "\(path.isEmpty ? "(root)" : path) refers to storage \(storage.key), which the file does not contain")
            }
            if recorded != storage.bytes {
                throw .layout(offset: 0, "\(path): storage \(storage.key) declares \(storage.bytes) bytes but its record holds \(recorded)")
            }
            tensors.append(TorchTensor(
                path: path, type: tensor.type, dtype: tensor.dtype, shape: tensor.shape, stride: tensor.stride,
                storageOffset: tensor.storageOffset, storageKey: storage.key, storageType: storage.storageType,
                location: storage.location, storageBytes: storage.bytes, chargedBytes: first == nil ? recorded : 0,
                sharesStorageWith: first))
        }
        return (tensors, facts)
    }
}

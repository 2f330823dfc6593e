/// Which tensors of a PyTorch file become safetensors entries, under which names, and what
/// is dropped or noted, decided from the inspection alone (no tensor data is read).
///
/// safetensors forbids two entries sharing memory. Tensors that are the same view of the
/// same storage (same storage, offset, shape, strides and dtype: tied weights, or one tensor
/// reached twice) are written once, under the first of their names in sorted order, as
/// `safetensors.torch.save_model` keeps `sorted(names)[0]`; each other name is recorded in
/// `__metadata__` as `alias: kept`, which `safetensors.torch.load_model` reads back. Different
/// views of one storage (a row, a slice) are each written as their own copy.
struct TorchConvertPlan {
    struct Tensor {
        var name: String
        var path: String
        var dtype: String
        var itemSize: Int
        var view: StridedCopy.View
        var storageKey: String
        var bytes: UInt64
    }

    var tensors: [Tensor] = []
    var aliases: [String: String] = [:]
    var dropped: [ConvertDrop] = []
    var notes: [String] = []

    init(_ inspection: TorchInspection, key: String?) throws(ConvertError) {
        let facts = inspection.tensorNodes
        let tree = TensorTree(graph: inspection.pickle.graph) { facts[$0] != nil }
        let (root, rootPath) = try tree.select(key, roots: inspection.pickle.roots)
        let walked = tree.walk(from: root, path: rootPath)
        dropped = walked.dropped
        notes = walked.notes

        struct ViewKey: Hashable { var storage: String; var offset: Int64; var shape, stride: [Int64]; var dtype: String }
        var groups: [ViewKey: [Int]] = [:]
        var candidates: [Tensor] = []
        var locations: [String: Int] = [:]
        let graph = inspection.pickle.graph
        for leaf in walked.leaves {
            guard let tensor = facts[leaf.node] else { continue }
            // A scripted module's tensor attribute outside its parameters and buffers (a cached
            // state) is not in `state_dict()`: `load_state_dict` would refuse it as unexpected.
            if inspection.format == .torchscript, let owner = leaf.owner, let attribute = leaf.attribute,
               let className = graph[owner].typeName, let declared = inspection.scriptStateNames[className], !declared.contains(attribute) {
                dropped.append(ConvertDrop(path: TensorTree.shown(leaf.path),
                                           what: "tensor attribute of \(className) that is neither a parameter nor a buffer (state_dict() leaves it out)"))
                continue
            }
            let name = leaf.name.isEmpty ? "tensor" : leaf.name
            guard let (dtype, size) = SafetensorsDType.of(torch: tensor.dtype) else {
                dropped.append(ConvertDrop(path: TensorTree.shown(leaf.path), what: "tensor of \(tensor.dtype), which safetensors has no dtype for"))
                continue
            }
            let view = StridedCopy.View(shape: tensor.shape, stride: tensor.stride, offset: tensor.storageOffset, itemSize: size)
            guard let count = view.elementCount, view.shape.count == view.stride.count else {
                throw .layout(offset: inspection.pickle.graph[leaf.node].offset, "\(leaf.path): shape \(tensor.shape) and stride \(tensor.stride) do not describe a tensor")
            }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: UInt64(size))
            guard !overflow else { throw .layout(offset: inspection.pickle.graph[leaf.node].offset, "\(leaf.path): shape \(tensor.shape) overflows") }
            if tensor.storage.location != "cpu" { locations[tensor.storage.location, default: 0] += 1 }
            let key = ViewKey(storage: tensor.storage.key, offset: tensor.storageOffset, shape: tensor.shape, stride: tensor.stride, dtype: tensor.dtype)
            groups[key, default: []].append(candidates.count)
            candidates.append(Tensor(name: name, path: leaf.path, dtype: dtype, itemSize: size, view: view,
                                     storageKey: tensor.storage.key, bytes: bytes))
        }
        var kept: Set<Int> = []
        for (_, members) in groups {
            let keeper = members.min { candidates[$0].name < candidates[$1].name }!
            kept.insert(keeper)
            for member in members where member != keeper { aliases[candidates[member].name] = candidates[keeper].name }
        }
        var names: [String: String] = [:]
        for (index, tensor) in candidates.enumerated() {
            if let other = names[tensor.name] {
                throw .unsupported("\(tensor.path) and \(other) would both be named \"\(tensor.name)\" in the output; pick one subtree with --key")
            }
            names[tensor.name] = tensor.path
            if kept.contains(index) { tensors.append(tensor) }
        }
        if !aliases.isEmpty {
            notes.append("\(aliases.count) tensor name(s) view the same data as another and were written once (safetensors forbids shared tensors); "
                         + "__metadata__ maps each to the name kept, as safetensors.torch.save_model does")
        }
        let byStorage = Dictionary(grouping: tensors, by: \.storageKey).filter { $0.value.count > 1 }
        for (_, views) in byStorage.sorted(by: { $0.key < $1.key }) {
            notes.append("\(views.map(\.name).sorted().joined(separator: ", ")) view one storage: each written as its own copy")
        }
        for (location, count) in locations.sorted(by: { $0.key < $1.key }) {
            notes.append("\(count) tensor(s) saved on \(location) written as CPU data (the bytes are the same)")
        }
    }
}

/// Hugging Face's sharding (huggingface_hub `split_torch_state_dict_into_shards`): tensors in
/// order, a new shard when the next would pass the limit (a tensor larger than the limit gets
/// a shard of its own), files `<stem>-00001-of-00003.safetensors` beside the output and
/// `<stem>.safetensors.index.json` mapping each tensor to its file. When everything fits in
/// one shard the output is written alone, without an index, as `save_pretrained` does.
struct ShardLayout {
    struct File {
        var path: String
        var names: [String]
    }

    private(set) var files: [File] = []
    private(set) var indexPath: String?
    private(set) var notes: [String] = []
    private let totalBytes: UInt64

    init(tensors: [(name: String, bytes: UInt64)], output: String, maximumBytes: UInt64?) {
        totalBytes = tensors.reduce(0) { $0 &+ $1.bytes }
        var groups: [[String]] = [[]]
        var current: UInt64 = 0
        if let limit = maximumBytes {
            for (name, bytes) in tensors {
                if !groups[groups.count - 1].isEmpty, current &+ bytes > limit {
                    groups.append([])
                    current = 0
                }
                groups[groups.count - 1].append(name)
                current &+= bytes
            }
        } else {
            groups = [tensors.map(\.name)]
        }
        guard groups.count > 1 else {
            files = [File(path: output, names: groups[0])]
            if maximumBytes != nil { notes.append("everything fits in one shard: \(output) written alone, without an index") }
            return
        }
        let (directory, stem) = Self.split(output)
        let width = max(5, String(groups.count).count)
        func number(_ value: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: width - text.count) + text
        }
        for (index, names) in groups.enumerated() {
            files.append(File(path: directory + "\(stem)-\(number(index + 1))-of-\(number(groups.count)).safetensors", names: names))
        }
        indexPath = directory + stem + ".safetensors.index.json"
    }

    /// The index as `save_pretrained` writes it: `json.dumps(index, indent=2, sort_keys=True)` and a newline.
    func indexJSON() -> [UInt8] {
        var map: [(String, String)] = []
        for file in files {
            let base = file.path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? file.path
            for name in file.names { map.append((name, base)) }
        }
        var out = Array("{\n  \"metadata\": {\n    \"total_size\": \(totalBytes)\n  },\n  \"weight_map\": {".utf8)
        for (index, (name, file)) in map.sorted(by: { $0.0 < $1.0 }).enumerated() {
            out += Array((index == 0 ? "\n    " : ",\n    ").utf8)
            SafetensorsHeader.appendString(name, to: &out)
            out += Array(": ".utf8)
            SafetensorsHeader.appendString(file, to: &out)
        }
        out += Array("\n  }\n}\n".utf8)
        return out
    }

    /// `dir/model.safetensors` → (`dir/`, `model`).
    static func split(_ output: String) -> (directory: String, stem: String) {
        var directory = "", base = Substring(output)
        if let slash = output.lastIndex(of: "/") {
            directory = String(output[...slash])
            base = output[output.index(after: slash)...]
        }
        let stem = base.hasSuffix(".safetensors") ? base.dropLast(".safetensors".count) : base
        return (directory, String(stem))
    }
}

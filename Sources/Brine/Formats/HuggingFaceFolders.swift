import BrineIO

/// A Hugging Face model folder found in a walked bundle: a folder with `config.json` beside
/// weights (safetensors shards with their index, `pytorch_model*.bin` pickles), read from
/// the members' content, never by loading anything.
public struct HuggingFaceModel: Codable, Sendable, Equatable {
    /// The folder's member path (`model.tar.gz!my-model`, or the directory).
    public var folder: String
    /// config.json `architectures`.
    public var architectures: [String] = []
    public var modelType: String?
    /// config.json `torch_dtype` (or `dtype`, transformers ≥ 4.56).
    public var torchDtype: String?
    /// safetensors files, sorted.
    public var shards: [String] = []
    public var index: String?
    /// Pickled weights (`pytorch_model*.bin`).
    public var pickledWeights: [String] = []
    public var tokenizerFiles: [String] = []
    public var weightBytes: UInt64 = 0
}

public enum HuggingFaceFolders {
    /// JSON members the analysis reads; the walker keeps their bytes (at most this many each).
    public static let maximumJSONBytes: UInt64 = 16 << 20

    public static func wantsJSON(_ path: String) -> Bool {
        let name = baseName(path)
        return name == "config.json" || name.hasSuffix(".safetensors.index.json")
    }

    static let tokenizerNames: Set<String> = [
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "vocab.txt", "merges.txt",
        "tokenizer.model", "spiece.model", "sentencepiece.bpe.model", "added_tokens.json", "generation_config.json",
    ]

    /// Every model folder under `root`, with findings: BR804 when an index and its shards
    /// disagree, BR805 when pickled weights ship beside safetensors. `json` holds the
    /// bytes of the members `wantsJSON` names; `tensors` the tensor names of each
    /// safetensors member, by member path.
    public static func analyze(_ root: BundleMember, json: [String: [UInt8]], tensors: [String: [String]]) -> (models: [HuggingFaceModel], findings: [Finding]) {
        var models: [HuggingFaceModel] = []
        var findings: [Finding] = []
        var folders: [String: [BundleMember]] = [:]
        for member in root.flattened() where member.kind != .directory && !member.isBundle || member.kind == .torch {
            folders[folderName(member.path), default: []].append(member)
        }
        for (folder, members) in folders.sorted(by: { $0.key < $1.key }) {
            guard let configMember = members.first(where: { baseName($0.path) == "config.json" }) else { continue }
            var model = HuggingFaceModel(folder: folder)
            if let bytes = json[configMember.path], let config = try? JSONParser.parse(bytes) {
                model.architectures = config["architectures"]?.arrayValue?.compactMap(\.stringValue) ?? []
                model.modelType = config["model_type"]?.stringValue
                model.torchDtype = config["torch_dtype"]?.stringValue ?? config["dtype"]?.stringValue
            }
            let safetensors = members.filter { $0.format == "safetensors" }
            model.shards = safetensors.map { baseName($0.path) }.sorted()
            model.pickledWeights = members.filter { ($0.kind == .pickle || $0.kind == .torch) && isPickledWeights(baseName($0.path)) }
                .map { baseName($0.path) }.sorted()
            model.tokenizerFiles = members.map { baseName($0.path) }.filter { tokenizerNames.contains($0) }.sorted()
            model.weightBytes = (safetensors + members.filter { model.pickledWeights.contains(baseName($0.path)) }).reduce(0) { $0 &+ $1.bytes }
            guard !model.shards.isEmpty || !model.pickledWeights.isEmpty else { continue }
            if let indexMember = members.first(where: { baseName($0.path).hasSuffix(".safetensors.index.json") }) {
                model.index = baseName(indexMember.path)
                findings += shardFindings(index: indexMember, bytes: json[indexMember.path], shards: safetensors, folder: folder, tensors: tensors)
            }
            if !safetensors.isEmpty {
                for bin in members where model.pickledWeights.contains(baseName(bin.path)) {
                    let finding = LayoutFinding(rule: "duplicate-weights", message:
                        "\(baseName(bin.path)) (\(ByteFormat.human(bin.bytes))) ships the weights a second time beside \(model.shards.joined(separator: ", ")); transformers loads the safetensors files: ship one")
                    findings.append(LayoutRules.finding(finding, file: bin.path))
                }
            }
            models.append(model)
        }
        return (models, findings)
    }

    private static func shardFindings(index: BundleMember, bytes: [UInt8]?, shards: [BundleMember], folder: String, tensors: [String: [String]]) -> [Finding] {
        var findings: [Finding] = []
        func add(_ message: String, name: String? = nil) {
            findings.append(LayoutRules.finding(LayoutFinding(rule: "shard-index", message: message, name: name), file: index.path))
        }
        guard let bytes, let document = try? JSONParser.parse(bytes), let weightMap = document["weight_map"]?.objectValue else {
            add("\(baseName(index.path)) has no readable weight_map object")
            return findings
        }
        var shardTensors: [String: Set<String>] = [:]
        var holders: [String: [String]] = [:]
        for shard in shards {
            let names = tensors[shard.path] ?? []
            shardTensors[baseName(shard.path)] = Set(names)
            for name in names { holders[name, default: []].append(baseName(shard.path)) }
        }
        var listed = Set<String>()
        for (weight, value) in weightMap {
            listed.insert(weight)
            guard let shard = value.stringValue else {
                add("weight '\(weight)' maps to \(value.summary), not a shard file name", name: weight)
                continue
            }
            guard let held = shardTensors[shard] else {
                add("weight '\(weight)' is mapped to \(shard), which is not in \(folder)", name: weight)
                continue
            }
            if !held.contains(weight) {
                let elsewhere = holders[weight].map { " (it is in \($0.joined(separator: ", ")))" } ?? " and no shard holds it"
                add("weight '\(weight)' is mapped to \(shard), which does not hold it\(elsewhere)", name: weight)
            }
        }
        for (weight, files) in holders.sorted(by: { $0.key < $1.key }) {
            if files.count > 1 { add("weight '\(weight)' is in \(files.count) shards: \(files.sorted().joined(separator: ", "))", name: weight) }
            if !listed.contains(weight) { add("weight '\(weight)' in \(files.sorted().joined(separator: ", ")) is not in the index's weight_map", name: weight) }
        }
        return findings
    }

    /// transformers' pickled weight names: pytorch_model.bin and its shards.
    static func isPickledWeights(_ name: String) -> Bool {
        name.hasPrefix("pytorch_model") && name.hasSuffix(".bin")
    }

    static func baseName(_ path: String) -> String {
        let cut = path.lastIndex { $0 == "/" || $0 == "!" }
        return cut.map { String(path[path.index(after: $0)...]) } ?? path
    }

    static func folderName(_ path: String) -> String {
        let cut = path.lastIndex { $0 == "/" || $0 == "!" }
        return cut.map { String(path[..<$0]) } ?? ""
    }
}

extension HuggingFaceFolders {
    /// `brine budget`'s view: in each folder of the measured files, transformers' pickled
    /// weights (`pytorch_model*.bin`, a pickle or PyTorch zip by content) beside safetensors
    /// files (by content) are the same weights twice. `files` are (name as budget shows it,
    /// path on disk, size).
    public static func duplicateWeights(_ files: [(name: String, diskPath: String, size: UInt64)]) -> [(name: String, bytes: UInt64, message: String)] {
        var folders: [String: [(name: String, diskPath: String, size: UInt64)]] = [:]
        for file in files { folders[folderName(file.name), default: []].append(file) }
        var out: [(name: String, bytes: UInt64, message: String)] = []
        for (_, members) in folders.sorted(by: { $0.key < $1.key }) {
            let safetensors = members.filter { $0.name.hasSuffix(".safetensors") && isSafetensors($0.diskPath) }
            guard !safetensors.isEmpty else { continue }
            for bin in members where isPickledWeights(baseName(bin.name)) && isPickleOrTorch(bin.diskPath) {
                out.append((bin.name, bin.size, "\(bin.name) (\(ByteFormat.human(bin.size))) ships the weights a second time beside "
                    + safetensors.map { baseName($0.name) }.sorted().joined(separator: ", ") + "; transformers loads the safetensors files: ship one"))
            }
        }
        return out
    }

    private static func head(_ path: String) -> [UInt8] {
        guard let file = try? FileSource(path: path) else { return [] }
        var bytes = [UInt8](repeating: 0, count: FormatSniffer.headLength)
        let got = bytes.withUnsafeMutableBytes { (try? file.read(at: 0, into: $0)) ?? 0 }
        return Array(bytes[..<got])
    }

    static func isSafetensors(_ path: String) -> Bool {
        guard let size = (try? FileSource(path: path))?.knownLength else { return false }
        return FormatSniffer.isSafetensors(head(path), size: size)
    }

    static func isPickleOrTorch(_ path: String) -> Bool {
        let bytes = head(path)
        return bytes.count >= 2 && (bytes[0] == 0x80 || (bytes[0] == 0x50 && bytes[1] == 0x4B))
    }
}

import BrineIO

/// `brine inspect BUNDLE` as text: the member tree with stored and uncompressed sizes, the
/// tar overhead that makes the members add up to the stream, then each artifact's report
/// as `brine inspect` prints it for a single file.
public struct BundleTextRenderer {
    public var artifact: TextRenderer

    public init(artifact: TextRenderer) {
        self.artifact = artifact
    }

    public func render(_ report: BundleReport) -> String {
        let root = report.root
        var out = "\(report.file): \(summary(root))\n\n"
        out += pad("STORED", 10) + "  " + pad("UNCOMPRESSED", 12) + "  " + "KIND".padding(18) + "  MEMBER\n"
        renderMember(root, bundle: report.file, depth: 0, into: &out)
        for model in report.huggingFace ?? [] { out += "\n" + huggingFace(model) }
        for member in root.flattened() {
            guard let artifactReport = member.report else { continue }
            out += "\n" + artifact.render(artifactReport)
        }
        return out
    }

    /// `Hugging Face model tiny-llama: LlamaForCausalLM (llama), float32, 2 safetensors shards …`.
    private func huggingFace(_ model: HuggingFaceModel) -> String {
        var parts: [String] = []
        if !model.architectures.isEmpty { parts.append(model.architectures.joined(separator: ", ") + (model.modelType.map { " (\($0))" } ?? "")) }
        if let dtype = model.torchDtype { parts.append(dtype) }
        if !model.shards.isEmpty {
            parts.append("\(model.shards.count) safetensors file\(model.shards.count == 1 ? "" : "s")" + (model.index.map { " with \($0)" } ?? ""))
        }
        if !model.pickledWeights.isEmpty { parts.append("pickled weights " + model.pickledWeights.joined(separator: ", ")) }
        parts.append("\(ByteFormat.human(model.weightBytes)) of weights")
        if !model.tokenizerFiles.isEmpty { parts.append("tokenizer: " + model.tokenizerFiles.joined(separator: ", ")) }
        return "Hugging Face model \(model.folder.isEmpty ? "(root)" : model.folder): " + parts.joined(separator: ", ") + "\n"
    }

    private func renderMember(_ member: BundleMember, bundle: String, depth: Int, into out: inout String) {
        out += row(member, name: depth == 0 ? bundle : member.name(relativeTo: bundle), depth: depth)
        for child in member.children { renderMember(child, bundle: bundle, depth: depth + 1, into: &out) }
        if let overhead = member.overheadBytes, overhead > 0 {
            out += pad(ByteFormat.human(overhead), 10) + "  " + pad("", 12) + "  " + "".padding(18) + "  "
            out += String(repeating: "  ", count: depth + 1) + "(tar headers, block padding, end-of-archive blocks)\n"
        }
    }

    private func row(_ member: BundleMember, name: String, depth: Int) -> String {
        let indent = String(repeating: "  ", count: depth)
        var text = pad(ByteFormat.human(member.storedBytes), 10) + "  " + pad(ByteFormat.human(member.bytes), 12) + "  "
        text += kind(member).padding(18) + "  " + indent + name
        if let note = member.note { text += "  (\(note))" }
        if member.unsafePath == true { text += "  [unsafe path]" }
        return text + "\n"
    }

    private func kind(_ member: BundleMember) -> String {
        var text = member.format ?? member.kind.rawValue
        if let compression = member.compression { text += " (\(CompressionFormat.displayName(compression)))" }
        return text
    }

    private func summary(_ root: BundleMember) -> String {
        let files = root.flattened().filter { $0.kind != .directory && !$0.isBundleContainer }.count
        let artifacts = root.flattened().filter { $0.isArtifact }.count
        var parts = [root.kind == .directory ? "directory" : "\(root.kind.rawValue) bundle"]
        if let compression = root.compression { parts.append(CompressionFormat.compressedPhrase(compression)) }
        parts.append("\(ByteFormat.human(root.storedBytes)) stored")
        if let archive = root.archiveBytes {
            parts.append("\(ByteFormat.human(archive)) \(root.kind.rawValue) stream")
        }
        parts.append("\(ByteFormat.human(root.bytes)) of members uncompressed")
        parts.append("\(files) file\(files == 1 ? "" : "s"), \(artifacts) artifact\(artifacts == 1 ? "" : "s")")
        return parts.joined(separator: ", ")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}

extension BundleMember {
    /// A directory or an archive walked into (a PyTorch zip is an artifact, not a container here).
    public var isBundleContainer: Bool { kind == .directory || kind == .tar || kind == .zip }
}

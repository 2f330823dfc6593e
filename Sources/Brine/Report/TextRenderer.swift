import BrineIO

/// `brine inspect`'s readable tree, in the manner of `du` and bloaty: sizes, share of the
/// stream, a bar, estimated memory, then the path and what the object is.
public struct TextRenderer {
    public var maximumDepth: Int
    public var topChildren: Int
    public var colour: Bool
    /// Children smaller than this share of the stream are counted in the `[N more …]` line
    /// instead of shown: the default view answers "what is big".
    public var minimumShare: Double
    /// Whether `__reduce_args__` and `__setstate__` (how an object is rebuilt, not what it
    /// holds) get lines of their own; their bytes are in their object's line either way.
    public var showsInternals: Bool

    public init(maximumDepth: Int = 6, topChildren: Int = 10, colour: Bool = false, minimumShare: Double = 0, showsInternals: Bool = true) {
        self.maximumDepth = maximumDepth
        self.topChildren = topChildren
        self.colour = colour
        self.minimumShare = minimumShare
        self.showsInternals = showsInternals
    }

    /// `brine inspect` without `--depth`: six levels, parts of at least 0.5 %, no internals.
    public static func summary(topChildren: Int = 10, colour: Bool = false) -> TextRenderer {
        TextRenderer(maximumDepth: 6, topChildren: topChildren, colour: colour, minimumShare: 0.005, showsInternals: false)
    }

    public func render(_ report: InspectReport) -> String {
        var out = header(report)
        out += "\n" + pad("FILE", 10) + " " + pad("SHARE", 6) + "  " + "".padding(20) + "  " + pad("MEMORY", 10) + "  WHAT\n"
        renderNode(report.root, depth: 0, total: report.streamBytes, into: &out)
        if let torch = report.torch {
            out += torchOverhead(torch.overhead, total: report.streamBytes)
        } else if report.overheadBytes > 0, report.layout == nil {
            out += line(bytes: report.overheadBytes, memory: nil, total: report.streamBytes, depth: 0,
                        text: "(pickle framing: PROTO, FRAME, STOP)")
        }
        if !report.trainingOnly.isEmpty {
            let saving = report.trainingOnly.reduce(0) { $0 &+ $1.saving }
            out += "\nTraining-only attributes (not used for prediction): \(ByteFormat.human(saving)) could go, "
            out += "\(ByteFormat.percent(saving, of: report.streamBytes)) of the stream.\n"
            for finding in report.trainingOnly {
                out += "  \(finding.path): \(ByteFormat.human(finding.saving)) - \(finding.reason)\n"
            }
            let preset = report.torch == nil ? "deploy" : "torch-inference"
            out += "Remove them with: brine strip --preset \(preset) \(report.file) -o OUTPUT (sources: docs/strip-rules.md)\n"
        }
        return out
    }

    private func torchOverhead(_ overhead: TorchOverhead, total: UInt64) -> String {
        let parts: [(UInt64, String)] = [
            (overhead.zipStructure, "(zip headers, alignment padding, central directory)"),
            (overhead.metadataRecords, "(records: byteorder, version, serialization id, ...)"),
            (overhead.code, "(TorchScript code and constants)"),
            (overhead.unreferencedStorages, "(storages no tensor refers to)"),
            (overhead.legacyHeaders, "(legacy headers: magic, protocol, sys info, storage keys and counts)"),
            (overhead.pickle, "(pickle framing: PROTO, FRAME, STOP)"),
        ]
        return parts.filter { $0.0 > 0 }.map { line(bytes: $0.0, memory: nil, total: total, depth: 0, text: $0.1) }.joined()
    }

    private func header(_ report: InspectReport) -> String {
        if let layout = report.layout {
            // Headers and regions are in the tree; facts are what the file says it is.
            var parts = [layout.format, ByteFormat.human(layout.fileBytes), "\(layout.tensors.count) tensors (\(LayoutTensorTable.dataPhrase(layout)))"]
            parts += layout.facts.sorted { $0.key < $1.key }.filter { $0.key != "tensors" }.map { "\($0.key) \($0.value)" }
            // Facts quote the file (architecture, producer): one line whatever they hold.
            var text = "\(report.file): " + escapingControlCharacters(parts.joined(separator: ", ")) + "\n"
            if !layout.findings.isEmpty {
                text += "\(layout.findings.count) \(layout.findings.count == 1 ? "problem" : "problems") found: brine check \(report.file) explains \(layout.findings.count == 1 ? "it" : "them")\n"
            }
            return text
        }
        var parts = [report.format]
        if let compression = report.compression {
            parts.append("\(CompressionFormat.compressedPhrase(compression)), \(ByteFormat.human(report.fileBytes)) on disk, \(ByteFormat.human(report.streamBytes)) uncompressed")
        } else {
            parts.append(ByteFormat.human(report.fileBytes))
        }
        parts.append("protocol \(report.protocol_)")
        if report.pickles > 1 { parts.append("\(report.pickles) pickles") }
        parts.append("~\(ByteFormat.human(report.memoryBytes)) in memory once loaded")
        return "\(report.file): " + parts.joined(separator: ", ") + "\n"
    }

    private func renderNode(_ node: ReportNode, depth: Int, total: UInt64, into out: inout String) {
        out += line(bytes: node.bytes, memory: node.memory, total: total, depth: depth, text: describe(node, isRoot: depth == 0),
                    highlight: node.trainingOnly != nil)
        guard depth < maximumDepth else { return }
        let threshold = UInt64((Double(total) * minimumShare).rounded(.up))
        let visible = node.children.filter { child in
            showsInternals || !(child.path.hasSuffix(".__reduce_args__") || child.path.hasSuffix(".__setstate__"))
        }
        let large = visible.filter { $0.bytes >= threshold }
        let shown = large.prefix(topChildren)
        for child in shown { renderNode(child, depth: depth + 1, total: total, into: &out) }
        // Internals are left out without a line; small parts are counted in the summary line.
        let hidden = large.dropFirst(topChildren) + visible.filter { $0.bytes < threshold }
        var otherCount = UInt64(hidden.count), otherBytes = hidden.reduce(0) { $0 &+ $1.bytes }
        var otherMemory = hidden.reduce(0) { $0 &+ $1.memory }
        // The kinds listed add up to the count: hidden children by their type, then what the
        // report summarised without a node of its own.
        var kinds: [String: UInt64] = [:]
        if let other = node.other, !(node.children.isEmpty && node.elements != nil) {
            otherCount &+= other.count
            otherBytes &+= other.bytes
            otherMemory &+= other.memory
            kinds = other.elements
        }
        for child in hidden {
            let type = child.type.split(separator: ".").last.map(String.init) ?? child.type
            kinds[type, default: 0] &+= 1
        }
        if otherCount > 0 {
            let listed = kinds.isEmpty ? "" : ": " + elementList(kinds)
            out += line(bytes: otherBytes, memory: otherMemory, total: total, depth: depth + 1,
                        text: "[\(ByteFormat.grouped(otherCount)) more\(listed)]")
        }
    }

    private func describe(_ node: ReportNode, isRoot: Bool) -> String {
        let name = isRoot ? "(root)" : node.path
        var text = name + "  " + shortType(node.type)
        if let array = node.array {
            text += " " + array.dtype + " " + shape(array.shape)
        } else if let count = node.count {
            text += " of " + ByteFormat.grouped(count)
            if let elements = node.elements {
                text += elements.count == 1 ? " " + elements.keys.first! : " (" + elementList(elements) + ")"
            }
        }
        if let tensor = node.tensor {
            if tensor.location != "cpu" { text += " on " + tensor.location }
            if let first = tensor.sharesStorageWith { text += "  (view of the storage of \(first))" }
        }
        if let value = node.value { text += " = " + value }
        if node.reference == true { text += "  (reference to an object shown elsewhere)" }
        if node.shared == true { text += "  (shared)" }
        if let finding = node.trainingOnly { text += "  [training-only: strip saves \(ByteFormat.human(finding.saving))]" }
        return text
    }

    private func line(bytes: UInt64, memory: UInt64?, total: UInt64, depth: Int, text: String, highlight: Bool = false) -> String {
        let memoryText = memory.map { ByteFormat.human($0) } ?? ""
        var row = pad(ByteFormat.human(bytes), 10) + " " + pad(ByteFormat.percent(bytes, of: total), 6) + "  "
        row += Self.bar(bytes, of: total, width: 20) + "  " + pad(memoryText, 10) + "  "
        row += String(repeating: "  ", count: depth) + text
        if colour && highlight { row = "\u{1B}[33m" + row + "\u{1B}[0m" }
        return row + "\n"
    }

    /// A bar of eighth blocks, `width` cells for 100 %.
    static func bar(_ part: UInt64, of whole: UInt64, width: Int) -> String {
        guard whole > 0 else { return "".padding(width) }
        let eighths = Int((Double(part) / Double(whole) * Double(width * 8)).rounded())
        let full = min(width, eighths / 8)
        var bar = String(repeating: "█", count: full)
        let partial = eighths % 8
        if full < width, partial > 0 { bar.append(["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][partial]) }
        return bar.padding(width)
    }

    private func shortType(_ type: String) -> String {
        guard let dot = type.lastIndex(of: ".") else { return type }
        return String(type[type.index(after: dot)...]) + " (" + type + ")"
    }

    private func shape(_ dimensions: [Int64]) -> String {
        dimensions.count == 1 ? "(\(dimensions[0]),)" : "(" + dimensions.map(String.init).joined(separator: ", ") + ")"
    }

    private func elementList(_ elements: [String: UInt64]) -> String {
        elements.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.key) \(ByteFormat.grouped($0.value))" }.joined(separator: ", ")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}

extension String {
    /// Right-pads with blanks to `width` characters.
    func padding(_ width: Int) -> String {
        self + String(repeating: " ", count: max(0, width - count))
    }
}

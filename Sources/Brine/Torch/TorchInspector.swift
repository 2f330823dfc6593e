import BrineIO

/// Entry point for PyTorch files: detects the format by content, reads the container,
/// replays the main pickle with tensors recognised, and charges each storage's bytes to
/// the first tensor that uses it.
public enum TorchInspector {
    /// Legacy files start with the pickled magic number 0x1950a86a20f9469cfc6c (LONG1, 10 bytes).
    static let legacyMagic: [UInt8] = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]
    /// The same number at protocols 0 and 1: a decimal LONG line.
    static let legacyTextMagic = Array("L119547037146038801333356L\n".utf8)

    /// The PyTorch format of the file at `path`, judged by content: a zip with a `data.pkl`
    /// record, or a pickle starting with the legacy magic number. nil for anything else.
    public static func detect(path: String) throws(InputError) -> TorchFormat? {
        let file = try FileSource(path: path)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 1)
        defer { buffer.deallocate() }
        let got = try file.read(at: 0, into: buffer)
        let head = Array(buffer[..<got])
        if head.count >= 14, head[0] == 0x80, Array(head[2..<14]) == legacyMagic { return .legacy }
        // Protocols 4 and 5 put a FRAME (9 bytes) before it.
        if head.count >= 23, head[0] == 0x80, head[2] == 0x95, Array(head[11..<23]) == legacyMagic { return .legacy }
        if head.starts(with: legacyTextMagic) { return .legacy }
        let isZip = head.withUnsafeBytes { ZipArchive.looksLikeZip($0) }
        guard isZip else { return nil }
        // A damaged zip is reported by the zip reader, with its offset, rather than as "not a pickle".
        guard let archive = try? ZipArchive(source: file) else { return .zip }
        guard let main = mainPickle(in: archive.entries) else { return nil }
        let prefix = String(main.name.dropLast("data.pkl".count))
        let isScript = archive.entries.contains { $0.name == prefix + "constants.pkl" || $0.name.hasPrefix(prefix + "code/") }
        return isScript ? .torchscript : .zip
    }

    /// `<prefix>/data.pkl` at the top folder (PyTorch names the folder after the file, but
    /// any name is valid); the shortest such name wins.
    static func mainPickle(in entries: [ZipEntry]) -> ZipEntry? {
        guard let name = mainPickle(in: entries.map(\.name)) else { return nil }
        return entries.first { $0.name == name }
    }

    static func mainPickle(in names: [String]) -> String? {
        names.filter { name in
            guard name.hasSuffix("data.pkl") else { return false }
            let folder = name.dropLast("data.pkl".count)
            return folder.isEmpty || (folder.hasSuffix("/") && !folder.dropLast().contains("/"))
        }.min { $0.count < $1.count }
    }

    public static func inspect(
        path: String, options: InspectOptions = InspectOptions(), zipLimits: ZipLimits = .default,
        decompression: DecompressionLimits = .default, maximumWindow: Int = 64 << 20
    ) throws(TorchError) -> TorchInspection {
        let format: TorchFormat?
        do { format = try detect(path: path) } catch { throw .pickle(record: nil, PickleError(error)) }
        guard let format else { throw .layout(offset: 0, "neither a PyTorch zip (no data.pkl record) nor a legacy torch.save file") }
        var options = options
        options.recognizesTorch = true
        // Every tensor must keep its name: state dicts hold thousands of entries.
        options.keptEdgesPerNode = max(options.keptEdgesPerNode, 1 << 16)
        let file: FileSource
        do { file = try FileSource(path: path) } catch { throw .pickle(record: nil, PickleError(error)) }
        switch format {
        case .legacy:
            return try LegacyTorchReader(file: file, path: path, options: options, maximumWindow: maximumWindow).read()
        case .zip, .torchscript:
            return try readZip(file: file, path: path, format: format, options: options, zipLimits: zipLimits,
                               decompression: decompression, maximumWindow: maximumWindow)
        }
    }

    private static func readZip(
        file: FileSource, path: String, format: TorchFormat, options: InspectOptions, zipLimits: ZipLimits,
        decompression: DecompressionLimits, maximumWindow: Int
    ) throws(TorchError) -> TorchInspection {
        let archive: ZipArchive
        do { archive = try ZipArchive(source: file, limits: zipLimits) } catch { throw .zip(error) }
        guard let main = mainPickle(in: archive.entries) else { throw .layout(offset: 0, "no data.pkl record") }
        let prefix = String(main.name.dropLast("data.pkl".count))
        let pickle = try inspectRecord(main, in: archive, path: path, options: options, decompression: decompression, maximumWindow: maximumWindow)
        if format == .torchscript, let constants = archive.entry(named: prefix + "constants.pkl") {
            // Sized and checked: it must be a readable pickle.
            _ = try inspectRecord(constants, in: archive, path: path, options: options, decompression: decompression, maximumWindow: maximumWindow)
        }
        let metadata = try readMetadata(archive, prefix: prefix)
        if let order = metadata["byteorder"], order != "little", order != "big" {
            throw .layout(offset: archive.entry(named: prefix + "byteorder")?.dataOffset ?? 0, "byteorder record says \"\(order)\", expected little or big")
        }
        var storageBytes: [String: UInt64] = [:]
        for entry in archive.entries where entry.name.hasPrefix(prefix + "data/") {
            storageBytes[String(entry.name.dropFirst(prefix.count + 5))] = entry.uncompressedSize
        }
        let (tensors, facts) = try TorchTensorList.collect(pickle, storageBytes: storageBytes)
        let used = Set(tensors.map(\.storageKey))
        for tensor in tensors where tensor.chargedBytes > 0 {
            guard let entry = archive.entry(named: prefix + "data/" + tensor.storageKey), entry.method == ZipEntry.stored else {
                throw .layout(offset: 0, "storage record data/\(tensor.storageKey) of \(tensor.path) is missing or compressed")
            }
        }

        var overhead = TorchOverhead()
        overhead.pickle = pickle.overheadBytes
        var records: [TorchRecord] = []
        var membersBytes: UInt64 = 0
        for entry in archive.entries {
            let header = UInt64(entry.localRange.count) - entry.compressedSize
            membersBytes &+= UInt64(entry.localRange.count)
            overhead.zipStructure &+= header &+ entry.centralBytes
            let relative = entry.name.hasPrefix(prefix) ? String(entry.name.dropFirst(prefix.count)) : entry.name
            let kind: String
            if entry == main {
                kind = "pickle"
            } else if relative.hasPrefix("data/") {
                kind = used.contains(String(relative.dropFirst(5))) ? "storage" : "unreferenced storage"
                if kind != "storage" { overhead.unreferencedStorages &+= entry.compressedSize }
            } else if relative.hasPrefix("code/") || relative == "constants.pkl" || relative.hasPrefix("constants/") {
                kind = "code"
                overhead.code &+= entry.compressedSize
            } else {
                kind = "metadata"
                overhead.metadataRecords &+= entry.compressedSize
            }
            records.append(TorchRecord(name: entry.name, kind: kind, offset: entry.headerOffset, dataBytes: entry.compressedSize, headerBytes: header))
        }
        // Bytes outside every member and the central directory (gaps, prepended data) and the end records.
        let central = UInt64(archive.centralDirectoryRange.count) - archive.entries.reduce(0) { $0 &+ $1.centralBytes }
        overhead.zipStructure &+= central &+ UInt64(archive.endRecordsRange.count)
        overhead.zipStructure &+= (file.knownLength ?? 0) &- membersBytes &- UInt64(archive.centralDirectoryRange.count) &- UInt64(archive.endRecordsRange.count)

        var inspection = TorchInspection(
            format: format, path: path, fileBytes: file.knownLength ?? 0, pickle: pickle, prefix: prefix, tensors: tensors,
            records: records, metadata: metadata, overhead: overhead, storageBytes: storageBytes, tensorNodes: facts, entries: archive.entries,
            legacyStorages: [:], legacyKeysOffset: nil, legacyMainPickleRange: nil)
        if format == .torchscript { inspection.scriptStateNames = try scriptStateNames(archive, prefix: prefix) }
        if main.method == ZipEntry.deflated {
            // The pickle's bytes are counted uncompressed in the tree; the compressed ones are not overhead.
            inspection.pickleInflation = pickle.streamBytes &- min(pickle.streamBytes, main.compressedSize)
            let excess = main.compressedSize &- min(pickle.streamBytes, main.compressedSize)
            inspection.overhead.zipStructure &+= excess
        }
        return inspection
    }

    /// A TorchScript source file larger than this is not read for its class declarations.
    static let maximumScriptSourceBytes: UInt64 = 16 << 20

    /// The `__parameters__` and `__buffers__` of every class in the archive's `code/` sources
    /// (`code/__torch__/vad/model.py` declares `__torch__.vad.model.<Class>`), as
    /// `torch.jit.save` writes them: `class VADRNNJIT(Module):` then, indented,
    /// `__parameters__ = ["weight", ]` and `__buffers__ = [...]`.
    static func scriptStateNames(_ archive: ZipArchive, prefix: String) throws(TorchError) -> [String: Set<String>] {
        var names: [String: Set<String>] = [:]
        let root = prefix + "code/"
        for entry in archive.entries where entry.name.hasPrefix(root) && entry.name.hasSuffix(".py") {
            guard entry.uncompressedSize <= maximumScriptSourceBytes else { continue }
            let source: ByteSource
            do { source = try archive.open(entry) } catch { throw .zip(error) }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(entry.uncompressedSize), alignment: 1)
            defer { buffer.deallocate() }
            let got: Int
            do { got = try source.readFully(into: buffer) } catch { throw .zip(ZipError(offset: entry.dataOffset, reason: .input(error))) }
            let module = String(entry.name.dropFirst(root.count).dropLast(3)).replacing("/", with: ".")
            var current: String?
            for line in String(decoding: buffer[..<got], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true) {
                if line.hasPrefix("class "), let open = line.firstIndex(where: { $0 == "(" || $0 == ":" }) {
                    let name = module + "." + line[line.index(line.startIndex, offsetBy: 6)..<open].filter { $0 != " " }
                    current = name
                    names[name, default: []] = names[name] ?? []
                    continue
                }
                guard line.first == " " else { current = nil; continue }
                guard let current else { continue }
                let text = line.drop { $0 == " " }
                guard text.hasPrefix("__parameters__ =") || text.hasPrefix("__buffers__ =") else { continue }
                // The quoted names of the list literal.
                for (index, part) in text.split(separator: "\"", omittingEmptySubsequences: false).enumerated() where index % 2 == 1 {
                    names[current, default: []].insert(String(part))
                }
            }
        }
        return names
    }

    /// The short text records PyTorch writes next to data.pkl, read whole (each at most 256 bytes).
    static func readMetadata(_ archive: ZipArchive, prefix: String) throws(TorchError) -> [String: String] {
        var metadata: [String: String] = [:]
        for name in ["byteorder", "version", ".format_version", ".storage_alignment", ".data/serialization_id", ".data/version"] {
            guard let entry = archive.entry(named: prefix + name), entry.uncompressedSize <= 256 else { continue }
            let source: ByteSource
            do { source = try archive.open(entry) } catch { throw .zip(error) }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 1)
            defer { buffer.deallocate() }
            let got: Int
            do { got = try source.readFully(into: buffer) } catch { throw .zip(ZipError(offset: entry.dataOffset, reason: .input(error))) }
            let text = String(decoding: buffer[..<got], as: UTF8.self)
            metadata[name] = text.hasSuffix("\n") ? String(text.dropLast()) : text
        }
        return metadata
    }

    static func inspectRecord(
        _ entry: ZipEntry, in archive: ZipArchive, path: String, options: InspectOptions, decompression: DecompressionLimits,
        maximumWindow: Int
    ) throws(TorchError) -> Inspection {
        let source: ByteSource
        do { source = try archive.open(entry, limits: decompression) } catch { throw .zip(error) }
        do {
            return try Inspector.inspect(source: source, name: path, fileBytes: archive.fileSize, options: options, maximumWindow: maximumWindow)
        } catch {
            throw .pickle(record: entry.name, error)
        }
    }
}

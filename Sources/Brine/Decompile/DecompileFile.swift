import BrineIO

/// A `--member` that names nothing decompile can show: not in the file (a usage error,
/// with the members the file does hold), or a record that is no pickle.
public enum DecompileError: Error, Sendable, CustomStringConvertible {
    case unknownMember(String)
    case notAPickle(String)

    public var description: String {
        switch self {
        case .unknownMember(let message), .notAPickle(let message): return message
        }
    }
}

/// Entry point of `brine decompile`: finds the pickles of a file by content (a plain or
/// compressed pickle/joblib stream, PyTorch's `data.pkl` or the record `member` names, the
/// legacy torch.save pickles) and renders them. `name` is what the header calls the file
/// (a bundle member's scratch copy is named after the member).
public enum DecompileFile {
    public static func decompile(
        path: String, name: String? = nil, member: String? = nil, options: DecompileOptions,
        decompression: DecompressionLimits = .default, zipLimits: ZipLimits = .default, maximumWindow: Int = 64 << 20
    ) throws -> String {
        let name = name ?? path
        let format = try TorchInspector.detect(path: path)
        if let member, format != .zip, format != .torchscript {
            throw DecompileError.unknownMember("\(name): --member \(member): not a bundle or a PyTorch zip; give the file alone")
        }
        switch format {
        case .zip?, .torchscript?:
            return try torchZip(path: path, name: name, record: member, format: format!, options: options, decompression: decompression,
                                zipLimits: zipLimits, maximumWindow: maximumWindow)
        case .legacy?:
            let reader = PickleReader(source: try FileSource(path: path), maximumWindow: maximumWindow)
            let decompiler = Decompiler(reader: reader, options: options)
            // Magic number, protocol version, sys info, the object, the storage keys; then raw storages.
            do {
                for _ in 0..<5 {
                    decompiler.pickles += 1
                    decompiler.body += "\n# pickle \(decompiler.pickles), at offset \(reader.offset)\n"
                    decompiler.roots.append(try decompiler.runPickle())
                }
            } catch {
                throw TorchError.pickle(record: nil, error)
            }
            return decompiler.render(header: header(name: name, what: "PyTorch legacy torch.save file (the raw storages after its five pickles are not shown)",
                                                    decompiler: decompiler))
        case nil:
            let stream = try ArtifactStream.open(path: path, limits: decompression)
            let reader = PickleReader(source: stream.source, maximumWindow: maximumWindow)
            let decompiler = Decompiler(reader: reader, options: options)
            try decompiler.decompileAll()
            var what = decompiler.isJoblib ? "joblib file" : "pickle"
            if let codec = stream.compression { what += ", " + CompressionFormat.compressedPhrase(codec.rawValue) }
            return decompiler.render(header: header(name: name, what: what, decompiler: decompiler))
        }
    }

    /// `data.pkl`, or the pickle record `record` names (TorchScript's `constants.pkl`, …).
    private static func torchZip(
        path: String, name: String, record: String?, format: TorchFormat, options: DecompileOptions, decompression: DecompressionLimits,
        zipLimits: ZipLimits, maximumWindow: Int
    ) throws -> String {
        let archive: ZipArchive
        do { archive = try ZipArchive(source: try FileSource(path: path), limits: zipLimits) } catch let error as ZipError { throw TorchError.zip(error) }
        let main = TorchInspector.mainPickle(in: archive.entries)
        let entry: ZipEntry
        if let record {
            guard let named = archive.entry(named: record) else {
                throw DecompileError.unknownMember("\(name): no member \(record); it holds \(archive.entries.map(\.name).joined(separator: ", "))")
            }
            let prefix = main.map { String($0.name.dropLast("data.pkl".count)) } ?? ""
            if !prefix.isEmpty, named.name.hasPrefix(prefix + "data/") {
                throw DecompileError.notAPickle("\(name)!\(named.name): a tensor storage record (\(named.uncompressedSize) bytes of raw data), not a pickle")
            }
            entry = named
        } else {
            guard let main else { throw TorchError.layout(offset: 0, "no data.pkl record") }
            entry = main
        }
        let source: ByteSource
        do { source = try archive.open(entry, limits: decompression) } catch { throw TorchError.zip(error) }
        let decompiler = Decompiler(reader: PickleReader(source: source, maximumWindow: maximumWindow), options: options)
        do { try decompiler.decompileAll() } catch { throw TorchError.pickle(record: entry.name, error) }
        let what = "PyTorch \(format.rawValue) file, record \(entry.name)"
        let note = "# persistent_load is torch.load's: it returns the storage in record data/<key> of the archive.\n"
        return decompiler.render(header: header(name: name, what: what, decompiler: decompiler) + note)
    }

    static func header(name: String, what: String, decompiler: Decompiler) -> String {
        let shown = escapingControlCharacters(name)
        return """
            # brine decompile \(shown): \(what), protocol \(max(decompiler.highestProtocol, 0)).
            # What unpickling it does, as Python; nothing in it was imported or run.

            """
    }
}

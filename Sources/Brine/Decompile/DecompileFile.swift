import BrineIO

/// Entry point of `brine decompile`: finds the pickles of a file by content (a plain or
/// compressed pickle/joblib stream, PyTorch's `data.pkl`, the legacy torch.save pickles)
/// and renders them.
public enum DecompileFile {
    public static func decompile(
        path: String, options: DecompileOptions, decompression: DecompressionLimits = .default, zipLimits: ZipLimits = .default,
        maximumWindow: Int = 64 << 20
    ) throws -> String {
        let format: TorchFormat?
        do { format = try TorchInspector.detect(path: path) } catch { throw error }
        switch format {
        case .zip?, .torchscript?:
            return try torchZip(path: path, format: format!, options: options, decompression: decompression, zipLimits: zipLimits,
                                maximumWindow: maximumWindow)
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
            return decompiler.render(header: header(path: path, what: "PyTorch legacy torch.save file (the raw storages after its five pickles are not shown)",
                                                    decompiler: decompiler))
        case nil:
            let stream = try ArtifactStream.open(path: path, limits: decompression)
            let reader = PickleReader(source: stream.source, maximumWindow: maximumWindow)
            let decompiler = Decompiler(reader: reader, options: options)
            try decompiler.decompileAll()
            var what = decompiler.isJoblib ? "joblib file" : "pickle"
            if let codec = stream.compression { what += ", \(codec.rawValue)-compressed" }
            return decompiler.render(header: header(path: path, what: what, decompiler: decompiler))
        }
    }

    private static func torchZip(
        path: String, format: TorchFormat, options: DecompileOptions, decompression: DecompressionLimits, zipLimits: ZipLimits,
        maximumWindow: Int
    ) throws -> String {
        let archive: ZipArchive
        do { archive = try ZipArchive(source: try FileSource(path: path), limits: zipLimits) } catch let error as ZipError { throw TorchError.zip(error) }
        guard let main = TorchInspector.mainPickle(in: archive.entries) else { throw TorchError.layout(offset: 0, "no data.pkl record") }
        let source: ByteSource
        do { source = try archive.open(main, limits: decompression) } catch { throw TorchError.zip(error) }
        let decompiler = Decompiler(reader: PickleReader(source: source, maximumWindow: maximumWindow), options: options)
        do { try decompiler.decompileAll() } catch { throw TorchError.pickle(record: main.name, error) }
        let what = "PyTorch \(format.rawValue) file, record \(main.name)"
        let note = "# persistent_load is torch.load's: it returns the storage in record data/<key> of the archive.\n"
        return decompiler.render(header: header(path: path, what: what, decompiler: decompiler) + note)
    }

    static func header(path: String, what: String, decompiler: Decompiler) -> String {
        let shown = escapingControlCharacters(path)
        return """
            # brine decompile \(shown): \(what), protocol \(max(decompiler.highestProtocol, 0)).
            # What unpickling it does, as Python; nothing in it was imported or run.

            """
    }
}

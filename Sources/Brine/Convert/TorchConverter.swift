import BrineIO

/// `brine convert` of a PyTorch file (zip, legacy, TorchScript) to safetensors: the plan
/// from the inspection, then each tensor's bytes streamed from its storage record into the
/// output (one file, or Hugging Face shards and their index), all written atomically.
/// The input's SHA-256 is computed on a second thread while the data is copied and written
/// into the finished headers before anything is renamed into place.
public enum TorchConverter {
    public static func convert(input: String, output: String, displayName: String, options: ConvertOptions) throws(ConvertError) -> ConvertResult {
        let digest = BackgroundThread { () -> Result<String, InputError> in
            do throws(InputError) { return .success(try SHA256Digest.file(input)) } catch { return .failure(error) }
        }
        // Joined on every path: the thread reads the input until it is done.
        do throws(ConvertError) { return try convert(input: input, output: output, displayName: displayName, options: options, digest: digest) } catch {
            _ = digest.join()
            throw error
        }
    }

    private static func convert(input: String, output: String, displayName: String, options: ConvertOptions,
                                digest: BackgroundThread<Result<String, InputError>>) throws(ConvertError) -> ConvertResult {
        var inspect = options.inspect
        inspect.recordsReferences = true
        let inspection: TorchInspection
        do {
            inspection = try TorchInspector.inspect(path: input, options: inspect, zipLimits: options.zip,
                                                    decompression: options.decompression, maximumWindow: options.maximumWindow)
        } catch { throw .torch(error) }
        let unsafe = try UnsafeInputGate.check(ArtifactFacts(file: displayName, torch: inspection), options: options)
        let plan = try TorchConvertPlan(inspection, key: options.key)
        if options.strict, !plan.dropped.isEmpty { throw .strictDropped(plan.dropped) }
        guard !plan.tensors.isEmpty else { throw .nothingToConvert("no tensor \(options.key.map { "under \($0)" } ?? "in the file") that safetensors can hold") }
        if inspection.metadata["byteorder"] == "big" {
            throw .unsupported("the file's storages are big-endian (byteorder record); safetensors data is little-endian and Brine does not swap bytes")
        }
        let storages = try storageLocations(inspection, plan)

        let file: FileSource
        do { file = try FileSource(path: input) } catch { throw .input(error) }
        let shards = ShardLayout(tensors: plan.tensors.map { ($0.name, $0.bytes) }, output: output, maximumBytes: options.shardBytes)
        let outputs = OutputSet()
        let copier = StridedCopy(windowBytes: options.copyWindowBytes)
        var metadata = ["format": "pt", "converted_from": baseName(displayName), "sha256": String(repeating: "0", count: 64)]
        for (alias, kept) in plan.aliases where metadata[alias] == nil { metadata[alias] = kept }
        var written: [(AtomicFileSink, SafetensorsHeader)] = []
        var converted: [ConvertedTensor] = []
        let byName = Dictionary(uniqueKeysWithValues: plan.tensors.map { ($0.name, $0) })
        for shard in shards.files {
            let entries = shard.names.map { name in
                let tensor = byName[name]!
                return SafetensorsHeader.Entry(name: name, dtype: tensor.dtype, itemSize: tensor.itemSize, shape: tensor.view.shape, bytes: tensor.bytes)
            }
            let header = try SafetensorsHeader(entries: entries, metadata: metadata, placeholderKeys: ["sha256"])
            let sink = try outputs.create(shard.path)
            try outputs.write(header.bytes, to: sink)
            for (entry, _, _) in header.ordered {
                let tensor = byName[entry.name]!
                let storage = storages[tensor.storageKey]!
                try copier.copy(tensor.view, from: file, base: storage.base, storageBytes: storage.bytes, to: sink)
                converted.append(ConvertedTensor(name: entry.name, path: tensor.path, dtype: entry.dtype, shape: entry.shape,
                                                 bytes: entry.bytes, file: shard.path))
            }
            written.append((sink, header))
        }
        if let index = shards.indexPath {
            let sink = try outputs.create(index)
            try outputs.write(shards.indexJSON(), to: sink)
        }
        let sha256: String
        switch digest.join() {
        case .success(let value): sha256 = value
        case .failure(let error): throw .input(error)
        }
        for (sink, header) in written {
            guard let at = header.placeholders["sha256"] else { continue }
            var failure: OutputError?
            Array(sha256.utf8).withUnsafeBytes { bytes in
                do throws(OutputError) { try sink.overwrite(at: UInt64(at), with: bytes) } catch { failure = error }
            }
            if let failure { throw .output(failure) }
        }
        try outputs.commit()
        let order = Dictionary(uniqueKeysWithValues: plan.tensors.enumerated().map { ($1.name, $0) })
        return ConvertResult(
            input: displayName, inputFormat: inspection.format.rawValue, outputFormat: "safetensors",
            outputs: shards.files.map(\.path) + (shards.indexPath.map { [$0] } ?? []),
            tensors: converted.sorted { order[$0.name]! < order[$1.name]! }, dropped: plan.dropped, aliases: plan.aliases,
            notes: UnsafeInputGate.note(unsafe) + plan.notes + shards.notes,
            dataBytes: plan.tensors.reduce(0) { $0 &+ $1.bytes }, sha256: sha256)
    }

    /// Where each storage's bytes start in the file and how many there are, checked against
    /// every tensor that views it.
    static func storageLocations(_ inspection: TorchInspection, _ plan: TorchConvertPlan) throws(ConvertError) -> [String: (base: UInt64, bytes: UInt64)] {
        var out: [String: (base: UInt64, bytes: UInt64)] = [:]
        let entries = Dictionary(inspection.entries.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for tensor in plan.tensors {
            let location: (base: UInt64, bytes: UInt64)
            if let known = out[tensor.storageKey] {
                location = known
            } else if inspection.format == .legacy {
                guard let range = inspection.legacyStorages[tensor.storageKey] else {
                    throw .layout(offset: 0, "\(tensor.path): storage \(tensor.storageKey) is not in the file")
                }
                location = (range.lowerBound + 8, UInt64(range.count) - 8)
            } else {
                let name = (inspection.prefix ?? "") + "data/" + tensor.storageKey
                guard let entry = entries[name], entry.method == ZipEntry.stored else {
                    throw .layout(offset: 0, "\(tensor.path): storage record \(name) is missing or compressed")
                }
                location = (entry.dataOffset, entry.uncompressedSize)
            }
            out[tensor.storageKey] = location
            guard let end = tensor.view.storageEnd(), end <= location.bytes else {
                throw .layout(offset: location.base, "\(tensor.path): shape \(tensor.view.shape), stride \(tensor.view.stride) at offset \(tensor.view.offset) reach past the end of storage \(tensor.storageKey) (\(location.bytes) bytes)")
            }
        }
        return out
    }

    static func baseName(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
    }
}

import BrineIO

/// `brine convert` of a joblib file to `.npz`: every numpy array joblib wrote raw after its
/// wrapper becomes a stored member `<name>.npy` (names as `TensorTree` gives them), so
/// `np.load(path, allow_pickle=False)` reads it. The (decompressed) stream is read twice,
/// forward only: once for each member's CRC-32 (the zip header needs it first), once to write.
public enum NpzConverter {
    struct Member {
        var name: String
        var path: String
        var header: [UInt8]
        var dataStart: UInt64
        var dataBytes: UInt64
        var descr: String
        var shape: [Int64]
        var crc: CRC32
    }

    public static func convert(input: String, output: String, displayName: String, options: ConvertOptions) throws(ConvertError) -> ConvertResult {
        var inspect = options.inspect
        inspect.recordsReferences = true
        let inspection: Inspection
        do {
            inspection = try Inspector.inspect(path: input, options: inspect, decompression: options.decompression, maximumWindow: options.maximumWindow)
        } catch { throw .pickle(error) }
        let unsafe = try UnsafeInputGate.check(ArtifactFacts(file: displayName, inspection: inspection), options: options)
        var (members, dropped, notes) = try plan(inspection, key: options.key)
        if options.strict, !dropped.isEmpty { throw .strictDropped(dropped) }
        guard !members.isEmpty else { throw .nothingToConvert("no numpy array \(options.key.map { "under \($0)" } ?? "in the file") stored the way joblib writes arrays") }

        try forEachData(of: members, input: input, options: options) { index, bytes throws(ConvertError) in members[index].crc.update(bytes) }
        let outputs = OutputSet()
        let sink = try outputs.create(output)
        let writer = ZipWriter(sink: sink)
        try forEachData(of: members, input: input, options: options, starting: { index throws(ConvertError) in
            do throws(OutputError) {
                try writer.beginStored(name: members[index].name + ".npy", size: UInt64(members[index].header.count) + members[index].dataBytes,
                                       crc: members[index].crc.value)
                try writer.writeData(members[index].header)
            } catch { throw .output(error) }
        }) { _, bytes throws(ConvertError) in
            do throws(OutputError) { try writer.writeData(bytes) } catch { throw .output(error) }
        }
        do { try writer.finish() } catch { throw .output(error) }
        try outputs.commit()
        let sha256: String
        do { sha256 = try SHA256Digest.file(input) } catch { throw .input(error) }
        if members.contains(where: { $0.descr.hasPrefix(">") }) { notes.append("big-endian arrays are written big-endian, with their dtype saying so") }
        return ConvertResult(
            input: displayName, inputFormat: inspection.format, outputFormat: "npz", outputs: [output],
            tensors: members.map { ConvertedTensor(name: $0.name, path: $0.path, dtype: $0.descr, shape: $0.shape, bytes: $0.dataBytes, file: output) },
            dropped: dropped, aliases: [:], notes: UnsafeInputGate.note(unsafe) + notes,
            dataBytes: members.reduce(0) { $0 &+ $1.dataBytes }, sha256: sha256)
    }

    /// Members in stream order of their data, and what cannot be one.
    static func plan(_ inspection: Inspection, key: String?) throws(ConvertError) -> ([Member], [ConvertDrop], [String]) {
        let graph = inspection.graph
        let tree = TensorTree(graph: graph) { graph[$0].array != nil }
        let (root, rootPath) = try tree.select(key, roots: inspection.roots)
        let walked = tree.walk(from: root, path: rootPath)
        let leaves = walked.leaves
        var dropped = walked.dropped, notes = walked.notes
        var spans: [UInt64: RawSpan] = [:]
        for span in inspection.rawSpans { spans[span.span.offset] = span }
        var facts: [NodeID: JoblibArrayFacts] = [:]
        for array in inspection.joblibArrays { facts[array.node] = array }
        var members: [Member] = []
        var names: [String: String] = [:]
        for leaf in leaves {
            let info = graph[leaf.node].array!
            guard let array = facts[leaf.node], let span = spans[array.rawOffset], NpyHeader.isPlain(array.descr),
                  UInt64(span.span.count) >= array.dataBytes else {
                let why = switch info.storage {
                case "joblib": "its dtype \(info.dtype) is structured or not a plain type string, which Brine does not spell as an .npy header"
                case "objects": "its data is Python objects"
                case "side file": "its data is in a side file beside the pickle (joblib < 0.10), not in the stream"
                default: "its data is inside the pickle stream, not written raw by joblib"
                }
                dropped.append(ConvertDrop(path: TensorTree.shown(leaf.path), what: "ndarray of \(info.dtype), shape \(info.shape): \(why)"))
                continue
            }
            let name = leaf.name.isEmpty ? "arr_0" : leaf.name
            if let other = names[name] { throw .unsupported("\(leaf.path) and \(other) would both be the npz member \(name).npy; pick one subtree with --key") }
            names[name] = leaf.path
            let header = NpyHeader.bytes(descr: array.descr, fortranOrder: array.order == "F", shape: info.shape)
            var crc = CRC32()
            header.withUnsafeBytes { crc.update($0) }
            members.append(Member(
                name: name, path: leaf.path, header: header, dataStart: span.span.offset + UInt64(span.span.count) - array.dataBytes,
                dataBytes: array.dataBytes, descr: array.descr, shape: info.shape, crc: crc))
        }
        members.sort { $0.dataStart != $1.dataStart ? $0.dataStart < $1.dataStart : $0.name < $1.name }
        if Set(members.map(\.dataStart)).count < members.count { notes.append("arrays reached under several names are written once per name (npz has no aliases)") }
        return (members, dropped, notes)
    }

    /// Streams every member's data in order (a member whose data starts before the stream's
    /// position, a second name for one array, reopens the stream), after `starting` each.
    static func forEachData(
        of members: [Member], input: String, options: ConvertOptions,
        starting: (Int) throws(ConvertError) -> Void = { _ in },
        _ body: (Int, UnsafeRawBufferPointer) throws(ConvertError) -> Void
    ) throws(ConvertError) {
        var stream: ArtifactStream?
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        for (index, member) in members.enumerated() {
            try starting(index)
            if stream == nil || stream!.source.position > member.dataStart {
                stream = try reading { () throws(InputError) in try ArtifactStream.open(path: input, limits: options.decompression) }
            }
            let source = stream!.source
            let gap = member.dataStart - source.position
            guard try reading({ () throws(InputError) in try source.skip(gap) }) == gap else {
                throw .layout(offset: source.position, "the stream ends before the data of \(member.path)")
            }
            var left = member.dataBytes
            while left > 0 {
                let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[..<Int(min(left, UInt64(buffer.count)))])
                let got = try reading { () throws(InputError) in try source.read(into: chunk) }
                guard got > 0 else { throw .layout(offset: source.position, "the stream ends \(left) bytes into the data of \(member.path)") }
                try body(index, UnsafeRawBufferPointer(rebasing: chunk[..<got]))
                left -= UInt64(got)
            }
        }
    }

    private static func reading<T>(_ step: () throws(InputError) -> T) throws(ConvertError) -> T {
        do { return try step() } catch { throw .input(error) }
    }
}

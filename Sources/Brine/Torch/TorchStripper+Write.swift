import BrineIO

extension TorchStripper {
    /// Writes the stripped archive: the records of the input in their order (or, for a legacy
    /// input, the records torch.save writes), the new data.pkl, kept storages copied as they are.
    static func writeZip(_ inspection: TorchInspection, pickle: [UInt8], keptKeys: Set<String>, into sink: ByteSink) throws {
        let file = try FileSource(path: inspection.path)
        let writer = ZipWriter(sink: sink)
        let serialization = serializationID(pickle: pickle, keys: keptKeys)
        if inspection.format == .legacy {
            let prefix = "archive/"
            try writeBytes(writer, prefix + "data.pkl", pickle)
            try writeBytes(writer, prefix + ".format_version", Array("1".utf8))
            try writeBytes(writer, prefix + ".storage_alignment", Array("64".utf8))
            try writeBytes(writer, prefix + "byteorder", Array("little".utf8))
            for key in keptKeys.sorted(by: legacyKeyOrder) {
                guard let range = inspection.legacyStorages[key] else { continue }
                // After the 8-byte element count, the raw bytes.
                let data = (range.lowerBound + 8)..<range.upperBound
                try copy(file, data, crc: try crc(file, data), name: prefix + "data/" + key, writer)
            }
            try writeBytes(writer, prefix + "version", Array("3\n".utf8))
            try writeBytes(writer, prefix + ".data/serialization_id", serialization)
        } else {
            let prefix = inspection.prefix ?? ""
            let archive = try ZipArchive(source: file, limits: ZipLimits(maximumEntries: Int.max, maximumCentralDirectoryBytes: .max))
            for entry in archive.entries {
                let relative = entry.name.hasPrefix(prefix) ? String(entry.name.dropFirst(prefix.count)) : entry.name
                if entry.name == prefix + "data.pkl" {
                    try writeBytes(writer, entry.name, pickle)
                } else if relative.hasPrefix("data/"), !keptKeys.contains(String(relative.dropFirst(5))) {
                    continue
                } else if relative == ".data/serialization_id" {
                    try writeBytes(writer, entry.name, serialization)
                } else if entry.method == ZipEntry.stored {
                    try copy(file, entry.dataRange, crc: entry.crc32, name: entry.name, writer)
                } else {
                    // Deflated members (TorchScript code) are written stored, as torch writes everything.
                    let source = try archive.open(entry)
                    try writer.beginStored(name: entry.name, size: entry.uncompressedSize, crc: entry.crc32)
                    try pump(source, count: entry.uncompressedSize, writer)
                }
            }
        }
        try writer.finish()
    }

    /// Legacy keys are decimal ids; torch lists them sorted as strings, and so does this.
    private static func legacyKeyOrder(_ a: String, _ b: String) -> Bool { a < b }

    private static func writeBytes(_ writer: ZipWriter, _ name: String, _ bytes: [UInt8]) throws {
        try writer.beginStored(name: name, size: UInt64(bytes.count), crc: CRC32.of(bytes))
        try writer.writeData(bytes)
    }

    private static func copy(_ file: FileSource, _ range: Range<UInt64>, crc: UInt32, name: String, _ writer: ZipWriter) throws {
        try writer.beginStored(name: name, size: UInt64(range.count), crc: crc)
        try pump(SliceSource(file, start: range.lowerBound, length: UInt64(range.count)), count: UInt64(range.count), writer)
    }

    private static func crc(_ file: FileSource, _ range: Range<UInt64>) throws -> UInt32 {
        var crc = CRC32()
        try SliceSource(file, start: range.lowerBound, length: UInt64(range.count)).readChunks { crc.update($0) }
        return crc.value
    }

    /// Copies exactly `count` bytes through a 1 MiB buffer.
    private static func pump(_ source: ByteSource, count: UInt64, _ writer: ZipWriter) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var remaining = count
        while remaining > 0 {
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[..<Int(min(remaining, UInt64(buffer.count)))])
            let got = try source.read(into: chunk)
            guard got > 0 else { throw StripError.verificationFailed("\(source.name): a record ended \(remaining) bytes early") }
            try writer.writeData(UnsafeRawBufferPointer(rebasing: chunk[..<got]))
            remaining -= UInt64(got)
        }
    }

    /// torch's id is 40 decimal digits; a new file gets a new one, derived from its content so
    /// output is deterministic.
    static func serializationID(pickle: [UInt8], keys: Set<String>) -> [UInt8] {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in pickle { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        var second: UInt64 = UInt64(CRC32.of(pickle))
        for key in keys.sorted() { second = second &* 31 &+ UInt64(CRC32.of(Array(key.utf8))) }
        func digits(_ value: UInt64) -> String {
            let text = String(value)
            return String(repeating: "0", count: 20 - text.count) + text
        }
        return Array((digits(hash) + digits(second)).utf8)
    }

    static func verify(_ original: TorchInspection, cuts: [StripCut], setNone: Bool, staged: String, options: StripOptions) throws(StripError) {
        let rewritten: TorchInspection
        do {
            rewritten = try TorchInspector.inspect(path: staged, options: options.inspect, zipLimits: options.zip,
                                                   decompression: options.decompression, maximumWindow: options.maximumWindow)
        } catch { throw .verificationFailed("it does not read back as a PyTorch file: \(error)") }
        try StripVerifier.compare(original: TorchReportBuilder.build(original).root, rewritten: TorchReportBuilder.build(rewritten).root,
                                  cuts: cuts, setNone: setNone)
        func removed(_ path: String) -> Bool { cuts.contains { path == $0.path || path.hasPrefix($0.path + "[") || path.hasPrefix($0.path + ".") } }
        struct Key: Hashable { var path, dtype, location: String; var shape: [Int64]; var offset: Int64; var bytes: UInt64 }
        let want = Set(original.tensors.filter { !removed($0.path) }.map {
            Key(path: $0.path, dtype: $0.dtype, location: $0.location, shape: $0.shape, offset: $0.storageOffset, bytes: $0.storageBytes) })
        let got = Set(rewritten.tensors.map {
            Key(path: $0.path, dtype: $0.dtype, location: $0.location, shape: $0.shape, offset: $0.storageOffset, bytes: $0.storageBytes) })
        guard want == got else {
            let missing = want.subtracting(got).map(\.path).sorted().first ?? got.subtracting(want).map(\.path).sorted().first ?? "?"
            throw .verificationFailed("tensor \(missing) differs after rewriting")
        }
        guard rewritten.overhead.unreferencedStorages == 0 else { throw .verificationFailed("storages nothing refers to were written") }
    }
}

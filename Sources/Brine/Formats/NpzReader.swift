import BrineIO

/// NumPy's .npz: a zip of .npy members (`np.savez` stores them, `np.savez_compressed`
/// deflates them). Read with Brine's zip reader, which knows where each member's data
/// sits (libarchive's streaming read does not), so zip structure, npy headers and array
/// data add up to the file. Only each member's npy header is inflated.
public enum NpzReader {
    public static func read(path: String, pickles: FormatReaders.PickleHandler?) throws(InputError) -> ArtifactLayout {
        let file = try FileSource(path: path)
        let archive: ZipArchive
        do { archive = try ZipArchive(source: file) } catch { throw HeaderBytes.malformed(path, error.offset, "npz: \(error)") }
        var layout = ArtifactLayout(format: "npz", fileBytes: archive.fileSize)
        var structure = archive.fileSize
        var headers: UInt64 = 0
        var seen = Set<String>()
        for entry in archive.entries where !entry.isDirectory {
            structure &-= min(structure, entry.compressedSize)
            let key = entry.name.hasSuffix(".npy") ? String(entry.name.dropLast(4)) : entry.name
            if !seen.insert(key).inserted {
                layout.findings.append(LayoutFinding(rule: "duplicate-tensor", message: "array '\(key)' is stored twice in the zip; np.load keeps one", offset: entry.headerOffset, name: key))
            }
            let member: ByteSource
            do { member = try archive.open(entry) } catch { throw HeaderBytes.malformed(path, error.offset, "npz member \(entry.name): \(error)") }
            let named = NamedSource(member, name: path + "!" + entry.name)
            let header = try NpyReader.readHeader(named)
            let stored = entry.method == ZipEntry.stored
            guard header.headerBytes <= entry.uncompressedSize else {
                throw HeaderBytes.malformed(path, entry.dataOffset, "npz member \(entry.name): npy header runs past the member's end")
            }
            // A deflated member's header and data share compressed bytes: all go to the array.
            if stored { headers &+= header.headerBytes }
            try NpyReader.add(header, name: key, at: entry.dataOffset &+ (stored ? header.headerBytes : 0),
                              available: entry.uncompressedSize - header.headerBytes, member: entry.name, source: named,
                              into: &layout, pickles: pickles, compressedBytes: stored ? nil : entry.compressedSize)
        }
        layout.regions.append(LayoutRegion(name: "zip headers, central directory", offset: 0, bytes: structure))
        if headers > 0 { layout.regions.append(LayoutRegion(name: "npy headers", offset: 0, bytes: headers)) }
        layout.facts["arrays"] = String(layout.tensors.count)
        let methods = Set(archive.entries.map { $0.method == ZipEntry.stored ? "stored" : "deflated" })
        layout.facts["members"] = methods.sorted().joined(separator: " and ")
        layout.accountForRest()
        return layout
    }
}

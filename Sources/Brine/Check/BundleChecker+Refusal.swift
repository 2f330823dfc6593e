import BrineIO

#if canImport(Glibc)
import Glibc
#endif

extension BundleChecker {
    /// The commands that walk a bundle (a directory, tar or zip), named in the refusals of
    /// those that take one artifact (strip, convert, repack's zips).
    public static let bundleCommands = "brine inspect, check, diff, dis, decompile, sbom and budget"

    /// What a tar or zip bundle is, for a command that does not take one: "a zip bundle of 7
    /// files (a Python wheel: x.dist-info/WHEEL)". nil when `path` is no bundle (PyTorch zips
    /// are artifacts; npz and .keras zips are tensor formats) or cannot be read (the
    /// command's own reader then says why).
    public static func bundleDescription(path: String, options: BundleOptions) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG,
              (try? isBundle(path: path, options: options)) == true,
              let file = try? FileSource(path: path) else { return nil }
        var head = [UInt8](repeating: 0, count: CompressionFormat.magicLength)
        let got = head.withUnsafeMutableBytes { (try? file.read(at: 0, into: $0)) ?? 0 }
        let codec = Array(head[..<got]).withUnsafeBytes { CompressionFormat.detect($0) }
        var names: [String] = []
        let kind: String
        if codec == nil, let archive = try? ZipArchive(source: file) {
            // An npz or a .keras is a format of its own (FormatSniffer), refused or read as one.
            if FormatSniffer.foreign(zipMembers: archive.entries.map(\.name)) != nil { return nil }
            kind = "zip"
            names = archive.entries.map(\.name).filter { !$0.hasSuffix("/") }
        } else {
            kind = (codec.map { $0.rawValue + "-compressed " } ?? "") + "tar"
            guard let reader = try? ArchiveReader(upstream: file, limits: options.decompression) else { return nil }
            while names.count < options.maximumMembers, let entry = try? reader.nextEntry() {
                if entry.kind == .file { names.append(entry.path) }
            }
        }
        var what = "a \(kind) bundle of \(ByteFormat.counted(names.count, "file"))"
        if let wheel = names.first(where: { $0.split(separator: "/").count == 2 && $0.hasSuffix(".dist-info/WHEEL") }) {
            what += " (a Python wheel: \(wheel))"
        } else if let sdist = names.first(where: { $0.split(separator: "/").count == 2 && $0.hasSuffix("/PKG-INFO") }) {
            what += " (a Python sdist: \(sdist))"
        }
        return what
    }

    /// Throws the one-line refusal of a command that reads one artifact when `path` is a
    /// bundle: what the file is, what `command` reads, and which commands read bundles.
    public static func refuseBundle(path: String, name: String, command: String, reads: String,
                                    options: BundleOptions) throws(InputError) {
        guard let what = bundleDescription(path: path, options: options) else { return }
        throw InputError(path: name, offset: 0, reason: .malformed(detail: 
            "\(what), not an artifact: brine \(command) reads \(reads); \(bundleCommands) read bundles"))
    }
}

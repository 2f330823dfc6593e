import BrineIO

#if canImport(Glibc)
import Glibc
#endif

/// The one place a non-pickle file, found by content, is handed to its reader. Every reader
/// returns an `ArtifactLayout`; pickles found inside (a NumPy object array's data) are
/// handed to `pickles` as a source positioned at their first byte, so the pickle engine
/// reads them where they are.
public enum FormatReaders {
    /// Formats whose readers live here, by `FormatSniffer` name.
    public static let readable: Set<String> = ["safetensors", "npy", "npz", "gguf", "onnx", "onnx-tensor", "keras", "hdf5"]

    public typealias PickleHandler = (_ pickle: EmbeddedPickle, _ source: ByteSource) throws(InputError) -> Void

    /// The format of a stream starting with `head`, when Brine reads it here. `size` is the
    /// stream's length (the reader needs it: headers are checked against it).
    public static func format(head: [UInt8], size: UInt64?) -> String? {
        guard let size, let foreign = FormatSniffer.foreign(head: head, size: size), readable.contains(foreign.name) else { return nil }
        return foreign.name
    }

    /// The zip at `path` (on disk) is an npz or a Keras 3 file Brine reads.
    static func zipFormat(path: String) -> String? {
        guard let file = try? FileSource(path: path), let archive = try? ZipArchive(source: file),
              let foreign = FormatSniffer.foreign(zipMembers: archive.entries.map(\.name)), readable.contains(foreign.name) else { return nil }
        return foreign.name
    }

    /// The layout of the file at `path`, or nil when it is no format read here (a pickle,
    /// a PyTorch file, an archive, text).
    public static func read(path: String, pickles: PickleHandler? = nil) throws(InputError) -> ArtifactLayout? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        let file = try FileSource(path: path)
        let size = file.knownLength ?? 0
        let source = PeekableSource(file)
        let head = try source.peek(FormatSniffer.headLength)
        if let format = format(head: head, size: size) {
            let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
            return try read(source, format: format, fileBytes: size, pickles: pickles, directory: directory)
        }
        if head.withUnsafeBytes({ ZipArchive.looksLikeZip($0) }), let format = zipFormat(path: path) {
            return try readZip(path: path, format: format, pickles: pickles)
        }
        return nil
    }

    /// Reads a stream of `format` (a name `format(head:size:)` returned) of `fileBytes` bytes.
    /// `directory`: the folder of a file on disk (ONNX external data is checked against it).
    public static func read(_ source: ByteSource, format: String, fileBytes: UInt64, pickles: PickleHandler? = nil,
                            directory: String? = nil) throws(InputError) -> ArtifactLayout {
        switch format {
        case "safetensors": return try SafetensorsReader.read(source, fileBytes: fileBytes)
        case "npy": return try NpyReader.read(source, fileBytes: fileBytes, pickles: pickles)
        case "gguf": return try GGUFReader.read(source, fileBytes: fileBytes)
        case "onnx": return try ONNXReader.read(source, fileBytes: fileBytes, directory: directory)
        case "onnx-tensor": return try ONNXReader.readTensor(source, fileBytes: fileBytes, directory: directory)
        case "hdf5": return HDF5Reader.read(fileBytes: fileBytes)
        default: throw HeaderBytes.malformed(source.name, 0, "no reader for \(format)")
        }
    }

    /// npz and .keras: zips read with random access (member data offsets are needed to
    /// account for every byte; libarchive's streaming read does not give them).
    public static func readZip(path: String, format: String, pickles: PickleHandler? = nil) throws(InputError) -> ArtifactLayout {
        switch format {
        case "npz": return try NpzReader.read(path: path, pickles: pickles)
        case "keras": return try KerasReader.read(path: path)
        default: throw HeaderBytes.malformed(path, 0, "no reader for \(format)")
        }
    }

    /// Findings of `brine check` for a layout: the reader's, then the pickle rules' on each
    /// embedded pickle (reported under `file`, the pickle's array as the place).
    public static func findings(_ layout: ArtifactLayout, file: String, pickleFindings: [Finding] = []) -> [Finding] {
        (LayoutRules.findings(layout, file: file) + pickleFindings).sorted(by: Finding.reportOrder)
    }

    /// A layout whose data lies outside the file or overlaps cannot be inspected: the first
    /// such problem, as the one-line error `brine inspect` exits 2 with.
    public static func inspectError(_ layout: ArtifactLayout, file: String) -> InputError? {
        guard let first = layout.findings.first(where: { $0.breaksLayout == true }) else { return nil }
        let others = layout.findings.count - 1
        return InputError(path: file, offset: first.offset ?? 0, reason: .malformed(
            detail: first.message + (others > 0 ? " (and \(others) more problems: brine check lists them)" : " (brine check reports it as BR801)")))
    }
}

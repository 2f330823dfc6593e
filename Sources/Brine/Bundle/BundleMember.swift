import BrineIO

/// What a member is, decided by its content, never by its name.
public enum MemberKind: String, Codable, Sendable {
    case directory
    case tar
    case zip
    case pickle
    case joblib
    /// A PyTorch zip archive (`…/data.pkl` with `…/data/N` storages).
    case torch
    /// A safetensors, npy, npz, GGUF, ONNX, Keras or HDF5 file, read by `FormatReaders`.
    case tensors
    /// A compressed stream that holds neither a pickle nor an archive.
    case compressed
    case symlink
    case file
}

/// One node of a bundle: a directory, an archive, an artifact or any other file.
public struct BundleMember: Codable, Sendable, Equatable {
    /// Where it sits: directories with `/`, into an archive with `!`
    /// (`app/model.tar.gz!code/inference.py`).
    public var path: String
    public var kind: MemberKind
    /// Bytes it occupies where it is stored: on disk, or inside its archive.
    public var storedBytes: UInt64
    /// Bytes once decompressed: the stream of a compressed file, the content of an archive.
    public var bytes: UInt64
    /// Codec found by content (a `.tar.gz`, a joblib `compress=` file).
    public var compression: String?
    /// Permission bits, for archive members (kept by repack).
    public var permissions: UInt32?
    public var linkTarget: String?
    /// The stored name would land outside the directory if extracted naively.
    public var unsafePath: Bool?
    /// Why it was not looked into further.
    public var note: String?
    /// For files of a format Brine recognises but does not read: its name (`safetensors`,
    /// `npy`, `gguf`, `hdf5`, `onnx`, `text`, …; see `FormatSniffer`).
    public var format: String?
    /// For tar and zip archives: bytes of the archive stream (decompressed, for a `.tar.gz`).
    public var archiveBytes: UInt64?
    /// For tar archives: `archiveBytes` minus the stored bytes of its members, i.e. tar
    /// headers (pax and GNU long-name records included), padding to 512-byte blocks and the
    /// end-of-archive blocks and record padding. Not given for zip archives: a streaming zip
    /// read does not learn members' compressed sizes.
    public var overheadBytes: UInt64?
    /// For artifacts, when the walker keeps them (`BundleOptions.keepsReports`, `brine
    /// inspect`): the artifact's full inspect report.
    public var report: InspectReport?
    /// For artifacts: the attribute tree, flattened (see `AttributeSize`).
    public var attributes: [AttributeSize]?
    /// Attributes prediction never reads, as `brine inspect` marks them.
    public var trainingOnly: [TrainingOnlyFinding]?
    public var children: [BundleMember]

    public init(path: String, kind: MemberKind, storedBytes: UInt64, bytes: UInt64, children: [BundleMember] = []) {
        self.path = path
        self.kind = kind
        self.storedBytes = storedBytes
        self.bytes = bytes
        self.children = children
    }

    public var isBundle: Bool { kind == .directory || kind == .tar || kind == .zip || kind == .torch }
    public var isArtifact: Bool { kind == .pickle || kind == .joblib || kind == .torch || kind == .tensors }

    /// Every member below this one, depth first, this one included.
    public func flattened() -> [BundleMember] {
        [self] + children.flatMap { $0.flattened() }
    }
}

/// One attribute of an artifact with the stream bytes charged to it.
public struct AttributeSize: Codable, Sendable, Equatable {
    /// As `brine inspect` prints it: `steps[0][1].vocabulary_`; "" is the whole artifact.
    public var path: String
    public var type: String
    public var bytes: UInt64
    public var depth: Int
}

import BrineIO

/// Which of PyTorch's serializations a file is.
public enum TorchFormat: String, Sendable, Codable {
    /// `torch.save` since 1.6: a zip of `data.pkl`, `data/<key>` storages and metadata records.
    case zip = "torch-zip"
    /// `torch.save(_use_new_zipfile_serialization=False)`: pickles then raw storages.
    case legacy = "torch-legacy"
    /// `torch.jit.save`: a zip with `code/`, `constants.pkl` and `data.pkl`.
    case torchscript
}

/// One tensor of a PyTorch file, for reports and for other commands (`brine check` reads
/// `location`; bundles read `storageBytes`).
public struct TorchTensor: Codable, Sendable, Equatable {
    /// Where it sits, as `brine inspect` prints paths: `['model_state_dict']['embedding.weight']`.
    public var path: String
    /// `torch.Tensor` or `torch.nn.Parameter`.
    public var type: String
    /// As `str(tensor.dtype)` without `torch.`: `float32`.
    public var dtype: String
    public var shape: [Int64]
    public var stride: [Int64]
    /// Elements into the storage where the tensor starts (views have non-zero offsets).
    public var storageOffset: Int64
    /// The storage's key: the record `data/<key>` (zip) or the legacy storage key.
    public var storageKey: String
    /// `torch.FloatStorage`, …
    public var storageType: String
    /// Device the storage was saved from: `cpu`, `cuda:0`. Anything but `cpu` needs `map_location` on a CPU server.
    public var location: String
    /// Bytes of the whole storage (shared by every tensor that views it).
    public var storageBytes: UInt64
    /// Bytes of the file charged to this tensor: its storage record when it is the first
    /// tensor using it, 0 for later views of the same storage.
    public var chargedBytes: UInt64
    /// For a tensor viewing a storage an earlier tensor already uses: that tensor's path.
    public var sharesStorageWith: String?
}

/// One member of a PyTorch zip, with what it holds.
public struct TorchRecord: Codable, Sendable, Equatable {
    public var name: String
    /// "pickle" (data.pkl), "storage", "unreferenced storage", "metadata", "code", "constants".
    public var kind: String
    public var offset: UInt64
    /// Data bytes (compressed size for deflated members).
    public var dataBytes: UInt64
    /// Local header, padding and data descriptor bytes.
    public var headerBytes: UInt64
}

/// Where the bytes of a PyTorch file that are not the object tree go.
public struct TorchOverhead: Codable, Sendable, Equatable {
    /// Local headers (with their alignment padding), data descriptors, central directory, end records.
    public var zipStructure: UInt64 = 0
    /// byteorder, version, .format_version, .storage_alignment, .data/serialization_id, …
    public var metadataRecords: UInt64 = 0
    /// TorchScript `code/` sources and debug pickles, `constants.pkl`.
    public var code: UInt64 = 0
    /// Storage records no tensor refers to.
    public var unreferencedStorages: UInt64 = 0
    /// Legacy format: magic number, protocol and sys-info pickles, the storage key list
    /// and each storage's 8-byte element count.
    public var legacyHeaders: UInt64 = 0
    /// PROTO, FRAME, STOP of data.pkl and values it discarded.
    public var pickle: UInt64 = 0

    public var total: UInt64 { zipStructure &+ metadataRecords &+ code &+ unreferencedStorages &+ legacyHeaders &+ pickle }
}

/// The result of inspecting a PyTorch file: the object tree of its main pickle and where
/// every other byte went.
public struct TorchInspection: Sendable {
    public var format: TorchFormat
    public var path: String
    public var fileBytes: UInt64
    /// The main pickle (`data.pkl`, or the legacy format's fourth pickle), tensors recognised.
    public var pickle: Inspection
    /// Uncompressed minus compressed size of a deflated data.pkl (0 for what torch writes:
    /// it stores every record).
    public var pickleInflation: UInt64 = 0
    /// The archive folder every record sits under (`checkpoint/`), nil for legacy files.
    public var prefix: String?
    /// Every tensor built in a new place (memo references to a tensor are not repeated), in pickle order.
    public var tensors: [TorchTensor]
    public var records: [TorchRecord]
    /// Small text records by name without the folder: `byteorder`, `version`,
    /// `.format_version`, `.storage_alignment`, `.data/serialization_id` (zip formats).
    public var metadata: [String: String]
    public var overhead: TorchOverhead
    /// Storage bytes by key, for storages present in the file.
    public var storageBytes: [String: UInt64]
    /// Tensor facts by graph node (Parameters and the tensors inside them both appear).
    public var tensorNodes: [NodeID: TorchTensorFacts]
    /// Zip members, for rewriting; empty for legacy files.
    public var entries: [ZipEntry]
    /// Legacy: where each storage's 8-byte count and data lie, by key, and where the
    /// storage-key pickle starts.
    /// TorchScript: each scripted class (`__torch__.vad.model.VADRNNJIT`) with the attributes
    /// its `code/` source declares as `__parameters__` and `__buffers__`, which are what
    /// `state_dict()` holds (a tensor attribute outside them, such as a cached state, is not).
    public var scriptStateNames: [String: Set<String>] = [:]
    public var legacyStorages: [String: Range<UInt64>]
    public var legacyKeysOffset: UInt64?
    /// Pickles read at the start of a legacy file (magic, protocol, sys info) end here.
    public var legacyMainPickleRange: Range<UInt64>?

    /// Storages whose location is not the CPU, by tensor: what `brine check` reports.
    public var nonCPUTensors: [TorchTensor] { tensors.filter { $0.location != "cpu" } }
}

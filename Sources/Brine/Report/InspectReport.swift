/// The report of `brine inspect`, in the stable shape docs/json-schema.md documents.
/// Field names are the JSON keys; JSON output sorts them.
public struct InspectReport: Codable, Sendable, Equatable {
    public static let schemaVersion = 1

    public var schemaVersion: Int
    public var file: String
    /// "pickle" or "joblib".
    public var format: String
    /// Codec found by content, nil for an uncompressed file.
    public var compression: String?
    public var fileBytes: UInt64
    /// Bytes of the (decompressed) stream; every one of them is attributed below.
    public var streamBytes: UInt64
    public var protocol_: Int
    public var pickles: Int
    /// PROTO, FRAME and STOP opcodes and discarded values.
    public var overheadBytes: UInt64
    /// Estimated memory of everything once loaded in CPython.
    public var memoryBytes: UInt64
    public var root: ReportNode
    /// Attributes known to be unused at prediction time, largest first.
    public var trainingOnly: [TrainingOnlyFinding]
    /// PyTorch files only: tensors, zip records and where the bytes outside the tree go.
    public var torch: TorchReport? = nil
    /// safetensors, npy, npz, GGUF, ONNX, Keras and HDF5 files: every byte range the reader
    /// found (tensors, header regions), metadata, facts and findings (docs/json-schema.md).
    public var layout: ArtifactLayout? = nil

    enum CodingKeys: String, CodingKey {
        case schemaVersion, file, format, compression, fileBytes, streamBytes
        case protocol_ = "protocol"
        case pickles, overheadBytes, memoryBytes, root, trainingOnly, torch, layout
    }

    /// Like the synthesized encoder, but `compression` is written as null when absent, so
    /// consumers can rely on the key.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schemaVersion, forKey: .schemaVersion)
        try container.encode(file, forKey: .file)
        try container.encode(format, forKey: .format)
        try container.encode(compression, forKey: .compression)
        try container.encode(fileBytes, forKey: .fileBytes)
        try container.encode(streamBytes, forKey: .streamBytes)
        try container.encode(protocol_, forKey: .protocol_)
        try container.encode(pickles, forKey: .pickles)
        try container.encode(overheadBytes, forKey: .overheadBytes)
        try container.encode(memoryBytes, forKey: .memoryBytes)
        try container.encode(root, forKey: .root)
        try container.encode(trainingOnly, forKey: .trainingOnly)
        try container.encodeIfPresent(torch, forKey: .torch)
        try container.encodeIfPresent(layout, forKey: .layout)
    }
}

/// One object, container, array or scalar in the report tree.
public struct ReportNode: Codable, Sendable, Equatable {
    /// Where it sits, in Python syntax from the root: `steps[0][1].stop_words_`.
    public var path: String
    /// Python type: `set`, `ndarray`, or the qualified class `sklearn.pipeline.Pipeline`.
    public var type: String
    /// Bytes of the stream attributed to it and everything built inside it.
    public var bytes: UInt64
    /// Estimated CPython memory once loaded, for it and what it holds.
    public var memory: UInt64
    /// `len()` for containers, element count for arrays.
    public var count: UInt64?
    /// Element kinds of a summarised container: `{"str": 41872113}`.
    public var elements: [String: UInt64]?
    public var array: ArrayReport?
    /// The value of a scalar, shortened.
    public var value: String?
    /// Built once and referenced again elsewhere (through the pickle memo).
    public var shared: Bool?
    /// A memo reference to an object built elsewhere; only its own bytes count here.
    public var reference: Bool?
    public var trainingOnly: TrainingOnlyFinding?
    /// PyTorch tensors: storage, location and sharing.
    public var tensor: TensorFacts? = nil
    public var children: [ReportNode]
    /// Parts not shown individually (summarised, or beyond the kept children).
    public var other: OtherParts?
}

public struct ArrayReport: Codable, Sendable, Equatable {
    public var shape: [Int64]
    public var dtype: String
    public var dataBytes: UInt64
    public var storage: String
}

public struct OtherParts: Codable, Sendable, Equatable {
    public var count: UInt64
    public var bytes: UInt64
    public var memory: UInt64
    public var elements: [String: UInt64]
}

public struct TrainingOnlyFinding: Codable, Sendable, Equatable {
    public var path: String
    public var reason: String
    public var source: String
    /// Bytes removing it would save (its attributed bytes).
    public var saving: UInt64
}

/// What a PyTorch tensor node adds to its array facts.
public struct TensorFacts: Codable, Sendable, Equatable {
    public var storageKey: String
    public var location: String
    public var storageBytes: UInt64
    /// Storage record bytes charged here (0 for a later view of a storage).
    public var chargedBytes: UInt64
    public var sharesStorageWith: String?
}

/// The PyTorch part of an inspect report.
public struct TorchReport: Codable, Sendable, Equatable {
    /// "torch-zip", "torch-legacy" or "torchscript".
    public var format: String
    /// Folder of the zip records (`checkpoint/`); null for legacy files.
    public var prefix: String?
    public var tensors: [TorchTensor]
    public var records: [TorchRecord]
    /// `byteorder`, `version`, `.format_version`, `.storage_alignment`, `.data/serialization_id` as written.
    public var metadata: [String: String]
    public var overhead: TorchOverhead
    /// Bytes of storage data in the file (referenced or not).
    public var storageBytes: UInt64
}

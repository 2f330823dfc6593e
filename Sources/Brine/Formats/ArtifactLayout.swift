/// The one model every non-pickle reader (safetensors, npy, npz, GGUF, ONNX, Keras, HDF5)
/// produces: the file as named byte ranges. Tensors carry dtype and shape; everything that
/// is not tensor data (headers, metadata, padding, container structure) is a region, so
/// tensor bytes plus region bytes are exactly the file's bytes. `inspect`, `check`,
/// `budget`, `diff` and the bundle walker read this and nothing format-specific.
public struct ArtifactLayout: Codable, Sendable, Equatable {
    /// `safetensors`, `npy`, `npz`, `gguf`, `onnx`, `keras`, `hdf5`.
    public var format: String
    public var fileBytes: UInt64
    /// In file order.
    public var tensors: [LayoutTensor] = []
    /// Every byte range that is not tensor data, in file order.
    public var regions: [LayoutRegion] = []
    /// What the file says about itself, as written: safetensors `__metadata__`, GGUF
    /// key/values (arrays summarised), ONNX producer and opsets, Keras metadata.json.
    public var metadata: [String: String] = [:]
    /// What Brine concluded from it, for the header line: `architecture`, `context length`,
    /// `vocabulary`, `quantization`, `keras version`.
    public var facts: [String: String] = [:]
    /// Problems `brine check` reports (BR8xx, docs/checks.md); the reader still accounted
    /// for every byte it could.
    public var findings: [LayoutFinding] = []
    /// Byte ranges that are pickles (a NumPy object array's data): `brine check` runs the
    /// pickle rules on them.
    public var pickles: [EmbeddedPickle] = []

    public init(format: String, fileBytes: UInt64) {
        self.format = format
        self.fileBytes = fileBytes
    }

    /// Bytes of the file its tensors occupy (ONNX external data lies in another; a deflated
    /// npz member counts its compressed bytes).
    public var tensorBytes: UInt64 { tensors.reduce(0) { $1.location == nil ? $0 &+ $1.bytesInFile : $0 } }
    /// Bytes of the tensors' data once loaded (numpy's `nbytes` for npz members, compressed
    /// or not; external data included).
    public var dataBytes: UInt64 { tensors.reduce(0) { $0 &+ $1.bytes } }
    /// Bytes tensors stored compressed occupy in the file, nil when none is.
    public var compressedTensorBytes: UInt64? {
        let compressed = tensors.filter { $0.storedBytes != nil }
        return compressed.isEmpty ? nil : compressed.reduce(0) { $0 &+ $1.bytesInFile }
    }
    public var regionBytes: UInt64 { regions.reduce(0) { $0 &+ $1.bytes } }

    /// What neither a tensor nor a region covers (0 for a well-formed file; a gap or an
    /// overlap shows as a finding and the remainder as a region named so).
    mutating func accountForRest() {
        let covered = tensorBytes &+ regionBytes
        if covered < fileBytes {
            regions.append(LayoutRegion(name: "(bytes no tensor or header covers)", offset: 0, bytes: fileBytes - covered))
        }
    }
}

/// One tensor (an array, an initializer, an npz member's data).
public struct LayoutTensor: Codable, Sendable, Equatable {
    /// As the file names it: `model.layers.3.mlp.gate_proj.weight`.
    public var name: String
    /// The format's own spelling: safetensors `BF16`, numpy `<f4`, GGUF `Q4_K`, ONNX `FLOAT`.
    public var dtype: String
    public var shape: [Int64]
    /// Absolute offset of the data in the file (for an npz member, of the member's data).
    public var offset: UInt64
    /// Bytes of its data as the library loads it (numpy's `nbytes`; an object array's
    /// pickle; a deflated npz member's data once inflated).
    public var bytes: UInt64
    /// Stored compressed (a deflated npz member): the bytes of the file it occupies, its
    /// npy header's compressed bytes included; nil when the data is stored as is (`bytes`).
    public var storedBytes: UInt64?
    /// ONNX external data: the file holding it; its bytes are then not in this file.
    public var location: String?

    public init(name: String, dtype: String, shape: [Int64], offset: UInt64, bytes: UInt64, storedBytes: UInt64? = nil, location: String? = nil) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.offset = offset
        self.bytes = bytes
        self.storedBytes = storedBytes
        self.location = location
    }

    /// Bytes of the file it occupies (0 is not special: external data occupies none of it,
    /// which `location` says).
    public var bytesInFile: UInt64 { storedBytes ?? bytes }
}

/// A byte range that is not tensor data.
public struct LayoutRegion: Codable, Sendable, Equatable {
    /// Shown in parentheses in the tree: `(header: 8-byte length + JSON)`.
    public var name: String
    public var offset: UInt64
    public var bytes: UInt64

    public init(name: String, offset: UInt64, bytes: UInt64) {
        self.name = name
        self.offset = offset
        self.bytes = bytes
    }
}

/// A pickle inside a non-pickle file.
public struct EmbeddedPickle: Codable, Sendable, Equatable {
    /// The array it is (`labels` of an npz, or "" for an .npy file).
    public var name: String
    public var offset: UInt64
    public var bytes: UInt64
    /// For an npz member: the member's name in the zip.
    public var member: String?
}

/// A problem a reader found, by rule (see `LayoutRules`), with where it is.
public struct LayoutFinding: Codable, Sendable, Equatable {
    /// The rule's kebab-case name: `tensor-layout`, `object-array`…
    public var rule: String
    public var message: String
    /// Byte offset in the file, when the problem sits at one.
    public var offset: UInt64?
    /// The tensor, initializer or layer it is about.
    public var name: String?
    /// Data outside the file or overlapping other data: bytes cannot be attributed, so
    /// `brine inspect` refuses the file (exit 2) instead of showing a tree.
    public var breaksLayout: Bool?

    public init(rule: String, message: String, offset: UInt64? = nil, name: String? = nil, breaksLayout: Bool = false) {
        self.rule = rule
        self.message = message
        self.offset = offset
        self.name = name
        self.breaksLayout = breaksLayout ? true : nil
    }
}

/// What PyTorch's pickles say about storages and tensors, read without torch.
///
/// `torch.save` pickles every storage as a persistent id
/// `('storage', torch.FloatStorage, key, location, numel)` (the legacy format adds a sixth
/// item, view metadata) and every tensor as `torch._utils._rebuild_tensor_v2(storage,
/// storage_offset, size, stride, requires_grad, backward_hooks)`; parameters wrap that in
/// `_rebuild_parameter`. See torch/serialization.py (`persistent_id`) and torch/_tensor.py
/// (`Tensor.__reduce_ex__`).
public struct TorchStorageID: Sendable, Equatable {
    /// `torch.FloatStorage`, `torch.UntypedStorage`, …
    public var storageType: String
    /// The record name under `data/` (zip) or the key in the legacy storage list.
    public var key: String
    /// Where the storage was when saved: `cpu`, `cuda:0`, `mps`, …
    public var location: String
    /// Elements of the storage's type (bytes for an untyped storage).
    public var numel: Int64
    /// Legacy format only: offset of the sixth item (view metadata) when it is a lone NONE.
    public var legacyViewMetadataOffset: UInt64? = nil

    public var dtype: String { TorchDType.forStorageType(storageType) }
    public var bytes: UInt64 {
        let size = TorchDType.itemSize(dtype)
        let (product, overflow) = UInt64(max(0, numel)).multipliedReportingOverflow(by: size)
        return overflow ? UInt64.max : product
    }
}

/// A tensor as its rebuild call describes it.
public struct TorchTensorFacts: Sendable, Equatable {
    public var storage: TorchStorageID
    public var dtype: String
    public var shape: [Int64]
    public var stride: [Int64]
    public var storageOffset: Int64
    /// `torch.Tensor`, or `torch.nn.Parameter` when wrapped by `_rebuild_parameter`.
    public var type: String
    /// A Parameter's node hides the tensor node inside it.
    public var innerNode: Int?
}

public enum TorchDType {
    /// `torch.FloatStorage` → `float32`, as `str(tensor.dtype)` names it without `torch.`.
    public static func forStorageType(_ name: String) -> String {
        let short = name.hasPrefix("torch.") ? String(name.dropFirst(6)) : name
        switch short {
        case "FloatStorage": return "float32"
        case "DoubleStorage": return "float64"
        case "HalfStorage": return "float16"
        case "BFloat16Storage": return "bfloat16"
        case "LongStorage": return "int64"
        case "IntStorage": return "int32"
        case "ShortStorage": return "int16"
        case "CharStorage": return "int8"
        case "ByteStorage", "UntypedStorage": return "uint8"
        case "BoolStorage": return "bool"
        case "ComplexFloatStorage": return "complex64"
        case "ComplexDoubleStorage": return "complex128"
        case "QInt8Storage": return "qint8"
        case "QUInt8Storage": return "quint8"
        case "QInt32Storage": return "qint32"
        case "QUInt4x2Storage": return "quint4x2"
        case "QUInt2x4Storage": return "quint2x4"
        default: return short.hasSuffix("Storage") ? String(short.dropLast(7)).lowercased() : short
        }
    }

    /// Bytes per element; 1 for names it does not know (so sizes are never overstated).
    public static func itemSize(_ dtype: String) -> UInt64 {
        switch dtype {
        case "float64", "int64", "complex64", "uint64": return 8
        case "complex128": return 16
        case "float32", "int32", "qint32", "uint32": return 4
        case "float16", "bfloat16", "int16", "uint16", "complex32": return 2
        default: return 1
        }
    }
}

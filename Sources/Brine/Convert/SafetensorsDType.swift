/// safetensors' dtype names for PyTorch's (safetensors/src/tensor.rs `Dtype`,
/// safetensors/torch.py `_TYPES`), with their element sizes in bits.
public enum SafetensorsDType {
    /// PyTorch dtype (as `str(dtype)` without `torch.`) → safetensors name.
    public static let fromTorch: [String: String] = [
        "bool": "BOOL", "uint8": "U8", "int8": "I8", "int16": "I16", "uint16": "U16", "float16": "F16",
        "bfloat16": "BF16", "int32": "I32", "uint32": "U32", "float32": "F32", "float64": "F64", "int64": "I64",
        "uint64": "U64", "float8_e4m3fn": "F8_E4M3", "float8_e5m2": "F8_E5M2", "float8_e4m3fnuz": "F8_E4M3FNUZ",
        "float8_e5m2fnuz": "F8_E5M2FNUZ", "float8_e8m0fnu": "F8_E8M0",
        "complex64": "C64",
    ]

    /// Bytes per element of a safetensors dtype this converter writes.
    public static func itemSize(_ name: String) -> Int? {
        guard let bits = SafetensorsReader.dtypeBits[name], bits % 8 == 0 else { return nil }
        return Int(bits / 8)
    }

    /// The safetensors dtype of a PyTorch dtype, or nil when safetensors has none (complex128,
    /// the quantized types).
    public static func of(torch dtype: String) -> (name: String, itemSize: Int)? {
        guard let name = fromTorch[dtype], let size = itemSize(name) else { return nil }
        return (name, size)
    }
}

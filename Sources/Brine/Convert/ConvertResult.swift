/// Something in the input the output cannot hold: a non-tensor value, or a tensor of a dtype
/// the output format has no type for.
public struct ConvertDrop: Codable, Sendable, Equatable {
    /// The path as `brine inspect` prints it.
    public var path: String
    /// What it is: `int`, `collections.OrderedDict`, `tensor of qint8`.
    public var what: String
}

/// One tensor or array written.
public struct ConvertedTensor: Codable, Sendable, Equatable {
    /// Its name in the output (a safetensors key or an npz member without `.npy`).
    public var name: String
    /// Where it was in the input, as `brine inspect` prints paths.
    public var path: String
    /// The output's dtype: `F32`, `BF16` (safetensors) or numpy's `<f8` (npz).
    public var dtype: String
    public var shape: [Int64]
    public var bytes: UInt64
    /// The output file it went to (shards, or the one output).
    public var file: String
}

/// What `brine convert` wrote, dropped and noted.
public struct ConvertResult: Codable, Sendable, Equatable {
    public var input: String
    /// `torch-zip`, `torch-legacy`, `torchscript`, `joblib`, `pickle`.
    public var inputFormat: String
    /// `safetensors` or `npz`.
    public var outputFormat: String
    /// Files written, in order (shards then the index).
    public var outputs: [String]
    public var tensors: [ConvertedTensor]
    public var dropped: [ConvertDrop]
    /// Tied weights and other names written once: alias → the name kept.
    public var aliases: [String: String]
    public var notes: [String]
    /// Data bytes written (tensor or array data, headers excluded).
    public var dataBytes: UInt64
    public var sha256: String
}

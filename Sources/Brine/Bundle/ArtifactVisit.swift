/// What the bundle walker hands to a visitor (`brine check`) for every artifact it reads,
/// with the member path findings name (`model.tar.gz!code/word_dict.pkl`).
public enum ArtifactVisit: Sendable {
    /// A pickle or joblib stream, replayed with the walker's `InspectOptions`.
    case pickle(path: String, inspection: Inspection)
    /// A PyTorch file: its main pickle and the tensors (with their storage locations).
    case torch(path: String, inspection: TorchInspection)
    /// A safetensors, npy, npz, GGUF, ONNX, Keras or HDF5 file: its byte layout and the
    /// reader's findings. Pickles inside it (object arrays) come as `.pickle` visits.
    case layout(path: String, layout: ArtifactLayout)
    /// An artifact Brine recognised but could not read: one line naming member and offset.
    case unreadable(path: String, message: String)
}

extension ArtifactVisit {
    /// Reports a reader's error under the member's name, not the scratch file it was read from.
    static func unreadable(path: String, diskPath: String?, error: any Error) -> ArtifactVisit {
        var message = "\(error)"
        if let diskPath, diskPath != path { message = message.replacing(diskPath, with: path) }
        if !message.hasPrefix(path) { message = "\(path): \(message)" }
        return .unreadable(path: path, message: message)
    }
}

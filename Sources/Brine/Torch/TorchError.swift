import BrineIO

/// The one error type of the PyTorch layer: the zip container, a pickle inside it, or the
/// layout PyTorch gives them.
public enum TorchError: Error, Sendable, CustomStringConvertible {
    case zip(ZipError)
    /// A pickle inside the file; `record` names the zip member (nil for the legacy format,
    /// whose offsets are file offsets).
    case pickle(record: String?, PickleError)
    /// The file is a zip or pickle but not laid out as PyTorch writes it.
    case layout(offset: UInt64, String)

    /// One line even when a record name or metadata text from the file holds a newline.
    public var description: String { escapingControlCharacters(unescapedDescription) }

    private var unescapedDescription: String {
        switch self {
        case .zip(let error): return error.description
        case .pickle(let record?, let error): return "in \(record): \(error)"
        case .pickle(nil, let error): return error.description
        case .layout(let offset, let detail): return "offset \(offset): not a PyTorch file as torch.save writes it: \(detail)"
        }
    }
}

import BrineIO

/// The one error type of the strip layer.
public enum StripError: Error, CustomStringConvertible {
    /// The input could not be read or parsed.
    case input(PickleError)
    /// A PyTorch file's container or layout could not be read.
    case torch(TorchError)
    /// The output could not be written.
    case output(OutputError)
    /// No attribute matched the selection.
    case nothingMatched([String])
    /// `--preset torch-inference` on a PyTorch file without optimizer, scheduler or scaler state.
    case nothingToStrip(file: String, onlyWeights: Bool)
    /// Removing `path` would break a reference to an object inside it from `offset`.
    case refused(path: String, referenceOffset: UInt64, detail: String)
    /// What was written does not read back as the input minus the removed parts.
    case verificationFailed(String)
    /// A request the format cannot honour (an unknown codec, joblib's old ZF writer).
    case unsupported(String)
    /// Internal: a value inside a cut is referenced from outside; a rewrite that knows
    /// which ones (after an analysis run) can write it again.
    case needsAnalysis

    public var description: String {
        switch self {
        case .input(let error): return "\(error)"
        case .torch(let error): return error.description
        case .output(let error): return error.description
        case .nothingMatched(let selectors):
            return "nothing matched \(selectors.joined(separator: ", ")); `brine inspect` shows the paths and classes"
        case .nothingToStrip(let file, let onlyWeights):
            return onlyWeights
                ? "nothing to strip: \(file) holds only model weights (no optimizer/scheduler/scaler state)"
                : "nothing to strip: \(file) holds no optimizer/scheduler/scaler state (what --preset torch-inference removes)"
        case .refused(let path, let offset, let detail):
            return "refused to remove \(path): \(detail) (memo reference at offset \(offset)); nothing was written"
        case .verificationFailed(let detail):
            return "the rewritten file did not verify, nothing was written: \(detail)"
        case .unsupported(let detail):
            return detail
        case .needsAnalysis:
            return "internal: analysis needed"
        }
    }
}

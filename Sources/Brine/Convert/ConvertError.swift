import BrineIO

/// The one error type of `brine convert`: the input's own layers, the output, and what a
/// conversion refuses (each naming the tensor or array and, where the file holds it, the offset).
public enum ConvertError: Error, Sendable, CustomStringConvertible {
    case torch(TorchError)
    case pickle(PickleError)
    case input(InputError)
    case output(OutputError)
    /// Dangerous or unknown globals (BR6xx) and no `--allow-unsafe-input`.
    case unsafeInput([Finding])
    /// `--key` names nothing in the tree; `available` lists the top-level entries.
    case keyNotFound(String, available: [String])
    /// `--strict` and something was dropped.
    case strictDropped([ConvertDrop])
    /// Nothing the output format can hold was found.
    case nothingToConvert(String)
    /// A tensor or array whose description does not fit its data, at `offset` of the file.
    case layout(offset: UInt64, String)
    /// A combination the converter does not write (the input, output format and reason).
    case unsupported(String)

    public var description: String { escapingControlCharacters(unescapedDescription) }

    private var unescapedDescription: String {
        switch self {
        case .torch(let error): return error.description
        case .pickle(let error): return error.description
        case .input(let error): return error.description
        case .output(let error): return error.description
        case .unsafeInput(let findings):
            let codes = Set(findings.map(\.code)).sorted().joined(separator: ", ")
            let first = findings.first.map { " (first: \($0.message))" } ?? ""
            return "refusing to convert: \(findings.count) dangerous or unknown global(s), \(codes)\(first); "
                + "nothing from the file is ever executed, pass --allow-unsafe-input to convert it anyway (brine check lists them)"
        case .keyNotFound(let key, let available):
            return "--key \(key) names nothing in the file; top-level entries: \(available.isEmpty ? "(none)" : available.joined(separator: ", "))"
        case .strictDropped(let drops):
            let names = drops.prefix(5).map(\.path).joined(separator: ", ")
            return "--strict: \(drops.count) non-tensor value(s) would be dropped: \(names)\(drops.count > 5 ? ", …" : "")"
        case .nothingToConvert(let detail): return "nothing to convert: \(detail)"
        case .layout(let offset, let detail): return "offset \(offset): \(detail)"
        case .unsupported(let detail): return detail
        }
    }
}

import ArgumentParser
import Brine
import BrineIO
import Foundation

/// `brine convert IN -o OUT`: the tensors of a PyTorch file as safetensors, the arrays of a
/// joblib file as npz, without Python and without executing anything from the input.
struct ConvertCommand: BrineSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Write the tensors of a PyTorch file as safetensors, or a joblib file's numpy arrays as npz, without unpickling.",
        discussion: """
            OUT's extension picks the output: .safetensors for PyTorch zip, legacy and \
            TorchScript files (pytorch_model.bin among them), .npz for joblib files. Tensor \
            names are the state dict's keys (nested parts joined with dots); tied weights are \
            written once and the other names recorded in __metadata__, as \
            safetensors.torch.save_model does; views are copied out; cuda tensors are written \
            as CPU data. Anything that is not a tensor is listed as dropped. Input that \
            brine check finds dangerous or unknown globals in (BR6xx) is refused unless \
            --allow-unsafe-input: nothing from it is executed either way. Outputs are written \
            atomically; shards all or nothing. See docs/convert.md.

            Exit codes: 0 written, 1 refused (BR6xx input, --strict and something dropped, \
            nothing to convert), 2 unreadable input or unwritable output, 64 usage error.
            """
    )

    @Argument(help: "The PyTorch or joblib file (- reads standard input).")
    var file: String

    @Option(name: .shortAndLong, help: "The output: NAME.safetensors or NAME.npz.")
    var output: String

    @Option(help: ArgumentHelp("Convert only this part: a top-level dict key (model_state_dict) or a path as `brine inspect` prints it (['model_state_dict']).", valueName: "key"))
    var key: String?

    @Option(name: .customLong("shard-size"), help: ArgumentHelp("Write Hugging Face style shards of at most this much tensor data (5GB, 500MiB) and NAME.safetensors.index.json.", valueName: "size"))
    var shardSize: String?

    @Flag(help: "Fail (exit 1, nothing written) when anything would be dropped.")
    var strict = false

    @Flag(name: .customLong("allow-unsafe-input"), help: "Convert input with dangerous or unknown globals (BR6xx) too; it is never executed.")
    var allowUnsafeInput = false

    @Option(help: "Report format: text or json.")
    var format: OutputFormat = .text

    @OptionGroup var limits: LimitOptions

    func validate() throws {
        guard output.hasSuffix(".safetensors") || output.hasSuffix(".npz") else {
            throw ValidationError("-o must end in .safetensors (PyTorch input) or .npz (joblib input)")
        }
        if let shardSize {
            guard let bytes = SizeLimit.parseBytes(shardSize), bytes > 0 else { throw ValidationError("--shard-size must be a size such as 5GB or 500MiB, got '\(shardSize)'") }
            guard output.hasSuffix(".safetensors") else { throw ValidationError("--shard-size applies to .safetensors output") }
        }
    }

    func execute(io: CommandIO) -> ExitStatus {
        var options = ConvertOptions()
        options.key = key
        options.strict = strict
        options.allowUnsafeInput = allowUnsafeInput
        options.shardBytes = shardSize.flatMap(SizeLimit.parseBytes)
        options.inspect = limits.inspect
        options.zip = limits.zip
        options.decompression = limits.decompression
        options.maximumWindow = limits.maximumWindow
        let input: CommandInput
        do { input = try io.open(file, accepts: .artifact, limit: limits.maximumDecompressed) } catch { return error }
        if io.refusesBundle(input, command: "convert", decompression: limits.decompression) { return .unreadableInput }
        if io.refusesOverwriting(input, with: output, remedy: "convert never replaces its input: give another -o") { return .usage }
        let isTorch = (try? TorchInspector.detect(path: input.path)) ?? nil != nil
        if !isTorch, let format = FormatSniffer.sniff(path: input.path) {
            io.report(input.naming(InputError(path: input.path, offset: 0, reason: .unsupportedFormat(what: format.convertRefusal)).description))
            return .unreadableInput
        }
        let toSafetensors = output.hasSuffix(".safetensors")
        guard isTorch == toSafetensors else {
            io.report(isTorch ? "\(input.name): a PyTorch file converts to .safetensors, not .npz"
                              : "\(input.name): a pickle or joblib file's numpy arrays convert to .npz; .safetensors output is for PyTorch files")
            return .usage
        }
        do {
            let result = isTorch
                ? try TorchConverter.convert(input: input.path, output: output, displayName: input.name, options: options)
                : try NpzConverter.convert(input: input.path, output: output, displayName: input.name, options: options)
            io.output.write(format == .json ? encodeJSON(result) : Self.text(result))
            return .success
        } catch {
            switch error {
            case .output(let failure): io.report(failure.description)
            default: io.report("\(input.name): \(input.naming(error.description))")
            }
            switch error {
            case .unsafeInput, .strictDropped, .nothingToConvert, .unsupported: return .findings
            case .keyNotFound: return .usage
            case .torch, .pickle, .input, .output, .layout: return .unreadableInput
            }
        }
    }

    static func text(_ result: ConvertResult) -> String {
        var out = "\(result.input) (\(result.inputFormat)) -> \(result.outputs.joined(separator: ", ")): "
        out += "\(ByteFormat.counted(result.tensors.count, result.outputFormat == "npz" ? "array" : "tensor")), \(ByteFormat.human(result.dataBytes))\n"
        let width = result.tensors.map(\.name.count).max() ?? 0
        for tensor in result.tensors {
            let shape = "[" + tensor.shape.map(String.init).joined(separator: ", ") + "]"
            out += "  \(tensor.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(tensor.dtype) \(shape)  \(ByteFormat.human(tensor.bytes))\n"
        }
        for (alias, kept) in result.aliases.sorted(by: { $0.key < $1.key }) { out += "alias \(alias) -> \(kept) (written once)\n" }
        for drop in result.dropped { out += "dropped \(drop.path): \(drop.what)\n" }
        for note in result.notes { out += "note: \(note)\n" }
        out += "sha256 of the input: \(result.sha256)\n"
        return out
    }
}

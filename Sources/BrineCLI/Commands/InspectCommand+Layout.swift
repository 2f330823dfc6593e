import Brine
import BrineIO

extension InspectCommand {
    /// safetensors, npy, npz, GGUF, ONNX, Keras, HDF5: the grouped tensor tree (or the
    /// tensor list with `--tensors`). A file whose tensors do not tile it is refused (exit 2)
    /// with its first problem; `brine check` lists them all.
    func inspectLayout(_ layout: ArtifactLayout, input: CommandInput, io: CommandIO) throws(InputError) -> ExitStatus {
        if let error = FormatReaders.inspectError(layout, file: input.name) { throw error }
        // The page's treemap already has every tensor as a cell: --tensors --format html is the page.
        if tensors, format != .html {
            switch format {
            case .json: return emit(encodeJSON(LayoutTensorListing(file: input.name, format: layout.format, tensors: layout.tensors)), io: io)
            case .text, .html: return emit(LayoutTensorTable.render(layout, file: input.name), io: io)
            }
        }
        return write(LayoutReportBuilder.build(layout, file: input.name), io: io)
    }
}

/// `brine inspect --tensors --format json` of a non-pickle file.
struct LayoutTensorListing: Encodable {
    var file: String
    var format: String
    var tensors: [LayoutTensor]
}

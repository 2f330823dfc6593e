import Brine
import BrineIO

extension InspectCommand {
    /// safetensors, npy, npz, GGUF, ONNX, Keras, HDF5: the grouped tensor tree (or the
    /// tensor list with `--tensors`). A file whose tensors do not tile it is refused (exit 2)
    /// with its first problem; `brine check` lists them all.
    func inspectLayout(_ layout: ArtifactLayout, io: CommandIO) throws(InputError) -> ExitStatus {
        if let error = FormatReaders.inspectError(layout, file: file) { throw error }
        if tensors {
            switch format {
            case .json: io.output.write(encodeJSON(LayoutTensorListing(file: file, format: layout.format, tensors: layout.tensors)))
            case .text: io.output.write(LayoutTensorTable.render(layout, file: file))
            }
            return .success
        }
        write(LayoutReportBuilder.build(layout, file: file), io: io)
        return .success
    }
}

/// `brine inspect --tensors --format json` of a non-pickle file.
struct LayoutTensorListing: Encodable {
    var file: String
    var format: String
    var tensors: [LayoutTensor]
}

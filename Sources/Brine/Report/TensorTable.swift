/// `brine inspect --tensors` as text: one tensor per line, in pickle order.
public enum TensorTable {
    public static func render(_ inspection: TorchInspection) -> String {
        var out = "\(inspection.path): \(inspection.format.rawValue), \(inspection.tensors.count) tensors\n"
        out += "BYTES       DTYPE     SHAPE            LOCATION  PATH\n"
        for tensor in inspection.tensors {
            var row = pad(ByteFormat.human(tensor.chargedBytes), 10) + "  " + pad(tensor.dtype, 8) + "  "
            row += pad("(" + tensor.shape.map(String.init).joined(separator: ", ") + ")", 15) + "  " + pad(tensor.location, 8) + "  "
            row += tensor.path.isEmpty ? "(root)" : tensor.path
            if let first = tensor.sharesStorageWith { row += "  (storage of \(first))" }
            out += row + "\n"
        }
        return out
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}

import BrineIO

extension BundleChecker {
    /// A safetensors, npy, npz, GGUF, ONNX, Keras or HDF5 file named on the command line:
    /// the reader's findings, and the pickle rules on every pickle inside it (object
    /// arrays). nil for any other file.
    static func checkLayout(path: String, context: CheckContext, options: BundleOptions) throws(InputError) -> Result? {
        var pickleFindings: [Finding] = []
        var unreadable: [String] = []
        var inspect = options.inspect
        inspect.recordsReferences = true
        let handler: FormatReaders.PickleHandler = { (pickle, source) throws(InputError) in
            let name = pickle.member.map { path + "!" + $0 } ?? path
            do throws(PickleError) {
                let inspection = try Inspector.inspect(source: source, name: name, fileBytes: pickle.bytes, options: inspect, maximumWindow: options.maximumWindow,
                                                       onePickle: true)
                pickleFindings += Checker.findings(ArtifactFacts(file: name, inspection: inspection), context: context)
            } catch {
                if case .unreadable(_, let message) = ArtifactVisit.unreadable(path: name, diskPath: nil, error: error) { unreadable.append(message) }
            }
        }
        let layout: ArtifactLayout
        do {
            guard let read = try FormatReaders.read(path: path, pickles: handler) else { return nil }
            layout = read
        } catch {
            return Result(findings: [], artifacts: [path], unreadable: [error.description])
        }
        return Result(findings: FormatReaders.findings(layout, file: path, pickleFindings: pickleFindings), artifacts: [path], unreadable: unreadable)
    }
}

import BrineIO

#if canImport(Glibc)
import Glibc
#endif

/// joblib < 0.10's arrays: the pickle holds an `NDArrayWrapper` (state: `filename`, `subclass`,
/// `allow_mmap`) or a `ZNDArrayWrapper` (state: `filename`, `init_args`, `state`), and the array
/// is in a side file next to the pickle, named by `filename` (joblib/numpy_pickle_compat.py:
/// `NDArrayWrapper.read` loads it with `np.load`, `ZNDArrayWrapper.read` inflates it and
/// calls `__setstate__(self.state + (data,))`). `joblib.load` returns the array, so the
/// report shows the array: its class, and its shape and dtype from the wrapper's `state`
/// (compressed form) or from the side file's .npy header (plain form), read only when the
/// side file is a regular file in the pickle's directory. The side file's bytes are not the
/// pickle's: `dataBytes` counts them, the node's `bytes` stay the wrapper's.
extension SymbolicMachine {
    func resolveSideFileArray(_ target: Int, wrapper: String) {
        var attributes: [String: Edge] = [:]
        for edge in graph.nodes[target].edges {
            if case .attribute(let name) = edge.label { attributes[name] = edge }
        }
        let filename = NumpyModel.unquote(attributes["filename"]?.preview)
        let isCompressed = wrapper.hasSuffix(".ZNDArrayWrapper")
        var className = "numpy.ndarray"
        var info: ArrayInfo?
        if isCompressed {
            // init_args = (subclass, (0,), b'b'); state = (version, shape, dtype, is_fortran).
            if let arguments = attributes["init_args"]?.child, let first = graph.nodes[arguments.index].edges.first,
               first.kind == .global, let name = first.preview {
                className = name
            }
            if let state = attributes["state"]?.child {
                let edges = graph.nodes[state.index].edges
                if edges.count >= 3 {
                    let shape = NumpyModel.integers(of: edges[1], graph: graph)
                    let dtype = edges[2].child.flatMap { dtypes[$0.index] }
                    info = ArrayInfo(shape: shape, dtype: dtype.map { NumpyModel.nativeOrder($0.descr) } ?? "?",
                                     dataBytes: NumpyModel.dataBytes(shape: shape, dtype: dtype), storage: "side file")
                }
            }
        } else {
            if let subclass = attributes["subclass"], subclass.kind == .global, let name = subclass.preview { className = name }
            if let filename, let header = Self.sideFileHeader(named: filename, in: sideFileDirectory) {
                // An object array's header may say `|O8` (numpy 1.6); numpy's dtype is `|O`. joblib
                // (1.3 and up, `_ensure_native_byte_order`) loads a big-endian array as native.
                info = ArrayInfo(shape: header.shape, dtype: header.isObject ? "|O" : NumpyModel.nativeOrder(header.descr),
                                 dataBytes: header.dataBytes ?? 0,
                                 storage: header.isObject ? "objects" : "side file")
            }
        }
        graph.nodes[target].typeName = className
        graph.nodes[target].array = info
        if info == nil, let filename {
            graph.nodes[target].value = "array in side file '\(filename)'" + (isCompressed || sideFileDirectory == nil ? "" : ", which is not beside the pickle")
        }
    }

    /// The .npy header of `name` in `directory`: a plain file name (no `/`, not `.` or `..`)
    /// naming a regular file, read through its header only.
    static func sideFileHeader(named name: String, in directory: String?) -> NpyReader.Header? {
        guard let directory, !name.isEmpty, !name.contains("/"), name != ".", name != ".." else { return nil }
        let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, let file = try? FileSource(path: path) else { return nil }
        return try? NpyReader.readHeader(file)
    }
}

/// The classes joblib pickles in place of a numpy array, by qualified name: the one list
/// inspect, check, strip, diff, decompile, sbom, dis, convert and budget recognise them by.
///
/// - `NumpyArrayWrapper` (joblib ≥ 0.10): the array's bytes follow the wrapper's BUILD in
///   the stream itself (`SymbolicMachine.readJoblibArray` skips them).
/// - `NDArrayWrapper` and `ZNDArrayWrapper` (joblib < 0.10): the array is in a side file
///   (`model.pkl_01.npy`, `.z` when compressed) named by the wrapper's `filename`; the
///   stream is a plain pickle.
///
/// Each under two modules: joblib's own `joblib.numpy_pickle`, and scikit-learn's vendored
/// copy `sklearn.externals.joblib.numpy_pickle` (scikit-learn ≤ 0.20 vendored joblib
/// whole; 0.21 and 0.22 re-export the installed joblib, whose classes pickle as
/// `joblib.…`; 0.23 removed `sklearn.externals.joblib`). Sources: joblib/numpy_pickle.py
/// (`NumpyArrayWrapper`, `NumpyUnpickler.load_build`), joblib/numpy_pickle_compat.py
/// (`NDArrayWrapper`, `ZNDArrayWrapper`), scikit-learn 0.20.4 sklearn/externals/joblib/.
public enum JoblibArrayWrapper {
    /// The modules joblib's pickling code lives in.
    public static let modules = ["joblib.numpy_pickle", "sklearn.externals.joblib.numpy_pickle"]

    /// The class whose array data follows it inline in the stream.
    public static let inlineClass = "NumpyArrayWrapper"
    /// The classes whose array data is in a side file.
    public static let sideFileClasses = ["NDArrayWrapper", "ZNDArrayWrapper"]

    /// Qualified names of the inline wrapper.
    public static let inlineNames: Set<String> = Set(modules.map { $0 + "." + inlineClass })
    /// Qualified names of the side-file wrappers.
    public static let sideFileNames: Set<String> = Set(modules.flatMap { module in sideFileClasses.map { module + "." + $0 } })

    /// Whether `qualifiedName` is the wrapper whose array bytes follow its BUILD.
    @inline(__always)
    public static func isInline(_ qualifiedName: String) -> Bool { inlineNames.contains(qualifiedName) }

    /// Whether `qualifiedName` is any of joblib's array wrappers (a joblib file).
    public static func isWrapper(_ qualifiedName: String) -> Bool {
        inlineNames.contains(qualifiedName) || sideFileNames.contains(qualifiedName)
    }
}

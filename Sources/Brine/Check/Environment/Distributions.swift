/// Which pip distribution provides an import name, for the cases where they differ, and
/// which distributions a declared one brings along (its own requirements), so that
/// `pandas` declared covers the `numpy` its pickles reference.
public enum Distributions {
    /// One row of the import-name table: the distributions that install the top-level
    /// module `importName` (the first is suggested), and where that is written down: the
    /// `top_level.txt` (or, for wheels built without one, the RECORD) of a named release.
    /// Tests/conformance/test_issue26_misc.py checks rows against the real metadata: the
    /// installed test environments' and a pinned sample of wheels (sha256 in
    /// Tests/conformance/distribution_wheels.json).
    public struct ImportRow: Sendable {
        public var importName: String
        public var distributions: [String]
        public var source: String
    }

    public static let importTable: [ImportRow] = [
        ImportRow(importName: "sklearn", distributions: ["scikit-learn"], source: "scikit-learn 1.4.2 wheel, top_level.txt"),
        ImportRow(importName: "skimage", distributions: ["scikit-image"], source: "scikit-image 0.24.0 wheel, RECORD (skimage/)"),
        ImportRow(importName: "PIL", distributions: ["pillow", "pillow-simd"], source: "pillow 13.0.0 wheel, top_level.txt; pillow-simd 9.0.0 sdist, setup.py packages"),
        ImportRow(importName: "cv2", distributions: ["opencv-python", "opencv-python-headless", "opencv-contrib-python", "opencv-contrib-python-headless"],
                  source: "opencv-python 4.10.0.84 wheel, top_level.txt (the three other builds ship the same cv2 package)"),
        ImportRow(importName: "yaml", distributions: ["pyyaml"], source: "PyYAML 6.0.2 wheel, top_level.txt"),
        ImportRow(importName: "bs4", distributions: ["beautifulsoup4"], source: "beautifulsoup4 4.12.3 wheel, RECORD (bs4/)"),
        ImportRow(importName: "dateutil", distributions: ["python-dateutil"], source: "python-dateutil 4.0.0 wheel, top_level.txt"),
        ImportRow(importName: "attr", distributions: ["attrs"], source: "attrs 26.1.0 wheel, RECORD (attr/ and attrs/)"),
        ImportRow(importName: "Crypto", distributions: ["pycryptodome"], source: "pycryptodome 3.21.0 wheel, top_level.txt"),
        ImportRow(importName: "imblearn", distributions: ["imbalanced-learn"], source: "imbalanced-learn 0.12.4 wheel, top_level.txt"),
        ImportRow(importName: "category_encoders", distributions: ["category-encoders"], source: "category_encoders 2.6.4 wheel, top_level.txt"),
        ImportRow(importName: "sentence_transformers", distributions: ["sentence-transformers"], source: "sentence-transformers 3.3.1 wheel, top_level.txt"),
        ImportRow(importName: "umap", distributions: ["umap-learn"], source: "umap-learn 0.5.7 wheel, top_level.txt"),
        ImportRow(importName: "pynndescent", distributions: ["pynndescent"], source: "pynndescent 0.5.13 wheel, top_level.txt"),
        ImportRow(importName: "dotenv", distributions: ["python-dotenv"], source: "python-dotenv 1.0.1 wheel, top_level.txt"),
        ImportRow(importName: "jwt", distributions: ["pyjwt"], source: "PyJWT 2.10.1 wheel, top_level.txt"),
        ImportRow(importName: "fitz", distributions: ["pymupdf"], source: "PyMuPDF 1.24.14 wheel, RECORD (fitz/)"),
        ImportRow(importName: "docx", distributions: ["python-docx"], source: "python-docx 1.1.2 wheel, top_level.txt"),
        // python-Levenshtein >= 0.21 installs no module of its own: it requires levenshtein.
        ImportRow(importName: "Levenshtein", distributions: ["levenshtein"], source: "levenshtein 0.26.1 wheel, RECORD (Levenshtein/)"),
        ImportRow(importName: "google", distributions: ["protobuf"], source: "protobuf 5.28.3 wheel, RECORD (google/protobuf/; google is a namespace other distributions share)"),
        ImportRow(importName: "tensorflow", distributions: ["tensorflow", "tensorflow-cpu"], source: "tensorflow 2.18.0 wheel, top_level.txt"),
        ImportRow(importName: "sklearn_crfsuite", distributions: ["sklearn-crfsuite"], source: "sklearn-crfsuite 0.5.0 wheel, top_level.txt"),
        ImportRow(importName: "pycrfsuite", distributions: ["python-crfsuite"], source: "python-crfsuite 0.9.11 wheel, top_level.txt"),
        ImportRow(importName: "lightgbm", distributions: ["lightgbm"], source: "lightgbm 4.7.0 wheel, RECORD (lightgbm/)"),
        ImportRow(importName: "xgboost", distributions: ["xgboost"], source: "xgboost 2.1.3 wheel, RECORD (xgboost/)"),
        ImportRow(importName: "catboost", distributions: ["catboost"], source: "catboost 1.2.7 wheel, top_level.txt"),
        ImportRow(importName: "torch", distributions: ["torch"], source: "torch 2.15.0 wheel, top_level.txt"),
        ImportRow(importName: "fastai", distributions: ["fastai"], source: "fastai 2.8.12 wheel, top_level.txt"),
        ImportRow(importName: "fastcore", distributions: ["fastcore"], source: "fastcore 2.2.39 wheel, top_level.txt"),
        ImportRow(importName: "cloudpickle", distributions: ["cloudpickle"], source: "cloudpickle 3.1.2 wheel, RECORD (cloudpickle/)"),
        ImportRow(importName: "dill", distributions: ["dill"], source: "dill 0.4.1 wheel, top_level.txt"),
        ImportRow(importName: "joblib", distributions: ["joblib"], source: "joblib 1.4.2 wheel, top_level.txt"),
        ImportRow(importName: "numpy", distributions: ["numpy"], source: "numpy 1.26.4 wheel, RECORD (numpy/)"),
        ImportRow(importName: "scipy", distributions: ["scipy"], source: "scipy 1.13.1 wheel, RECORD (scipy/)"),
        ImportRow(importName: "pandas", distributions: ["pandas"], source: "pandas 2.2.2 wheel, RECORD (pandas/)"),
        ImportRow(importName: "pytz", distributions: ["pytz"], source: "pytz 2026.6 wheel, top_level.txt"),
    ]

    /// Import name (top-level module) → distributions that provide it; the first is suggested.
    static let byImportName: [String: [String]] = Dictionary(
        importTable.map { ($0.importName, $0.distributions) }, uniquingKeysWith: { first, _ in first })

    /// The row that names `topLevel`, with its source.
    public static func row(forImport topLevel: String) -> ImportRow? {
        importTable.first { $0.importName == topLevel }
    }

    /// Distributions each one requires (from their published metadata), one level deep
    /// and closed under repetition by `covering`.
    static let bringsAlong: [String: [String]] = [
        "scikit-learn": ["numpy", "scipy", "joblib", "threadpoolctl"],
        "pandas": ["numpy", "python-dateutil", "pytz", "tzdata"],
        "scipy": ["numpy"],
        "lightgbm": ["numpy", "scipy"],
        "xgboost": ["numpy", "scipy"],
        "catboost": ["numpy", "pandas", "scipy"],
        "imbalanced-learn": ["scikit-learn"],
        "category-encoders": ["scikit-learn", "pandas", "statsmodels"],
        "statsmodels": ["numpy", "scipy", "pandas", "patsy"],
        "fastai": ["torch", "torchvision", "fastcore", "pandas", "scikit-learn", "numpy", "pillow", "fastprogress"],
        "torchvision": ["torch", "numpy", "pillow"],
        "sentence-transformers": ["torch", "transformers", "scikit-learn", "numpy"],
        "transformers": ["numpy", "tokenizers"],
        "umap-learn": ["scikit-learn", "numpy", "scipy", "numba", "pynndescent"],
        "tensorflow": ["numpy"],
        "tensorflow-cpu": ["numpy"],
        "python-dateutil": ["six"],
        // sklearn-crfsuite 0.5.0 METADATA Requires-Dist (0.3.6 had six in place of scikit-learn).
        "sklearn-crfsuite": ["python-crfsuite", "scikit-learn", "tabulate", "tqdm"],
    ]

    /// Candidate distributions for a top-level import name.
    public static func candidates(forImport topLevel: String) -> [String] {
        byImportName[topLevel] ?? [DeclaredDependencies.normalize(topLevel)]
    }

    /// Whether the import name is one Brine knows maps to a distribution.
    public static func isKnown(_ topLevel: String) -> Bool {
        byImportName[topLevel] != nil
    }

    /// Every distribution installed by installing `declared` (transitively, as far as known).
    public static func covering(_ declared: [String]) -> Set<String> {
        var seen = Set<String>()
        var pending = declared.map(DeclaredDependencies.normalize)
        while let next = pending.popLast() {
            guard seen.insert(next).inserted else { continue }
            pending += bringsAlong[next] ?? []
        }
        return seen
    }
}

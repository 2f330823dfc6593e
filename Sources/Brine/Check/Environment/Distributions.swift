/// Which pip distribution provides an import name, for the cases where they differ, and
/// which distributions a declared one brings along (its own requirements), so that
/// `pandas` declared covers the `numpy` its pickles reference.
/// Names from each project's PyPI page / install docs.
public enum Distributions {
    /// Import name (top-level module) → distributions that provide it; the first is suggested.
    static let byImportName: [String: [String]] = [
        "sklearn": ["scikit-learn"],
        "skimage": ["scikit-image"],
        "PIL": ["pillow", "pillow-simd"],
        "cv2": ["opencv-python", "opencv-python-headless", "opencv-contrib-python", "opencv-contrib-python-headless"],
        "yaml": ["pyyaml"],
        "bs4": ["beautifulsoup4"],
        "dateutil": ["python-dateutil"],
        "attr": ["attrs"],
        "Crypto": ["pycryptodome"],
        "imblearn": ["imbalanced-learn"],
        "category_encoders": ["category-encoders"],
        "sentence_transformers": ["sentence-transformers"],
        "umap": ["umap-learn"],
        "dotenv": ["python-dotenv"],
        "jwt": ["pyjwt"],
        "fitz": ["pymupdf"],
        "docx": ["python-docx"],
        "Levenshtein": ["levenshtein", "python-levenshtein"],
        "google": ["protobuf"],
        "tensorflow": ["tensorflow", "tensorflow-cpu"],
        "sklearn_crfsuite": ["sklearn-crfsuite"],
        "lightgbm": ["lightgbm"],
        "xgboost": ["xgboost"],
        "catboost": ["catboost"],
        "torch": ["torch"],
        "fastai": ["fastai"],
        "fastcore": ["fastcore"],
        "cloudpickle": ["cloudpickle"],
        "dill": ["dill"],
        "joblib": ["joblib"],
        "numpy": ["numpy"],
        "scipy": ["scipy"],
        "pandas": ["pandas"],
        "pytz": ["pytz"],
    ]

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
        "umap-learn": ["scikit-learn", "numpy", "scipy"],
        "tensorflow": ["numpy"],
        "tensorflow-cpu": ["numpy"],
        "python-dateutil": ["six"],
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

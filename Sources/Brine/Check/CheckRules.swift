/// The rules of `brine check`, by stable code. docs/checks.md has an entry for each;
/// codes are never reused. Families: 1xx loading, 2xx versions, 3xx platform,
/// 4xx data hygiene, 5xx privacy, 6xx security, 8xx tensor formats (`LayoutRules`).
public enum CheckRules {
    static func rule(_ code: String, _ name: String, _ summary: String, security: Bool = false) -> FindingRule {
        FindingRule(code: code, name: name, summary: summary, helpPath: "docs/checks.md#\(code.lowercased())", isSecurity: security)
    }

    public static let mainModule = rule("BR101", "main-module-reference",
        "The artifact references a function or class defined in __main__, which the server will not have.")
    public static let unresolvedModule = rule("BR102", "unresolved-module",
        "A module the artifact imports is neither in the application, the standard library nor a declared dependency.")
    public static let undeclaredDependency = rule("BR103", "undeclared-dependency",
        "A module the artifact imports comes from a distribution the requirements do not declare.")
    public static let missingName = rule("BR104", "missing-name",
        "A module of the application exists but does not define the name the artifact needs.")
    public static let sklearnVersion = rule("BR201", "sklearn-version-skew",
        "The scikit-learn version the artifact was pickled with is not the one pinned.")
    public static let numpy2 = rule("BR202", "numpy2-pickle",
        "The artifact was pickled with numpy 2 (numpy._core) and cannot load under numpy 1.x.")
    public static let byValueCode = rule("BR203", "by-value-code",
        "Functions or classes are pickled by value (cloudpickle, dill): bytecode bound to one CPython minor version.")
    public static let platformPath = rule("BR301", "platform-path",
        "A pathlib.PosixPath or WindowsPath is pickled; it cannot be instantiated on the other platform.")
    public static let deviceStorage = rule("BR302", "device-storage",
        "Tensors were saved on a device other than the CPU; loading needs map_location on a CPU-only server.")
    public static let paddedCategory = rule("BR401", "padded-category",
        "Learned categories or vocabulary entries start or end with whitespace, so clean serving input never matches them.")
    public static let stopWords = rule("BR501", "stop-words-present",
        "TfidfVectorizer/CountVectorizer stop_words_ is pickled: it holds tokens from the training data (CVE-2024-5206).")
    public static let dangerousGlobal = rule("BR601", "dangerous-global",
        "The artifact calls or references a callable that can run code or touch the system when it is loaded.", security: true)
    public static let unknownGlobal = rule("BR602", "unknown-global",
        "The artifact references a global outside the well-known ML libraries; review it before loading.", security: true)

    public static let all: [FindingRule] = [
        mainModule, unresolvedModule, undeclaredDependency, missingName, sklearnVersion, numpy2, byValueCode,
        platformPath, deviceStorage, paddedCategory, stopWords, dangerousGlobal, unknownGlobal,
    ] + LayoutRules.all
}

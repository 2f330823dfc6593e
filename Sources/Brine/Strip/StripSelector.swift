/// What to strip: a class's attribute, a path as `brine inspect` prints it, or a preset.
public enum StripSelector: Sendable, Equatable, CustomStringConvertible {
    /// `TfidfVectorizer.stop_words_` or `sklearn.feature_extraction.text.TfidfVectorizer.stop_words_`.
    case classAttribute(className: String, attribute: String)
    /// `steps[0][1].stop_words_`, `['optimizer']`.
    case path(String)
    /// The built-in training-only rules (docs/strip-rules.md).
    case deployPreset
    /// Top-level checkpoint keys only resuming training reads (`optimizer_state_dict`, …; docs/strip-rules.md).
    case torchInferencePreset

    /// Parses a `--remove` argument: a path when it contains `[` or starts with one, else
    /// `Class.attribute` when the part before the last dot names a class (starts upper-case),
    /// else a path of attributes.
    public init(parsing text: String) {
        if text.contains("[") {
            self = .path(text)
            return
        }
        let parts = text.split(separator: ".")
        if parts.count >= 2, let classPart = parts.dropLast().last, classPart.first?.isUppercase == true {
            self = .classAttribute(className: parts.dropLast().joined(separator: "."), attribute: String(parts.last!))
        } else {
            self = .path(text)
        }
    }

    public var description: String {
        switch self {
        case .classAttribute(let className, let attribute): "\(className).\(attribute)"
        case .path(let path): path
        case .deployPreset: "--preset deploy"
        case .torchInferencePreset: "--preset torch-inference"
        }
    }

    /// Whether the attribute or key at `path`, held by an object of `parentType`, is selected.
    func matches(path: String, parentType: String?, label: EdgeLabel) -> Bool {
        switch self {
        case .path(let wanted):
            return wanted == path
        case .classAttribute(let className, let attribute):
            guard case .attribute(let name) = label, name == attribute, let parentType else { return false }
            return parentType == className || parentType.hasSuffix("." + className)
        case .deployPreset:
            guard case .attribute(let name) = label else { return false }
            return TrainingOnlyRule.matching(typeName: parentType, attribute: name) != nil
        case .torchInferencePreset:
            // Only keys of the top-level dict: a nested 'optimizer' is someone's own data.
            guard case .key(let name) = label, path == "[\(PythonRepr.reprStr(name.unicodeScalars.map(\.value)))]" else { return false }
            return TorchTrainingKeyRule.matching(key: name) != nil
        }
    }
}

/// BR401: learned vocabularies whose strings carry leading or trailing whitespace, most
/// often from a CSV read with `sep=', '` mishandled or an unstripped column. The encoder
/// learned `' red'`; serving sends `'red'`, which is unknown (an error, or all zeros with
/// `handle_unknown='ignore'`).
struct HygieneRule: CheckRule {
    /// Attributes that hold learned categories or vocabularies.
    static let vocabularies: Set<String> = [
        "categories_", "classes_", "vocabulary_", "vocabulary", "categories", "mapping_", "mapping", "feature_names_in_",
        "stoi", "itos", "vocab", "classes", "labels_", "class_names", "word_index", "index_word",
    ]

    func findings(_ facts: ArtifactFacts, _ context: CheckContext) -> [Finding] {
        facts.padded.compactMap { entry in
            guard let path = entry.path, let attribute = Self.nearestAttribute(path), Self.vocabularies.contains(attribute) else { return nil }
            let strings = entry.strings
            let shown = strings.examples.joined(separator: ", ") + (strings.count > UInt64(strings.examples.count) ? ", …" : "")
            return Finding(
                rule: CheckRules.paddedCategory, severity: .warning,
                message: "\(ByteFormat.counted(strings.count, "value")) in `\(Self.display(path))` \(strings.count == 1 ? "starts or ends" : "start or end") with whitespace: \(shown)",
                explanation: "The model learned these strings with the whitespace in them. Input cleaned the usual way (`' red'.strip()`) never matches them: an encoder then raises on unknown categories or, with handle_unknown='ignore', silently encodes all zeros.",
                fix: "Strip the column before fitting (`df[col] = df[col].str.strip()`, or `skipinitialspace=True` in `pd.read_csv`) and retrain.",
                location: FindingLocation(file: facts.file, treePath: Self.display(path)))
        }.sorted { ($0.location.treePath ?? "") < ($1.location.treePath ?? "") }
    }

    /// `steps[0][1].categories_[0].__setstate__` → `categories_`.
    static func nearestAttribute(_ path: String) -> String? {
        let parts = path.split(separator: ".").map { $0.prefix { $0 != "[" } }.map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("__") }
        return parts.last
    }

    /// Paths without the machinery steps a user never typed.
    static func display(_ path: String) -> String {
        path.replacingAll(".__setstate__", "").replacingAll(".__reduce_args__", "")
    }
}

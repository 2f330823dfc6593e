/// BR501: scikit-learn < 1.5 pickles `stop_words_` in CountVectorizer and TfidfVectorizer:
/// every token cut by max_df/min_df/max_features, i.e. words from the training data
/// (names, identifiers, secrets). CVE-2024-5206; removed in scikit-learn 1.5.
struct PrivacyRule: CheckRule {
    func findings(_ facts: ArtifactFacts, _ context: CheckContext) -> [Finding] {
        facts.attributes.compactMap { attribute in
            guard attribute.name == "stop_words_", attribute.edge.kind != .none else { return nil }
            let count = attribute.child?.itemCount ?? 0
            guard count > 0 else { return nil }
            return Finding(
                rule: CheckRules.stopWords, severity: .warning,
                message: "`\(attribute.path)` holds \(ByteFormat.counted(count, "token")) from the training data",
                explanation: "CountVectorizer/TfidfVectorizer before scikit-learn 1.5 keep in `stop_words_` every term dropped by max_df, min_df or max_features. Those are words of the training documents, possibly personal or secret data, shipped to wherever the model goes (CVE-2024-5206). Prediction never reads the attribute.",
                fix: "Run `brine strip --preset deploy` (or `del vectorizer.stop_words_` before pickling), or upgrade to scikit-learn ≥ 1.5.",
                location: FindingLocation(file: facts.file, treePath: attribute.path))
        }
    }
}

/// An attribute that prediction never reads, with the source that says so. Shared by
/// `brine inspect` (which marks them) and `brine strip --preset deploy` (which removes them).
public struct TrainingOnlyRule: Sendable, Equatable {
    /// Qualified class names the rule applies to.
    public var classes: [String]
    public var attribute: String
    /// Why prediction does not need it, in the words users know.
    public var reason: String
    /// Where that is documented.
    public var source: String

    /// The rule for `attribute` of an object of class `typeName`, if any.
    public static func matching(typeName: String?, attribute: String) -> TrainingOnlyRule? {
        guard let typeName else { return nil }
        return builtIn.first { $0.attribute == attribute && $0.classes.contains(typeName) }
    }

    public static let builtIn: [TrainingOnlyRule] = [
        TrainingOnlyRule(
            classes: [
                "sklearn.feature_extraction.text.CountVectorizer",
                "sklearn.feature_extraction.text.TfidfVectorizer",
            ],
            attribute: "stop_words_",
            reason: "terms ignored during fitting, kept only for introspection; it can be large and leaks training text (CVE-2024-5206)",
            source: "scikit-learn 1.4 CountVectorizer docs: \"provided only for introspection and can be safely removed using delattr or set to None before pickling\"; removed in 1.5"
        ),
        TrainingOnlyRule(
            classes: [
                "sklearn.model_selection._search.GridSearchCV",
                "sklearn.model_selection._search.RandomizedSearchCV",
                "sklearn.model_selection._search_successive_halving.HalvingGridSearchCV",
                "sklearn.model_selection._search_successive_halving.HalvingRandomSearchCV",
            ],
            attribute: "cv_results_",
            reason: "cross-validation scores of every candidate; predict/transform delegate to best_estimator_",
            source: "scikit-learn BaseSearchCV.predict/transform call self.best_estimator_ (sklearn/model_selection/_search.py); cv_results_ is documented as a results table"
        ),
    ]
}

import BrineIO

/// `brine inspect` of a directory, tar or zip bundle: the walker's member tree with every
/// artifact's whole inspect report on its member (see docs/json-schema.md, "Bundles").
public struct BundleReport: Codable, Sendable, Equatable {
    public var schemaVersion = InspectReport.schemaVersion
    public var file: String
    /// Always `bundle`, so consumers tell this document from a single file's report.
    public var format = "bundle"
    public var root: BundleMember
    /// Hugging Face model folders in the bundle (a folder with config.json beside weights).
    public var huggingFace: [HuggingFaceModel]? = nil

    /// Walks `path` with `options` (its limits apply at every nesting level), keeping reports.
    public static func inspect(path: String, options: BundleOptions) throws(InputError) -> BundleReport {
        var options = options
        options.keepsReports = true
        let walker = BundleWalker(options: options)
        var root = try walker.walk(path: path, followsLink: true)
        root.dropFlattenedAttributes()
        var report = BundleReport(file: path, root: root)
        let models = HuggingFaceFolders.analyze(root, json: walker.capturedJSON, tensors: [:]).models
        if !models.isEmpty { report.huggingFace = models }
        return report
    }
}

extension BundleMember {
    /// The report holds the attributes; the flattened copy would only repeat them.
    mutating func dropFlattenedAttributes() {
        if report != nil { attributes = nil }
        for index in children.indices { children[index].dropFlattenedAttributes() }
    }

    /// The member's name inside `bundle` (`word_dict.pkl`, `inner.tar.gz!model.pkl`).
    public func name(relativeTo bundle: String) -> String {
        guard path.count > bundle.count, path.hasPrefix(bundle) else { return path }
        return String(path.dropFirst(bundle.count).drop { $0 == "!" || $0 == "/" })
    }
}

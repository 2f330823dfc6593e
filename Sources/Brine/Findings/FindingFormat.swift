import Foundation

/// The formats every findings-producing command writes. The names are part of the CLI contract.
public enum FindingFormat: String, CaseIterable, Sendable {
    /// For people at a terminal.
    case text
    /// Stable, sorted keys (docs/checks.md, "JSON").
    case json
    /// One JSON object per artifact per line (docs/json-schema.md, "JSON Lines").
    case jsonl
    /// SARIF 2.1.0, uploadable to GitHub code scanning.
    case sarif
    /// JUnit XML for CI test reports (GitLab, Jenkins, Azure).
    case junit
    /// GitHub Actions workflow commands (`::error file=…::`), shown inline on the PR.
    case github
    /// A Markdown summary to post as a pull-request comment.
    case markdown

    /// Renders `report`. `toolVersion` goes into SARIF; `repositoryRoot`, when given, makes
    /// absolute file paths relative (SARIF and GitHub annotations expect repository paths).
    public func render(_ report: FindingReport, toolVersion: String, repositoryRoot: String? = nil) -> String {
        let paths = PathRelativizer(root: repositoryRoot)
        switch self {
        case .text: return TextFindingRenderer().render(report)
        case .json: return JSONFindingRenderer().render(report, toolVersion: toolVersion)
        case .jsonl: return JSONLinesFindingRenderer().render(report, toolVersion: toolVersion)
        case .sarif: return SARIFRenderer(paths: paths).render(report, toolVersion: toolVersion)
        case .junit: return JUnitRenderer().render(report)
        case .github: return GitHubAnnotationRenderer(paths: paths).render(report)
        case .markdown: return MarkdownRenderer().render(report)
        }
    }
}

/// Repository-relative paths for formats read by code hosts.
struct PathRelativizer {
    var root: String?

    func relative(_ path: String) -> String {
        var path = path
        if let root, !root.isEmpty {
            let prefix = root.hasSuffix("/") ? root : root + "/"
            if path.hasPrefix(prefix) { path = String(path.dropFirst(prefix.count)) }
        }
        while path.hasPrefix("./") { path = String(path.dropFirst(2)) }
        return path
    }
}

/// Where the docs of a rule live on the web, for SARIF `helpUri` and Markdown links. The
/// project's public address is not fixed yet, so it comes from `BRINE_DOCS_URL` (e.g.
/// `https://github.com/ORG/brine/blob/main`); without it reports name the docs file
/// (`docs/checks.md#br101` in Brine's repository) and carry no link.
public enum FindingDocs {
    public static var baseURL: String? {
        guard let value = getenv("BRINE_DOCS_URL").map({ String(cString: $0) }), !value.isEmpty else { return nil }
        return value.hasSuffix("/") ? String(value.dropLast()) : value
    }

    public static func url(_ rule: FindingRule) -> String? {
        baseURL.map { "\($0)/\(rule.helpPath)" }
    }
}

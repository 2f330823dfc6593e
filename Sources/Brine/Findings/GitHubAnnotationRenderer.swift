/// GitHub Actions workflow commands: `::error file=F,title=T::message`, one per finding,
/// shown on the pull request's files and in the run summary.
/// https://docs.github.com/en/actions/using-workflows/workflow-commands-for-github-actions
struct GitHubAnnotationRenderer {
    var paths: PathRelativizer

    func render(_ report: FindingReport) -> String {
        var out = ""
        for finding in report.findings {
            let command = switch finding.severity {
            case .error: "error"
            case .warning: "warning"
            case .info: "notice"
            }
            let title = "\(finding.code) \(finding.rule.name)"
            var message = finding.message
            if let path = finding.location.treePath, !path.isEmpty { message += "\nat \(path)" }
            if let fix = finding.fix { message += "\nfix: \(fix)" }
            out += "::\(command) file=\(property(paths.relative(finding.location.file))),title=\(property(title))::\(data(message))\n"
        }
        return out
    }

    /// Escaping of the message part (the runner's `escapeData`).
    private func data(_ text: String) -> String {
        text.replacingAll("%", "%25").replacingAll("\r", "%0D").replacingAll("\n", "%0A")
    }

    /// Escaping of property values (the runner's `escapeProperty`).
    private func property(_ text: String) -> String {
        data(text).replacingAll(":", "%3A").replacingAll(",", "%2C")
    }
}

extension String {
    func replacingAll(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

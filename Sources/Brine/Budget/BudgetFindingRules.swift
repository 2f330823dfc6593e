/// Budget results as findings for the shared formatters (sarif, junit, github, markdown).
/// Codes BR7xx belong to budgets (checks use BR1xx–BR6xx); never reuse one.
extension BudgetFinding {
    struct Rule {
        var rule: FindingRule
        var explanation: String
        var fix: String?
    }

    static let rules: [String: Rule] = {
        func rule(_ code: String, _ name: String, _ summary: String, _ explanation: String, _ fix: String?, security: Bool = false) -> (String, Rule) {
            (name, Rule(rule: FindingRule(code: code, name: name, summary: summary, helpPath: "docs/budgets.md#findings-and-exit-codes", isSecurity: security),
                        explanation: explanation, fix: fix))
        }
        return Dictionary(uniqueKeysWithValues: [
            rule("BR701", "budget-over", "The deploy is over its size limit",
                 "The platform measures this size (compressed or not, as the preset says) and refuses the deploy above the limit.",
                 "Run `brine repack` on the largest artifacts, add what the app does not need at run time to .slugignore, or choose lighter dependencies."),
            rule("BR702", "budget-warn", "The deploy is past the platform's warning size",
                 "The platform still accepts it, but warns that boot and deploy times suffer.",
                 "Shrink the largest contributors listed in the report."),
            rule("BR703", "budget-file-over", "A file is over its budget in brine.toml",
                 "brine.toml sets a size budget for files matching this glob; this file grew past it.",
                 "Run the `brine repack` command in the message, or raise the budget in brine.toml if the growth is intended."),
            rule("BR711", "heavy-torch-cuda", "The CUDA build of torch on a CPU-only platform",
                 "PyPI's default torch wheel for Linux pulls the CUDA libraries (nvidia-* wheels), hundreds of MB a CPU-only platform never uses.",
                 "pip install torch --index-url https://download.pytorch.org/whl/cpu"),
            rule("BR712", "heavy-tensorflow", "tensorflow where tensorflow-cpu would do",
                 "The tensorflow package includes GPU support; tensorflow-cpu has the same API and is smaller.",
                 "Depend on tensorflow-cpu on CPU-only platforms."),
            rule("BR713", "heavy-opencv-gui", "opencv-python with GUI libraries on a server",
                 "opencv-python bundles GUI (Qt/GTK) support; the headless package has the same cv2 module without it.",
                 "Depend on opencv-python-headless (or opencv-contrib-python-headless)."),
            rule("BR721", "bundle-unsafe-path", "An archive member would be written outside the extraction directory",
                 "Its name is absolute, contains '..', or it is a link leading out; extracting it naively can overwrite files elsewhere (path traversal). Brine never extracts.",
                 "Rebuild the archive with relative member names.", security: true),
            (LayoutRules.entries["duplicate-weights"]!.rule.name, Rule(
                rule: LayoutRules.entries["duplicate-weights"]!.rule, explanation: LayoutRules.entries["duplicate-weights"]!.explanation,
                fix: LayoutRules.entries["duplicate-weights"]!.fix)),
            rule("BR731", "training-only", "An attribute prediction never reads",
                 "It is kept only for training or introspection and takes room in every deploy.",
                 "brine strip --preset deploy (scikit-learn) or --preset torch-inference (PyTorch)."),
        ])
    }()

    /// The same result as a shared `Finding`.
    public var finding: Finding {
        let known = Self.rules[code]
        let rule = known?.rule ?? FindingRule(code: "BR799", name: code, summary: code, helpPath: "docs/budgets.md")
        let level: Brine.Severity = switch severity {
        case .error: .error
        case .warning: .warning
        case .note: .info
        }
        return Finding(rule: rule, severity: level, message: message, explanation: known?.explanation ?? "",
                       fix: known?.fix, location: FindingLocation(file: file, treePath: treePath))
    }
}

extension BudgetResult {
    /// Every finding of the run for the shared formatters; inputs are the measured paths,
    /// the files with a budget and every file a finding names.
    public func findingReport(failOn: Severity = .error) -> FindingReport {
        var inputs = Set(paths.isEmpty ? [] : [paths.joined(separator: " ")])
        for budget in fileBudgets { inputs.insert(budget.path) }
        for finding in findings { inputs.insert(finding.file) }
        return FindingReport(command: "budget", inputs: inputs.sorted(), findings: findings.map(\.finding), failOn: failOn)
    }
}

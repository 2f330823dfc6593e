/// Findings for a terminal: grouped by file, worst first, explanation and fix indented.
struct TextFindingRenderer {
    func render(_ report: FindingReport) -> String {
        var out = ""
        var currentFile: String?
        for finding in report.findings {
            if finding.location.file != currentFile {
                if currentFile != nil { out += "\n" }
                currentFile = finding.location.file
                out += "\(finding.location.file)\n"
            }
            let severity = finding.severity.rawValue.padding(7)
            out += "  \(severity) \(finding.code)  \(finding.message)\n"
            if let path = finding.location.treePath, !path.isEmpty {
                out += "          at \(path)\n"
            }
            for line in wrap(finding.explanation, width: 86) { out += "          \(line)\n" }
            if let fix = finding.fix {
                let lines = wrap(fix, width: 81)
                for (index, line) in lines.enumerated() { out += (index == 0 ? "          fix: " : "               ") + line + "\n" }
            }
        }
        if !report.findings.isEmpty { out += "\n" }
        out += "\(report.checkedLine): \(report.summaryLine)\n"
        return out
    }
}

/// Greedy word wrap; a word longer than the width gets a line of its own.
func wrap(_ text: String, width: Int) -> [String] {
    var lines: [String] = []
    for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
        var line = ""
        for word in paragraph.split(separator: " ") {
            if line.isEmpty { line = String(word) } else if line.count + 1 + word.count <= width { line += " " + word } else {
                lines.append(line)
                line = String(word)
            }
        }
        lines.append(line)
    }
    return lines
}

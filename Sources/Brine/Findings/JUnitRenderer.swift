/// JUnit XML: one test suite per input file, one test case per finding (a failure when at or
/// above `--fail-on`, passing with the text in `system-out` below it), and one passing case
/// for a clean file, so CI dashboards count every artifact checked.
struct JUnitRenderer {
    func render(_ report: FindingReport) -> String {
        var suites = ""
        var totalTests = 0, totalFailures = 0
        for input in report.inputs {
            let findings = report.findings.filter { $0.location.file == input }
            var cases = ""
            var failures = 0
            if findings.isEmpty {
                cases += "    <testcase classname=\"\(xml(input))\" name=\"brine \(xml(report.command))\"/>\n"
            }
            for finding in findings {
                let name = "\(finding.code) \(finding.rule.name)" + (finding.location.treePath.map { " at \($0)" } ?? "")
                cases += "    <testcase classname=\"\(xml(input))\" name=\"\(xml(name))\">\n"
                var body = finding.explanation
                if let fix = finding.fix { body += "\nFix: \(fix)" }
                if finding.severity >= report.failOn {
                    failures += 1
                    cases += "      <failure message=\"\(xml(finding.message))\" type=\"\(finding.severity.rawValue)\">\(xml(body))</failure>\n"
                } else {
                    cases += "      <system-out>\(xml("\(finding.severity.rawValue): \(finding.message)\n\(body)"))</system-out>\n"
                }
                cases += "    </testcase>\n"
            }
            let tests = max(findings.count, 1)
            totalTests += tests
            totalFailures += failures
            suites += "  <testsuite name=\"\(xml(input))\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"0\" skipped=\"0\">\n"
            suites += cases
            suites += "  </testsuite>\n"
        }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<testsuites name=\"brine \(xml(report.command))\" tests=\"\(totalTests)\" failures=\"\(totalFailures)\" errors=\"0\">\n"
            + suites + "</testsuites>\n"
    }
}

/// XML text and attribute escaping; characters XML 1.0 cannot carry become U+FFFD.
func xml(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
        default:
            if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                out += "\u{FFFD}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out
}

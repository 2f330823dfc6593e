import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Brine

@Suite struct FindingFormatTests {
    static let rule = FindingRule(code: "BR101", name: "main-module-reference", summary: "A global lives in __main__.",
                                  helpPath: "docs/checks.md#br101")
    static let security = FindingRule(code: "BR601", name: "dangerous-call", summary: "Code runs at load.",
                                      helpPath: "docs/checks.md#br601", isSecurity: true)

    static func report(failOn: Severity = .error) -> FindingReport {
        FindingReport(command: "check", inputs: ["/repo/models/a.pkl", "/repo/models/clean.pkl"], findings: [
            Finding(rule: rule, severity: .warning, message: "uses __main__.f, 50% of \"x\" <y> & z", explanation: "Line one\nline two",
                    fix: "move it, then re-pickle", location: FindingLocation(file: "/repo/models/a.pkl", treePath: "steps[0][1].f", offset: 12)),
            Finding(rule: security, severity: .error, message: "calls os.system", explanation: "Runs a shell.", fix: nil,
                    location: FindingLocation(file: "/repo/models/a.pkl", treePath: nil)),
        ], failOn: failOn)
    }

    @Test func orderIsWorstFirstAndCountsAreRight() {
        let report = Self.report()
        #expect(report.findings.map(\.code) == ["BR601", "BR101"])
        #expect(report.fails)
        #expect(report.summaryLine == "1 error, 1 warning, 0 notes")
        #expect(!FindingReport(command: "check", inputs: [], findings: Array(report.findings.suffix(1))).fails)
        #expect(FindingReport(command: "check", inputs: [], findings: Array(report.findings.suffix(1)), failOn: .warning).fails)
    }

    @Test func sarifHasWhatCodeScanningRequires() throws {
        let text = FindingFormat.sarif.render(Self.report(), toolVersion: "0.1.0", repositoryRoot: "/repo")
        let log = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(log["version"] as? String == "2.1.0")
        #expect((log["$schema"] as? String)?.contains("sarif-2.1.0") == true)
        let run = try #require((log["runs"] as? [[String: Any]])?.first)
        let driver = try #require((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
        let rules = try #require(driver["rules"] as? [[String: Any]])
        #expect(rules.map { $0["id"] as? String } == ["BR101", "BR601"])
        let properties = try #require(rules[1]["properties"] as? [String: Any])
        #expect(properties["security-severity"] as? String == "9.3")
        let results = try #require(run["results"] as? [[String: Any]])
        #expect(results.count == 2)
        #expect(results[0]["ruleId"] as? String == "BR601")
        #expect(results[0]["ruleIndex"] as? Int == 1)
        #expect(results[1]["level"] as? String == "warning")
        let location = try #require((results[1]["locations"] as? [[String: Any]])?.first)
        let physical = try #require(location["physicalLocation"] as? [String: Any])
        #expect((physical["artifactLocation"] as? [String: Any])?["uri"] as? String == "models/a.pkl")
        #expect((physical["region"] as? [String: Any])?["startLine"] as? Int == 1)
        #expect(((location["logicalLocations"] as? [[String: Any]])?.first?["fullyQualifiedName"] as? String) == "steps[0][1].f")
        // Same input, same bytes: fingerprints are stable.
        #expect(text == FindingFormat.sarif.render(Self.report(), toolVersion: "0.1.0", repositoryRoot: "/repo"))
    }

    @Test func junitIsWellFormedAndCountsFailuresAtTheThreshold() throws {
        for (failOn, failures) in [(Severity.error, "1"), (.warning, "2")] {
            let text = FindingFormat.junit.render(Self.report(failOn: failOn), toolVersion: "0.1.0")
            let document = try XMLDocument(data: Data(text.utf8))
            let root = try #require(document.rootElement())
            #expect(root.attribute(forName: "failures")?.stringValue == failures)
            #expect(root.attribute(forName: "tests")?.stringValue == "3")
            #expect(try document.nodes(forXPath: "//testcase").count == 3)
        }
    }

    @Test func githubAnnotationsEscapeDataAndProperties() {
        let text = FindingFormat.github.render(Self.report(), toolVersion: "0.1.0", repositoryRoot: "/repo")
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0] == "::error file=models/a.pkl,title=BR601 dangerous-call::calls os.system")
        #expect(lines[1] == "::warning file=models/a.pkl,title=BR101 main-module-reference::uses __main__.f, 50%25 of \"x\" <y> & z%0Aat steps[0][1].f%0Afix: move it, then re-pickle")
    }

    @Test func markdownHasATableRowPerFindingAndEachRuleExplainedOnce() {
        let text = FindingFormat.markdown.render(Self.report(), toolVersion: "0.1.0")
        #expect(text.hasPrefix("### ❌ brine check: 1 error, 1 warning, 0 notes\n"))
        #expect(text.components(separatedBy: "\n| ").count - 1 == 3)
        #expect(text.components(separatedBy: "<details>").count - 1 == 2)
        #expect(text.contains("**Fix:** move it, then re-pickle"))
    }

    @Test func textAndJSONAreDeterministic() throws {
        let text = FindingFormat.text.render(Self.report(), toolVersion: "0.1.0")
        #expect(text.hasSuffix("2 files checked: 1 error, 1 warning, 0 notes\n"))
        #expect(text.contains("  error   BR601  calls os.system\n"))
        let json = FindingFormat.json.render(Self.report(), toolVersion: "0.1.0")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect((object["counts"] as? [String: Int]) == ["error": 1, "warning": 1, "info": 0])
        #expect((object["findings"] as? [[String: Any]])?.first?["code"] as? String == "BR601")
    }
}

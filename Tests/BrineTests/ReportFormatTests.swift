import Foundation
import Testing
@testable import Brine

/// `--format html` and `--format markdown` of inspect, budget and diff, and the default text
/// view of inspect. The browser half of the HTML checks is Tests/browser.
@Suite struct ReportFormatTests {
    @Test func diffMarkdownIsAPullRequestComment() throws {
        let tar = runBrineInRepository(["diff", "fixtures/bundles/sagemaker/model.tar.gz", "fixtures/bundles/sagemaker/model-v2.tar.gz", "--format", "markdown"])
        #expect(tar.status == 0)
        #expect(tar.output == (try Repository.golden("diff-sagemaker.md")))
        let pickles = runBrineInRepository(["diff", "fixtures/pickle/proto_tfidf_p4.pkl", "fixtures/pickle/sklearn_tfidf_p4.pkl", "--format", "markdown", "--top", "3"])
        #expect(pickles.output == (try Repository.golden("diff-tfidf.md")))
        // The total row is the JSON report's totals; the top rows are its first changes.
        let json = runBrineInRepository(["diff", "fixtures/pickle/proto_tfidf_p4.pkl", "fixtures/pickle/sklearn_tfidf_p4.pkl", "--format", "json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let changes = try #require(report["changes"] as? [[String: Any]])
        #expect(pickles.output.contains("| **Total** | \(ByteFormat.human(report["oldBytes"] as! UInt64)) | \(ByteFormat.human(report["newBytes"] as! UInt64)) |"))
        #expect(pickles.output.contains("<details><summary>All \(changes.count) changes</summary>"))
        let top = pickles.output.components(separatedBy: "<details>")[0]
        for change in changes.prefix(3) { #expect(top.contains("`\(change["key"] as! String)`")) }
    }

    @Test func budgetMarkdownShowsTotalLimitChangesAndFindings() throws {
        let result = runBrineInRepository(["budget", "fixtures/bundles/repo", "--limit", "50MB", "--format", "markdown"])
        #expect(result.status == 0)
        #expect(result.output == (try Repository.golden("budget-repo.md")))
        // With a baseline: the before column and the changes since it.
        let directory = try temporaryDirectory()
        let baseline = directory + "/base.json"
        #expect(runBrineInRepository(["budget", "fixtures/bundles/repo", "--limit", "50MB", "--write-baseline", baseline]).status == 0)
        let same = runBrineInRepository(["budget", "fixtures/bundles/repo", "--limit", "50MB", "--baseline", baseline, "--format", "markdown"])
        #expect(same.output.contains("| Path | Measured | Before | Change | Limit | Result |"))
        #expect(same.output.contains("| 77.1 KB | 77.1 KB | no change | 50.0 MB | ✅ fits |"))
        #expect(same.output.contains("No change."))
        let over = runBrineInRepository(["budget", "fixtures/bundles/repo", "--limit", "50KB", "--format", "markdown"])
        #expect(over.status == 1)
        #expect(over.output.hasPrefix("### ❌ brine budget: 77.1 KB uncompressed (154.3% of 50.0 KB)"))
        #expect(over.output.contains("| error | BR"))
        // The findings-only formats are unchanged.
        let sarif = runBrineInRepository(["budget", "fixtures/bundles/repo", "--limit", "50KB", "--format", "sarif"])
        #expect(sarif.output.contains("\"version\" : \"2.1.0\"") || sarif.output.contains("\"version\": \"2.1.0\""))
    }

    @Test func htmlReportsAreSelfContainedAndCarryTheStripCommand() throws {
        let directory = try temporaryDirectory()
        let runs: [[String]] = [
            ["inspect", "fixtures/bundles/repo/models/vectorizer.joblib"],
            ["inspect", "fixtures/bundles/sagemaker/model.tar.gz"],
            ["budget", "fixtures/bundles/repo", "--limit", "50MB"],
            ["diff", "fixtures/bundles/sagemaker/model.tar.gz", "fixtures/bundles/sagemaker/model-v2.tar.gz"],
        ]
        for (index, arguments) in runs.enumerated() {
            let page = directory + "/report\(index).html"
            let result = runBrineInRepository(arguments + ["--format", "html", "-o", page])
            #expect(result.status == 0, "\(arguments): \(result.errors)")
            #expect(result.output.isEmpty)
            let html = try String(contentsOfFile: page, encoding: .utf8)
            #expect(html.hasPrefix("<!DOCTYPE html>"))
            // Nothing is fetched: no external script, style, image or font.
            for pattern in ["src=\"http", "href=\"http", "url(http", "@import", "<script src", "<link rel=\"stylesheet\""] {
                #expect(!html.contains(pattern), "\(arguments): \(pattern)")
            }
            #expect(html.contains("default-src 'none'"))
            #expect(html.contains("<script type=\"application/json\" id=\"brine-data\">"))
        }
        let inspect = try String(contentsOfFile: directory + "/report0.html", encoding: .utf8)
        #expect(inspect.contains("\"f\":\"brine strip --preset deploy \(Repository.path("fixtures/bundles/repo/models/vectorizer.joblib")) -o \(Repository.path("fixtures/bundles/repo/models/vectorizer.deploy.joblib"))\""))
        #expect(inspect.contains("<tr data-node=\"stop_words_\""))
        // The budget page gauges the measurement against the limit.
        #expect(try String(contentsOfFile: directory + "/report2.html", encoding: .utf8).contains("<div class=\"gauge\" title=\"0.2% of the limit\">"))
        let over = directory + "/over.html"
        #expect(runBrineInRepository(["budget", "fixtures/bundles/repo", "--limit", "50KB", "--format", "html", "-o", over]).status == 1)
        #expect(try String(contentsOfFile: over, encoding: .utf8).contains("<div class=\"gauge over\" title=\"154.3% of the limit\"><i style=\"width:100.0%\">"))
        let diff = try String(contentsOfFile: directory + "/report3.html", encoding: .utf8)
        #expect(diff.contains("\"mode\":\"diff\""))
        #expect(diff.contains("<td><code>!word_dict.pkl</code></td>"))
    }

    @Test func embeddedTreeIsBoundedWhateverTheArtifactHolds() {
        // 20,000 parts of one byte and one large part: the small ones become one cell.
        let small = (0..<20_000).map { TreemapNode(name: "s\($0)", path: "s\($0)", kind: .string, values: [1, 10]) }
        let big = TreemapNode(name: "big", path: "big", kind: .array, values: [1_000_000, 1_000_000])
        let root = TreemapNode(name: "root", path: "", kind: .object, values: [1_020_000, 1_200_000], children: small + [big])
        let bounded = root.bounded()
        #expect(bounded.cellCount == 3)
        let other = bounded.children.first { $0.kind == .other }
        #expect(other?.name == "other (20000 items)")
        #expect(other?.values == [20_000, 200_000])
        // Either metric keeps a cell: large in memory, small in bytes.
        var memoryHeavy = root
        memoryHeavy.children[0].values = [1, 700]
        #expect(memoryHeavy.bounded().children.contains { $0.path == "s0" })
        #expect(StripCommandHint(file: "models/pipe line.joblib.gz", torch: false).command(for: TrainingOnlyFinding(path: "x", reason: "", source: "", saving: 0))
                == "brine strip --preset deploy 'models/pipe line.joblib.gz' -o 'models/pipe line.deploy.joblib.gz'")
    }

    /// Without --depth, inspect shows what is big: no rebuild internals, small parts counted.
    /// With --depth every part down to that level, as before. Every protocol.
    @Test(arguments: 0...5) func defaultTextShowsWhatIsBig(protocol_: Int) throws {
        let path = "fixtures/pickle/proto_tfidf_p\(protocol_).pkl"
        let summary = runBrineInRepository(["inspect", path])
        let full = runBrineInRepository(["inspect", path, "--depth", "6"])
        #expect(summary.status == 0 && full.status == 0)
        // Protocols 0 and 1 have no PROTO; their version is read off their opcodes.
        #expect(summary.output.split(separator: "\n").first?.contains(", protocol \(protocol_), ") == true, "\(summary.output.prefix(200))")
        #expect(!summary.output.contains("__reduce_args__"))
        #expect(full.output.contains("__reduce_args__"))
        #expect(summary.output.split(separator: "\n").count < full.output.split(separator: "\n").count)
        // Every part of at least 0.5 % of the stream, as the JSON report sizes them, is a line.
        let json = runBrineInRepository(["inspect", path, "--format", "json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let stream = try #require(report["streamBytes"] as? Double)
        let root = try #require(report["root"] as? [String: Any])
        for child in try #require(root["children"] as? [[String: Any]]) {
            let bytes = try #require(child["bytes"] as? Double), path = try #require(child["path"] as? String)
            if bytes >= stream * 0.005 { #expect(summary.output.contains("  \(path)  "), "\(path)") }
        }
        // "[N more: kind n, ...]": the kinds listed add up to N.
        for line in summary.output.split(separator: "\n") where line.contains(" more: ") {
            let inside = line[line.index(after: line.lastIndex(of: "[")!)..<line.lastIndex(of: "]")!]
            let parts = inside.split(separator: ":", maxSplits: 1)
            let count = Int(parts[0].split(separator: " ")[0].replacingOccurrences(of: ",", with: ""))
            // Kinds are separated by ", "; a count itself may hold grouping commas ("13,133,224").
            let listed = String(parts[1]).components(separatedBy: ", ")
                .compactMap { Int($0.split(separator: " ").last!.replacingOccurrences(of: ",", with: "")) }.reduce(0, +)
            #expect(count == listed, "\(line)")
        }
        if protocol_ == 4 { #expect(summary.output == (try Repository.golden("inspect-default-tfidf.txt"))) }
        // JSON is the contract: it keeps everything whatever the text shows.
        #expect(json.output.contains("__reduce_args__"))
    }
}

private func temporaryDirectory() throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brine-report-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.path
}

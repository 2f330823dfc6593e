import Foundation
import Testing

/// `brine check --jobs N` reads a directory's files on N threads and prints what one thread
/// prints, byte for byte; `--format jsonl` writes one object per artifact.
@Suite struct CheckJobsTests {
    @Test(arguments: ["text", "json", "jsonl", "sarif", "junit"])
    func outputDoesNotDependOnJobs(format: String) {
        let directory = Repository.path("fixtures")
        let one = runBrine(["check", directory, "--format", format, "-q", "--jobs", "1"])
        #expect(!one.output.isEmpty)
        for jobs in ["2", "7"] {
            let many = runBrine(["check", directory, "--format", format, "-q", "--jobs", jobs])
            #expect(many.status == one.status)
            #expect(many.output == one.output)
            #expect(many.errors == one.errors)
        }
    }

    /// The member limit is reached at the same member whatever the threads read ahead.
    @Test(arguments: ["15", "60", "200"])
    func memberLimitIsReachedWhereOneThreadReachesIt(limit: String) {
        let directory = Repository.path("fixtures")
        let one = runBrine(["check", directory, "--format", "json", "-q", "--jobs", "1", "--max-members", limit])
        let many = runBrine(["check", directory, "--format", "json", "-q", "--jobs", "3", "--max-members", limit])
        #expect(one.status == 2)
        #expect(many.status == one.status)
        #expect(many.output == one.output)
        #expect(many.errors == one.errors)
    }

    @Test func jsonLinesHoldOneSortedObjectPerArtifact() throws {
        let directory = Repository.path("fixtures/check")
        let lines = runBrine(["check", directory, "--format", "jsonl", "-q"])
        let json = runBrine(["check", directory, "--format", "json", "-q"])
        #expect(lines.status == json.status)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let inputs = try #require(document["inputs"] as? [String])
        let findings = try #require(document["findings"] as? [[String: Any]])
        let records = try lines.output.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let artifacts = records.compactMap { $0["artifact"] as? String }
        #expect(artifacts == artifacts.sorted())
        #expect(Set(artifacts).isSuperset(of: inputs))
        // Every finding of the JSON report is on its artifact's line, and only there.
        #expect(records.reduce(0) { $0 + (($1["findings"] as? [Any])?.count ?? 0) } == findings.count)
        for record in records {
            let own = try #require(record["findings"] as? [[String: Any]])
            #expect(own.allSatisfy { $0["file"] as? String == record["artifact"] as? String })
            let status = try #require(record["status"] as? String)
            let failing = own.contains { $0["severity"] as? String == "error" }
            #expect(status == (failing ? "findings" : "ok"))
        }
        // Compact lines with sorted keys: `artifact` first, so `sort` orders them.
        #expect(lines.output.split(separator: "\n").allSatisfy { $0.hasPrefix("{\"artifact\":") })
    }

    /// Files named one by one (`brine check *.pkl`) are checked on every core and reported in
    /// command-line order: the same bytes, errors and exit code as one thread, with a missing
    /// path, a truncated file and a directory among them.
    @Test(arguments: ["text", "json", "jsonl"])
    func namedFilesAreCheckedInParallelInCommandLineOrder(format: String) throws {
        let findings = Repository.path("fixtures/check/findings")
        let hostile = Repository.path("fixtures/check/hostile")
        let names = try FileManager.default.contentsOfDirectory(atPath: findings).filter { $0.hasSuffix(".pkl") || $0.hasSuffix(".joblib") }.sorted()
        let hostileNames = try FileManager.default.contentsOfDirectory(atPath: hostile).filter { $0.hasSuffix(".pkl") }.sorted()
        #expect(names.count >= 5 && hostileNames.count >= 3)
        let truncated = FileManager.default.temporaryDirectory.appendingPathComponent("brine-jobs-\(UUID().uuidString).pkl").path
        let whole = try Data(contentsOf: URL(fileURLWithPath: findings + "/" + names[0]))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: truncated))
        defer { try? FileManager.default.removeItem(atPath: truncated) }
        // Largest first on the threads, so reversed order on the line must still come out as given.
        let paths = names.reversed().map { findings + "/" + $0 } + [truncated, "/nonexistent/model.pkl", Repository.path("fixtures/check/benign")]
            + hostileNames.map { hostile + "/" + $0 }
        let one = runBrine(["check"] + paths + ["--format", format, "-q", "--jobs", "1"])
        #expect(one.status == 2)
        #expect(one.errors.contains("/nonexistent/model.pkl"))
        #expect(one.errors.contains(truncated))
        for jobs in ["2", "5"] {
            let many = runBrine(["check"] + paths + ["--format", format, "-q", "--jobs", jobs])
            #expect(many.status == one.status)
            #expect(many.output == one.output)
            #expect(many.errors == one.errors)
        }
    }
}

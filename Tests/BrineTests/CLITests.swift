import Foundation
import Testing

@Suite struct CLITests {
    @Test(arguments: [
        (["--help"], "help.txt"),
        (["dis", "--help"], "dis-help.txt"),
        (["inspect", "--help"], "inspect-help.txt"),
        (["strip", "--help"], "strip-help.txt"),
        (["budget", "--help"], "budget-help.txt"),
        (["repack", "--help"], "repack-help.txt"),
        (["diff", "--help"], "diff-help.txt"),
    ])
    func helpTextMatchesGolden(arguments: [String], golden: String) throws {
        let result = runBrine(arguments)
        #expect(result.status == 0)
        #expect(result.output == (try Repository.golden(golden)))
    }

    @Test func disOfAFixtureSucceeds() throws {
        let result = runBrine(["dis", Repository.path("fixtures/pickle/sklearn_pipeline_p4.pkl")])
        #expect(result.status == 0)
        #expect(result.output.hasSuffix("highest protocol among opcodes = 4\n"))
        #expect(result.errors.isEmpty)
    }

    @Test func missingFileIsOneLineAndExitTwo() {
        let result = runBrine(["dis", "/nonexistent/model.pkl"])
        #expect(result.status == 2)
        #expect(result.errors == "brine: /nonexistent/model.pkl: cannot open: No such file or directory\n")
    }

    @Test func directoryIsABundle() throws {
        // Before bundles, `dis DIR` said "not a regular file": now every artifact in it is
        // disassembled after a header, and other files are skipped.
        let pickle = try temporaryFile([0x80, 0x04, 0x4B, 0x07, 0x2E], name: "model.pkl")
        let directory = (pickle as NSString).deletingLastPathComponent
        try Data("print(1)\n".utf8).write(to: URL(fileURLWithPath: directory + "/app.py"))
        let result = runBrine(["dis", directory])
        #expect(result.status == 0)
        #expect(result.output == "==> \(pickle) <==\n    0: \\x80 PROTO      4\n    2: K    BININT1    7\n    4: .    STOP\nhighest protocol among opcodes = 2\n")
        #expect(result.errors == "")
    }

    @Test func truncatedPickleNamesFileOffsetAndExpectation() throws {
        let path = try temporaryFile([0x80, 0x04, 0x8C, 0x05, 0x61, 0x62])
        let result = runBrine(["dis", path])
        #expect(result.status == 2)
        #expect(result.errors == "brine: \(path): offset 2 (SHORT_BINUNICODE): declared length 5 runs past the end of input (2 bytes left)\n")
    }

    @Test func nonPickleInputIsOneLine() throws {
        let path = try temporaryFile(Array("{\"model\": 1}\n".utf8), name: "notes.json")
        let result = runBrine(["dis", path])
        #expect(result.status == 2)
        #expect(result.errors == "brine: \(path): a JSON or text file, not a pickle; Brine reads pickle, joblib and PyTorch files\n")
    }

    @Test func emptyFileSaysEmpty() throws {
        let path = try temporaryFile([])
        let result = runBrine(["dis", path])
        #expect(result.status == 2)
        #expect(result.errors == "brine: \(path): offset 0: empty file, expected a pickle, joblib or PyTorch file, or a tar or zip bundle\n")
    }

    @Test func usageErrorsExitSixtyFour() {
        #expect(runBrine(["dis"]).status == 64)
        #expect(runBrine(["dis", "x.pkl", "--max-depth", "0"]).status == 64)
        #expect(runBrine(["no-such-command"]).status == 64)
    }
}

@Suite struct BundleCLITests {
    @Test func budgetNeedsALimitOrAConfig() {
        let result = runBrine(["budget", Repository.path("fixtures/bundles/heroku-app")])
        #expect(result.status == 64)
        #expect(runBrine(["budget", "x", "--limit", "lots"]).status == 64)
    }

    @Test func budgetExitCodes() {
        let app = Repository.path("fixtures/bundles/heroku-app")
        #expect(runBrine(["budget", app, "--limit", "heroku-slug"]).status == 0)
        let over = runBrine(["budget", app, "--limit", "10KB", "--measure", "gzip-tar"])
        #expect(over.status == 1)
        #expect(over.output.contains("BR701 [budget-over]"))
        let bomb = runBrine(["budget", Repository.path("fixtures/bundles/hostile/bomb.tar.bz2"), "--limit", "1GB"])
        #expect(bomb.status == 2)
        #expect(bomb.errors.hasSuffix("compression ratio limit exceeded (2000); raise it with --max-ratio\n"))
    }

    @Test func repackThatCannotFitExitsOneAndNamesTheLargestParts() {
        let result = runBrine(["repack", Repository.path("fixtures/bundles/sagemaker/model.tar.gz"), "--dry-run", "--limit", "10KB"])
        #expect(result.status == 1)
        #expect(result.output.contains("nothing fits"))
        #expect(result.output.contains("!word_dict.pkl"))
    }

    @Test func diffOfTwoArtifactsIsSortedByChange() throws {
        let result = runBrine(["diff", Repository.path("fixtures/bundles/sagemaker/model.tar.gz"),
                               Repository.path("fixtures/bundles/sagemaker/model-v2.tar.gz"), "--format", "json"])
        #expect(result.status == 0)
        let report = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        let changes = report?["changes"] as? [[String: Any]] ?? []
        let magnitudes = changes.compactMap { ($0["delta"] as? Int).map(abs) }
        #expect(!magnitudes.isEmpty)
        #expect(magnitudes == magnitudes.sorted(by: >))
        #expect(runBrine(["diff", "/nonexistent/a.pkl", "/nonexistent/b.pkl"]).status == 2)
    }
}

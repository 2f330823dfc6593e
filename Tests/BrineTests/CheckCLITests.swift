import Foundation
import Testing

@Suite struct CheckCLITests {
    static let findings = "fixtures/check/findings/"

    @Test func helpTextMatchesGolden() throws {
        let result = runBrine(["check", "--help"])
        #expect(result.status == 0)
        #expect(result.output == (try Repository.golden("check-help.txt")))
    }

    @Test func benignArtifactWithNoOptionsExitsZero() {
        let result = runBrine(["check", Repository.path("fixtures/joblib/pipeline.joblib.gz")])
        #expect(result.status == 0)
        #expect(result.errors.isEmpty)
        #expect(result.output.hasSuffix("1 file checked: 0 errors, 2 warnings, 0 notes\n"))
    }

    /// A directory with no artifact in it checked nothing: the count says 0 and a line says why.
    @Test func directoryWithoutArtifactsChecksNothing() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brine-empty-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let empty = runBrine(["check", directory])
        #expect(empty.status == 0)
        #expect(empty.output == "0 files checked: 0 errors, 0 warnings, 0 notes\n")
        #expect(empty.errors == "brine: \(directory): no artifact in it (nothing checked)\n")
        // With one artifact inside, that artifact is what was checked.
        try FileManager.default.copyItem(atPath: Repository.path("fixtures/pickle/bytes_p4.pkl"), toPath: directory + "/model.pkl")
        let one = runBrine(["check", directory])
        #expect(one.status == 0 && one.errors.isEmpty)
        #expect(one.output.hasSuffix("1 file checked: 0 errors, 0 warnings, 0 notes\n"))
    }

    @Test func errorsExitOneAndFailOnWarningMakesWarningsFail() {
        #expect(runBrine(["check", Repository.path(Self.findings + "main_pipeline.pkl")]).status == 1)
        let posix = Repository.path(Self.findings + "posix_path.pkl")
        #expect(runBrine(["check", posix]).status == 0)
        #expect(runBrine(["check", posix, "--fail-on", "warning"]).status == 1)
    }

    @Test func unreadableInputExitsTwoAndTheOthersAreStillReported() throws {
        let broken = try temporaryFile([0x80, 0x04, 0x8C, 0x05, 0x61], name: "broken.pkl")
        let result = runBrine(["check", "--format", "json", broken, Repository.path(Self.findings + "main_pipeline.pkl")])
        #expect(result.status == 2)
        #expect(result.errors.hasPrefix("brine: \(broken): offset 2"))
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect((document["findings"] as? [[String: Any]])?.contains { $0["code"] as? String == "BR101" } == true)
    }

    @Test func usageErrorsExitSixtyFour() {
        let file = Repository.path(Self.findings + "posix_path.pkl")
        #expect(runBrine(["check"]).status == 64)
        #expect(runBrine(["check", file, "--python-version", "eleven"]).status == 64)
        #expect(runBrine(["check", file, "--app-dir", "/nonexistent/app"]).status == 64)
        #expect(runBrine(["check", file, "--format", "xml"]).status == 64)
        #expect(runBrine(["check", file, "--fail-on", "fatal"]).status == 64)
    }

    @Test func missingRequirementsFileIsUnreadableInput() {
        let result = runBrine(["check", Repository.path(Self.findings + "posix_path.pkl"), "--requirements", "/nonexistent/requirements.txt"])
        #expect(result.status == 2)
        #expect(result.errors == "brine: /nonexistent/requirements.txt: cannot open: No such file or directory\n")
    }

    @Test(arguments: ["sarif", "junit", "github", "markdown", "json", "text"])
    func reportGoesToTheOutputFileAtomically(format: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brine-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("report").path
        let result = runBrine(["check", Repository.path(Self.findings + "main_pipeline.pkl"), "--format", format, "-o", out])
        #expect(result.status == 1)
        #expect(result.output.isEmpty)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.contains("BR101"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["report"])
    }

    @Test func sarifNamesTheRepositoryRelativeFile() throws {
        let result = runBrine(["check", "--format", "sarif", Repository.path(Self.findings + "main_pipeline.pkl")])
        let log = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let run = try #require((log["runs"] as? [[String: Any]])?.first)
        let results = try #require(run["results"] as? [[String: Any]])
        #expect(results.contains { $0["ruleId"] as? String == "BR101" && $0["level"] as? String == "error" })
    }
}

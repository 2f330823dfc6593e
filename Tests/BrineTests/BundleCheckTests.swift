@testable import Brine
import BrineIO
import Foundation
import Testing

/// `brine check` on directories, tarballs and zips: through the bundle walker, in process.
@Suite struct BundleCheckTests {
    static let hostileTarball = Repository.path("fixtures/check/hostile/model_payload.tar.gz")
    static let sagemaker = Repository.path("fixtures/bundles/sagemaker/model.tar.gz")

    /// A tarball (gzip) of `members`, written by Brine's own archive writer.
    func tarball(_ members: [(String, [UInt8])], name: String = "bundle.tar.gz") throws -> String {
        let path = try temporaryFile([], name: name)
        let sink = try AtomicFileSink(path: path)
        let writer = try ArchiveWriter(downstream: sink, container: .tar, filter: .gzip)
        for (member, bytes) in members {
            try writer.begin(ArchiveEntryInfo(path: member, kind: .file, size: UInt64(bytes.count)))
            try bytes.withUnsafeBytes { try writer.write($0) }
        }
        try writer.finish()
        return path
    }

    @Test func hostileMemberOfATarballIsDangerousAndNamed() throws {
        let result = try BundleChecker.check(path: Self.hostileTarball, context: CheckContext())
        let finding = try #require(result.findings.first { $0.code == "BR601" })
        #expect(finding.severity == .error)
        #expect(finding.location.file == Self.hostileTarball + "!code/word_dict.pkl")
        #expect(result.artifacts == [Self.hostileTarball + "!code/word_dict.pkl"])

        let cli = runBrine(["check", "--format", "json", Self.hostileTarball])
        #expect(cli.status == 1)
        #expect(cli.output.contains("\"file\" : \"\(Self.hostileTarball)!code/word_dict.pkl\""))
    }

    @Test func benignSageMakerTarballExitsZero() throws {
        let cli = runBrine(["check", Self.sagemaker])
        #expect(cli.status == 0)
        #expect(cli.errors.isEmpty)
        // Its two pickles are checked; the code and requirements members are skipped.
        #expect(cli.output.hasSuffix("2 files checked: 0 errors, 0 warnings, 0 notes\n"))
    }

    @Test func protocolZeroPickleInsideATarballIsFound() throws {
        let payload = try readFile(Repository.path("fixtures/check/hostile/inst_os_system_p0.pkl"))
        let path = try tarball([("README.md", Array("# model\n".utf8)), ("model.pkl", payload)])
        let result = try BundleChecker.check(path: path, context: CheckContext())
        #expect(result.findings.contains { $0.code == "BR601" && $0.location.file == path + "!model.pkl" })
        #expect(result.artifacts == [path + "!model.pkl"])
    }

    @Test func escapingMembersAreErrorsNamingEachMember() throws {
        let escape = Repository.path("fixtures/bundles/hostile/escape.tar")
        let result = try BundleChecker.check(path: escape, context: CheckContext())
        let unsafe = result.findings.filter { $0.code == "BR721" }
        #expect(Set(unsafe.map(\.location.file)) == Set(["../../escaped.pkl", "/tmp/brine-absolute.txt", "ok/passwd", "ok/hard"].map { escape + "!" + $0 }))
        #expect(unsafe.allSatisfy { $0.severity == .error && $0.rule.isSecurity })
        #expect(runBrine(["check", escape]).status == 1)
    }

    @Test func bombStopsAtTheRatioLimitWithExitTwo() {
        let cli = runBrine(["check", Repository.path("fixtures/bundles/hostile/bomb.tar.bz2")])
        #expect(cli.status == 2)
        #expect(cli.errors.contains("--max-ratio"))
        #expect(cli.errors.split(separator: "\n").count == 1)
    }

    @Test func aBombInADirectoryStopsOnlyItselfAndTheRestIsReported() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brine-check-bomb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(atPath: Repository.path("fixtures/bundles/hostile/bomb.tar.bz2"),
                                         toPath: directory.appendingPathComponent("a-bomb.tar.bz2").path)
        try FileManager.default.copyItem(atPath: Repository.path("fixtures/check/hostile/os_system_reduce_p4.pkl"),
                                         toPath: directory.appendingPathComponent("b-model.pkl").path)
        let cli = runBrine(["check", "--format", "json", directory.path])
        #expect(cli.status == 2)
        let lines = cli.errors.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.contains("a-bomb.tar.bz2") == true && lines.first?.contains("--max-ratio") == true)
        #expect(cli.output.contains("\"file\" : \"\(directory.path)/b-model.pkl\""))
    }

    @Test func unreadableArtifactMemberFailsTheRunWithOneLine() throws {
        let path = try tarball([("good.pkl", try readFile(Repository.path("fixtures/check/hostile/os_system_reduce_p4.pkl"))),
                                ("broken.pkl", [0x80, 0x04, 0x8C, 0x05, 0x61])])
        let cli = runBrine(["check", "--format", "json", path])
        #expect(cli.status == 2)
        let lines = cli.errors.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("brine: \(path)!broken.pkl: offset 2") == true)
        // The readable member is still reported.
        #expect(cli.output.contains("\(path)!good.pkl"))
    }

    @Test func directoriesAreCheckedWithTheirNoiseSkipped() throws {
        let app = Repository.path("fixtures/bundles/heroku-app")
        let result = try BundleChecker.check(path: app, context: CheckContext())
        #expect(result.unreadable.isEmpty)
        #expect(result.artifacts == [app + "/models/vocab.pkl"])
        // Named on its own, a file that is no artifact is an error, not "clean".
        let noise = runBrine(["check", app + "/static/noise.bin"])
        #expect(noise.status == 2)
        #expect(noise.errors.hasPrefix("brine: \(app)/static/noise.bin: offset 0"))
    }

    @Test func brineTomlSaysWhatToCheckAndHowManyFindingsPass() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brine-check-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("models"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(atPath: Repository.path("fixtures/check/findings/posix_path.pkl"),
                                         toPath: directory.appendingPathComponent("models/paths.pkl").path)
        try FileManager.default.copyItem(atPath: Self.sagemaker, toPath: directory.appendingPathComponent("models/model.tar.gz").path)
        let config = directory.appendingPathComponent("brine.toml").path
        func run(_ toml: String) throws -> (status: Int32, output: String, errors: String) {
            try toml.write(toFile: config, atomically: true, encoding: .utf8)
            return runBrine(["check", "--config", config])
        }
        // The posix_path.pkl warning (BR301) passes by default, fails when no warning is allowed.
        let lenient = try run("[check]\npaths = [\"models/*\"]\n")
        #expect(lenient.status == 0)
        #expect(lenient.output.hasSuffix("3 files checked: 0 errors, 1 warning, 0 notes\n"))
        #expect(try run("[check]\npaths = [\"models/*\"]\n[findings]\nwarning = 0\n").status == 1)
        #expect(try run("[check]\npaths = [\"models/*\"]\n[findings]\nwarning = 1\n").status == 0)
        // Without [check], the budget's paths are checked.
        #expect(try run("[budget]\npaths = [\"models\"]\n[findings]\nwarning = 0\n").status == 1)
        #expect(try run("[check]\npaths = [\"nothing/*.pkl\"]\n").status == 2)
        #expect(try run("[check]\nglob = \"x\"\n").status == 2)
    }
}

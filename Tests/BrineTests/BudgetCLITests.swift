import Foundation
import Testing

/// `brine budget` baselines and notes through the CLI.
@Suite struct BudgetCLITests {
    /// A repository with a scikit-learn artifact, a PyTorch checkpoint, a tarball holding a
    /// PyTorch checkpoint and small files: more files than `--top 1` or `--top 3` opens.
    static func repository() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brine-budget-\(UUID().uuidString)").path
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory + "/models", withIntermediateDirectories: true)
        try manager.copyItem(atPath: Repository.path("fixtures/bundles/repo/models/vectorizer.joblib"), toPath: directory + "/models/vectorizer.joblib")
        try manager.copyItem(atPath: Repository.path("fixtures/torch/checkpoint.pt"), toPath: directory + "/model.pt")
        try manager.copyItem(atPath: Repository.path("fixtures/bundles/sagemaker/model-torch.tar.gz"), toPath: directory + "/models/model-torch.tar.gz")
        try manager.copyItem(atPath: Repository.path("fixtures/check/findings/posix_path.pkl"), toPath: directory + "/models/paths.pkl")
        try manager.copyItem(atPath: Repository.path("fixtures/bundles/repo/app.py"), toPath: directory + "/app.py")
        return directory
    }

    /// A truncated artifact named on the command line is measured by its size, but it is
    /// damaged input: the report is written, then one line naming it and the offset, and exit
    /// 2, at every protocol. Inside an app directory it is one more file (noted, exit 0): a
    /// binary file that merely starts like a pickle must not fail a size gate.
    @Test(arguments: 0...5) func truncatedArtifactIsOneLineAndExitTwo(protocol_: Int) throws {
        let directory = try Self.repository()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let whole = try Data(contentsOf: URL(fileURLWithPath: Repository.path("fixtures/pickle/proto_tfidf_p\(protocol_).pkl")))
        let cut = directory + "/models/truncated.pkl"
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: cut))
        let result = runBrine(["budget", cut, "--limit", "1GB"])
        #expect(result.status == 2)
        #expect(result.output.contains("result: within budget"), "the report is still written")
        let lines = result.errors.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("truncated.pkl") && lines[0].contains("offset"), "\(result.errors)")
        for arguments in [[directory, "--top", "1"], [directory]] {
            let inside = runBrine(["budget"] + arguments + ["--limit", "1GB"])
            #expect(inside.status == 0 && inside.errors.isEmpty, "\(arguments): \(inside.errors)")
        }
    }

    @Test func baselineDoesNotDependOnDisplayOptions() throws {
        let repo = try Self.repository()
        defer { try? FileManager.default.removeItem(atPath: repo) }
        let baseline = repo + ".baseline.json"
        defer { try? FileManager.default.removeItem(atPath: baseline) }
        #expect(runBrine(["budget", repo, "--limit", "1GB", "--write-baseline", baseline, "--top", "1"]).status == 0)
        // The full measurement: insides of every artifact and bundle, not only the one shown.
        let written = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: baseline))) as? [String: Any]
        let keys = Set(((written?["entries"] as? [String: Any]) ?? [:]).keys)
        #expect(keys.contains("models/model-torch.tar.gz!model.pth") && keys.contains("models/vectorizer.joblib :: stop_words_")
                && keys.contains("models/paths.pkl :: ['name']"), "\(keys.sorted())")
        #expect(!keys.contains { $0.contains("!!") })
        #expect(runBrine(["budget", repo, "--limit", "1GB", "--write-baseline", baseline]).status == 0)
        for options in [["--top", "3"], ["--top", "1"], ["--top", "50"], ["--format", "json", "--top", "2"]] {
            let result = runBrine(["budget", repo, "--limit", "1GB", "--baseline", baseline] + options)
            #expect(result.status == 0, "\(options): \(result.errors)")
            if options.contains("json") {
                let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
                #expect((object?["changes"] as? [Any])?.isEmpty == true, "\(options): \(object?["changes"] ?? "none")")
            } else {
                #expect(result.output.contains("since baseline: no change\n"), "\(options): \(result.output)")
            }
        }
        // A baseline written with --top 1 compares like with like too (the insides both runs opened).
        #expect(runBrine(["budget", repo, "--limit", "1GB", "--top", "1", "--write-baseline", baseline]).status == 0)
        #expect(runBrine(["budget", repo, "--limit", "1GB", "--baseline", baseline, "--top", "2"]).output.contains("since baseline: no change\n"))
        // A real change is still reported, with the attribute path.
        try FileManager.default.removeItem(atPath: repo + "/models/paths.pkl")
        let changed = runBrine(["budget", repo, "--limit", "1GB", "--baseline", baseline, "--top", "1"])
        #expect(changed.output.contains("gone  models/paths.pkl\n"), "\(changed.output)")
    }

    @Test func trainingOnlyNotesNameTheFileAndTheOnePresetThatApplies() throws {
        let repo = try Self.repository()
        defer { try? FileManager.default.removeItem(atPath: repo) }
        let result = runBrine(["budget", repo, "--limit", "1GB", "--format", "json"])
        #expect(result.status == 0, "\(result.errors)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let notes = ((object["findings"] as? [[String: Any]]) ?? []).filter { $0["code"] as? String == "training-only" }.compactMap { $0["message"] as? String }
        #expect(notes.contains { $0.hasPrefix("models/vectorizer.joblib: `brine strip --preset deploy` saves ") && $0.hasSuffix("(stop_words_ is only needed for training)") }, "\(notes)")
        #expect(notes.contains { $0.hasPrefix("model.pt: `brine strip --preset torch-inference` saves ") && $0.contains("['optimizer_state_dict']") }, "\(notes)")
        #expect(notes.contains { $0.hasPrefix("models/model-torch.tar.gz!model.pth: `brine repack models/model-torch.tar.gz` strips it with --preset torch-inference") }, "\(notes)")
        // Never both presets in one note.
        #expect(!notes.isEmpty && notes.allSatisfy { !($0.contains("deploy") && $0.contains("torch-inference")) })
        #expect(notes.filter { $0.hasPrefix("model.pt") }.allSatisfy { !$0.contains("deploy") })
    }
}

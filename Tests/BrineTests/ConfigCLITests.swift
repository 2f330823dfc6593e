@testable import Brine
import Foundation
import Testing

/// brine.toml through the CLI: typos named at their line, and `[check]` describing the
/// server so that `brine check` with no arguments needs no flags.
@Suite struct ConfigCLITests {
    /// A scratch repository; removed by the caller.
    static func repository() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brine-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("models"), withIntermediateDirectories: true)
        return directory
    }

    @Test(arguments: ["check", "budget"])
    func unknownKeyIsReportedAtItsLineAndColumn(command: String) throws {
        let directory = try Self.repository()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("brine.toml").path
        try """
            # gate
            [budget]
            paths = ["."]
            limit = "300MB"

            [findings]
            warning = 2
            [budget.more]
              limt = "1MB"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        var result = runBrine([command, "--config", config])
        #expect(result.status == 2)
        #expect(result.errors == "brine: \(config): line 8, column 1: unknown key 'more' in [budget] (known: baseline, file, ignore-file, limit, measure, paths, python-env)\n")

        try "[budget]\nlimit = \"300MB\"\n\n\n\n\n  limt = \"1MB\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        result = runBrine([command, "--config", config])
        #expect(result.status == 2)
        #expect(result.errors.hasPrefix("brine: \(config): line 7, column 3: unknown key 'limt' in [budget] (known: "), "\(result.errors)")

        try "[budget]\nlimit = \"300MB\"\n[[budget.file]]\nglob = \"*.pkl\"\nlimit = \"1MB\"\nsize = 3\n".write(toFile: config, atomically: true, encoding: .utf8)
        result = runBrine([command, "--config", config])
        #expect(result.errors == "brine: \(config): line 6, column 1: unknown key 'size' in [budget.file] (known: glob, limit)\n")

        try "[budget]\nlimit = \"300MB\"\n[chek]\npaths = []\n".write(toFile: config, atomically: true, encoding: .utf8)
        result = runBrine([command, "--config", config])
        #expect(result.errors == "brine: \(config): line 3, column 1: unknown table 'chek' at the top level (known: budget, check, findings)\n")

        // A bad value is named at its key's line too, not at line 0.
        try "[budget]\n\nlimit = \"300 parsecs\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        result = runBrine([command, "--config", config])
        #expect(result.errors == "brine: \(config): line 3, column 1: budget.limit: cannot read size \"300 parsecs\"\n")
        try "[findings]\nwarning = 1\nwarnings = 2\n".write(toFile: config, atomically: true, encoding: .utf8)
        result = runBrine([command, "--config", config])
        #expect(result.errors == "brine: \(config): line 3, column 1: unknown key 'warnings' in [findings] (known: error, note, warning)\n")
    }

    @Test func checkSectionDescribesTheServerAndFlagsOverrideIt() throws {
        let directory = try Self.repository()
        defer { try? FileManager.default.removeItem(at: directory) }
        let manager = FileManager.default
        try manager.copyItem(atPath: Repository.path("fixtures/check/findings/module_pipeline.pkl"),
                             toPath: directory.appendingPathComponent("models/pipeline.pkl").path)
        // A module removed from the standard library in Python 3.12 (BR102 only there).
        try Data("cimp\nreload\n.".utf8).write(to: directory.appendingPathComponent("models/imp.pkl"))
        try manager.copyItem(atPath: Repository.path("fixtures/check/app_ok"), toPath: directory.appendingPathComponent("app").path)
        try manager.copyItem(atPath: Repository.path("fixtures/check/findings/requirements-no-sklearn.txt"),
                             toPath: directory.appendingPathComponent("requirements-server.txt").path)
        let config = directory.appendingPathComponent("brine.toml").path

        func run(_ toml: String, _ flags: [String] = []) throws -> (status: Int32, findings: [[String: Any]], errors: String) {
            try toml.write(toFile: config, atomically: true, encoding: .utf8)
            // Run from elsewhere: the paths in the file are relative to the file.
            let result = runBrine(["check", "--config", config, "--format", "json"] + flags)
            let object = try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
            return (result.status, (object?["findings"] as? [[String: Any]]) ?? [], result.errors)
        }
        func has(_ findings: [[String: Any]], _ code: String, _ severity: String? = nil, _ text: String = "") -> Bool {
            findings.contains { ($0["code"] as? String) == code && (severity == nil || ($0["severity"] as? String) == severity)
                && (text.isEmpty || (($0["message"] as? String) ?? "").contains(text)) }
        }
        let paths = "[check]\npaths = [\"models/*.pkl\"]\n"

        // Only paths: no app (BR602 warnings), no requirements (BR103 warnings only), any Python.
        let bare = try run(paths)
        #expect(has(bare.findings, "BR602"))
        #expect(!has(bare.findings, "BR103", "error"))
        #expect(!has(bare.findings, "BR102", nil, "removed from the standard library"))

        // The server in the file: the app resolves its modules, the requirements lack scikit-learn, Python 3.12.
        let server = paths + "app-dir = \"app\"\nrequirements = [\"requirements-server.txt\"]\npython-version = \"3.12\"\n"
        let configured = try run(server)
        #expect(configured.status == 1, "\(configured.errors)")
        #expect(!has(configured.findings, "BR602"))
        #expect(has(configured.findings, "BR103", "error", "add `scikit-learn` to"))
        #expect(has(configured.findings, "BR102", "error", "removed from the standard library in Python 3.12"))
        // A single requirements file may be a plain string.
        let single = try run(paths + "app-dir = \"app\"\nrequirements = \"requirements-server.txt\"\n")
        #expect(has(single.findings, "BR103", "error", "requirements-server.txt"))

        // Flags win over the file.
        let overridden = try run(server, ["--requirements", directory.appendingPathComponent("app/requirements.txt").path, "--python-version", "3.11"])
        #expect(!has(overridden.findings, "BR103", "error"))
        #expect(!has(overridden.findings, "BR102", nil, "removed from the standard library"))
        #expect(!has(overridden.findings, "BR602"))

        // A [check] with only the server still checks the budget's paths.
        let budgetPaths = try run("[budget]\npaths = [\"models\"]\n[check]\napp-dir = \"app\"\n")
        #expect(!has(budgetPaths.findings, "BR602") && has(budgetPaths.findings, "BR101") == false)
        #expect(budgetPaths.errors.isEmpty, "\(budgetPaths.errors)")

        // Wrong settings are named at their line.
        let missing = try run(paths + "app-dir = \"nowhere\"\n")
        #expect(missing.status == 2 && missing.errors.contains("[check] app-dir \(directory.path)/nowhere is not a directory"))
        let version = try run(paths + "\npython-version = 3.11\n")
        #expect(version.status == 2 && version.errors.contains("line 4, column 1: check.python-version: a version such as \"3.11\""), "\(version.errors)")
    }
}

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

/// `brine repack`: a dry run plans with the figures of the real run, and what is named as
/// taking the room after a failed fit is what the result still holds.
@Suite struct RepackCLITests {
    static func plan(_ arguments: [String]) throws -> (status: Int32, plan: [String: Any]) {
        let result = runBrine(["repack"] + arguments + ["--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], "\(result.errors)")
        return (result.status, object)
    }

    static func steps(_ value: Any?) -> [[String: AnyHashable]] {
        ((value as? [[String: Any]]) ?? []).map { $0.compactMapValues { $0 as? AnyHashable } }
    }

    @Test(arguments: ["fixtures/models/numpy_model.joblib", "fixtures/models/numpy_model.joblib.xz", "fixtures/models/pipeline_tfidf_lr.joblib"])
    func dryRunFiguresAreTheRealRunsFigures(fixture: String) throws {
        let input = Repository.path(fixture)
        // The smallest the lossless steps reach, then a limit one byte under it.
        let lossless = try Self.plan([input, "--limit", "1B", "--dry-run"]).plan
        let reached = (((lossless["candidates"] as? [[String: Any]]) ?? []).compactMap { $0["bytes"] as? Int }
            + [lossless["outputBytes"] as? Int ?? 0]).min()!
        let limit = String(reached - 1)
        let output = try temporaryFile([], name: "out.joblib")
        try FileManager.default.removeItem(atPath: output)
        defer { try? FileManager.default.removeItem(atPath: (output as NSString).deletingLastPathComponent) }

        let preview = try Self.plan([input, "--limit", limit, "--dry-run"])
        let lossyDry = try Self.plan([input, "--limit", limit, "--dry-run", "--allow-lossy"])
        let real = try Self.plan([input, "--limit", limit, "--allow-lossy", "-o", output])
        #expect(real.status == 0 && lossyDry.status == 0 && preview.status == 1)
        let realSteps = Self.steps(real.plan["steps"])
        let previewSteps = Self.steps(preview.plan["lossySteps"])
        // Without the flag: the steps it would add, measured, equal to the byte the real run's.
        #expect(!previewSteps.isEmpty && Array(realSteps.suffix(previewSteps.count)) == previewSteps, "\(previewSteps) vs \(realSteps)")
        #expect(Array(realSteps.prefix(realSteps.count - previewSteps.count)) == Self.steps(preview.plan["steps"]))
        // With the flag, the dry run is the real run without the write.
        #expect(Self.steps(lossyDry.plan["steps"]) == realSteps)
        #expect(lossyDry.plan["outputBytes"] as? Int == real.plan["outputBytes"] as? Int)
        let written = try FileManager.default.attributesOfItem(atPath: output)[.size] as? Int
        #expect(written == real.plan["outputBytes"] as? Int && written == previewSteps.last?["bytesAfter"] as? Int)
        let note = ((preview.plan["notes"] as? [String]) ?? []).first { $0.hasPrefix("--allow-lossy would store") } ?? ""
        #expect(note.hasSuffix("(fits)") && !note.contains("before compression"), "\(note)")
    }

    @Test func largestPartsAfterAFailedFitAreWhatTheResultStillHolds() throws {
        let input = Repository.path("fixtures/bundles/repo/models/vectorizer.joblib")
        // The input itself lists stop_words_ among its largest parts…
        let budget = runBrine(["budget", input, "--limit", "1GB"])
        #expect(budget.output.contains("stop_words_ (set)"))
        // …which the strip step removes: after a failed fit it is not named.
        let (status, plan) = try Self.plan([input, "--limit", "1B", "--dry-run"])
        #expect(status == 1)
        #expect(Self.steps(plan["steps"]).first?["action"] as? String == "strip --preset deploy")
        let dominant = ((plan["dominant"] as? [[String: Any]]) ?? []).compactMap { $0["path"] as? String }
        #expect(!dominant.isEmpty && !dominant.contains { $0.contains("stop_words_") }, "\(dominant)")
        #expect(dominant.contains("vocabulary_"))
        // A tarball whose members were stripped: its parts are the stripped members'.
        let tarball = try Self.plan([Repository.path("fixtures/bundles/sagemaker/model-torch.tar.gz"), "--limit", "1B", "--dry-run"]).plan
        let parts = ((tarball["dominant"] as? [[String: Any]]) ?? []).compactMap { $0["path"] as? String }
        #expect(!parts.isEmpty && !parts.contains { $0.contains("optimizer_state_dict") }, "\(parts)")
        #expect(parts.allSatisfy { $0.hasPrefix(Repository.path("fixtures/bundles/sagemaker/model-torch.tar.gz")) }, "\(parts)")
    }
}

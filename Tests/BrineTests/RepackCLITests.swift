import Foundation
import Synchronization
import Testing

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

    /// A dry run leaves the input's directory as it was: its trial files go to the temporary
    /// directory (they once appeared beside the input, where a concurrent `brine check` of
    /// that directory read them).
    @Test func dryRunWritesNothingBesideTheInput() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brine-dry-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for fixture in ["fixtures/bundles/sagemaker/model.tar.gz", "fixtures/models/pipeline_tfidf_lr.joblib"] {
            let input = directory + "/" + (fixture as NSString).lastPathComponent
            try FileManager.default.copyItem(atPath: Repository.path(fixture), toPath: input)
            let before = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            // A watcher lists the directory while the repack runs, as a walk would.
            let seen = Mutex<Set<String>>([])
            let done = Atomic<Bool>(false)
            let watcher = Thread {
                while !done.load(ordering: .acquiring) {
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
                    seen.withLock { $0.formUnion(names) }
                }
            }
            watcher.start()
            let result = runBrine(["repack", input, "--limit", "1B", "--dry-run"])
            done.store(true, ordering: .releasing)
            while !watcher.isFinished { usleep(1000) }
            #expect(result.status == 1, "\(result.errors)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == before)
            #expect(seen.withLock { $0 }.isSubset(of: Set(before)), "\(seen.withLock { $0 })")
        }
    }
}

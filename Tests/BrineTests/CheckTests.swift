@testable import Brine
import BrineIO
import Foundation
import Testing

/// `brine check` on the real artifacts of fixtures/check (made by fixtures/check/generate_check.py).
@Suite struct CheckTests {
    static let findingsDir = "fixtures/check/findings/"

    func check(_ file: String, app: String? = nil, requirements: [String] = [], python: String? = nil) throws -> [Finding] {
        let context = try CheckContext.make(
            appDirectory: app.map { Repository.path("fixtures/check/" + $0) },
            requirementFiles: requirements.map { Repository.path(Self.findingsDir + $0) }, pythonVersion: python)
        let path = file.hasPrefix("fixtures/") ? file : Self.findingsDir + file
        return try Checker.check(path: Repository.path(path), context: context)
    }

    func codes(_ findings: [Finding], _ severity: Severity? = nil) -> Set<String> {
        Set(findings.filter { severity == nil || $0.severity == severity }.map(\.code))
    }

    // MARK: BR101

    @Test func mainModuleReferencesAreErrorsAtTheirTreePaths() throws {
        let findings = try check("main_pipeline.pkl").filter { $0.code == "BR101" }
        #expect(findings.allSatisfy { $0.severity == .error })
        #expect(Set(findings.compactMap(\.location.treePath)) == ["steps[0][1].tokenizer", "steps[0][1].preprocessor"])
        #expect(findings.contains { $0.message.hasPrefix("steps[0][1].tokenizer -> __main__.my_tokenizer:") })
        #expect(findings.allSatisfy { $0.fix?.contains("re-pickle") == true })
    }

    @Test func mainModuleFixPointsAtTheAppModuleThatDefinesIt() throws {
        let finding = try #require(try check("main_pipeline.pkl", app: "app_ok").first { $0.code == "BR101" && $0.message.contains("my_tokenizer") })
        #expect(finding.fix?.contains("`textprep.tokenize`") == true)
    }

    // MARK: BR102 BR103 BR104

    @Test func moduleResolvedAgainstTheAppIsClean() throws {
        let findings = try check("module_pipeline.pkl", app: "app_ok")
        #expect(codes(findings, .error).isEmpty)
        #expect(!codes(findings).contains("BR602"))
    }

    @Test func missingAppModuleIsUnresolved() throws {
        let findings = try check("module_pipeline.pkl", app: "app_missing").filter { $0.code == "BR102" }
        #expect(findings.count == 2)
        #expect(findings.allSatisfy { $0.severity == .error && $0.message.contains("textprep.tokenize") })
    }

    @Test func renamedFunctionIsAMissingName() throws {
        let findings = try check("module_pipeline.pkl", app: "app_moved").filter { $0.code == "BR104" }
        #expect(Set(findings.compactMap(\.location.treePath)) == ["steps[0][1].tokenizer", "steps[0][1].preprocessor"])
        #expect(findings.allSatisfy { $0.severity == .error })
    }

    @Test func undeclaredDistributionIsAnErrorNamingWhatToAdd() throws {
        let findings = try check("module_pipeline.pkl", app: "app_ok", requirements: ["requirements-no-sklearn.txt"])
            .filter { $0.code == "BR103" }
        #expect(findings.contains { $0.severity == .error && $0.message.contains("add `scikit-learn` to requirements-no-sklearn.txt") })
        // pandas brings numpy along: no finding for numpy; scipy is not declared.
        #expect(!findings.contains { $0.message.contains("`numpy`") })
        #expect(findings.contains { $0.message.contains("`scipy`") })
        // One finding per distribution, not per class.
        #expect(findings.filter { $0.message.contains("`scikit-learn`") }.count == 1)
    }

    @Test func noRequirementsInTheAppMakesDependenciesWarnings() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("brine-empty-app-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let context = try CheckContext.make(appDirectory: empty.path, requirementFiles: [], pythonVersion: nil)
        let findings = try Checker.check(path: Repository.path(Self.findingsDir + "posix_path.pkl"), context: context)
        #expect(findings.allSatisfy { $0.severity != .error })
        let sklearn = try Checker.check(path: Repository.path(Self.findingsDir + "module_pipeline.pkl"), context: context)
        #expect(sklearn.contains { $0.code == "BR103" && $0.severity == .warning && $0.message.contains("scikit-learn") })
    }

    @Test func removedStandardLibraryModuleIsUnresolvedOnNewerPython() throws {
        let bytes: [UInt8] = Array("cimp\nreload\n.".utf8)
        let path = try temporaryFile(bytes, name: "imp.pkl")
        let context = CheckContext(dependencies: { var d = DeclaredDependencies(); d.add(name: "numpy", specifier: "", source: "r.txt"); d.sources = ["r.txt"]; return d }(), pythonMinor: 12)
        let findings = try Checker.check(path: path, context: context)
        #expect(findings.contains { $0.code == "BR102" && $0.message.contains("removed from the standard library in Python 3.12") })
    }

    // MARK: BR201 BR202 BR203

    @Test func sklearnPinThatContradictsTheArtifactIsAnError() throws {
        let finding = try #require(try check("main_pipeline.pkl", requirements: ["requirements-sklearn15.txt"]).first { $0.code == "BR201" })
        #expect(finding.severity == .error)
        #expect(finding.message == "pickled with scikit-learn 1.4.2; requirements-sklearn15.txt pins scikit-learn==1.5.0")
    }

    @Test func sklearnRangeWarnsExactPinIsSilentUnknownWarns() throws {
        let range = try check("main_pipeline.pkl", requirements: ["pyproject.toml"]).first { $0.code == "BR201" }
        #expect(range?.severity == .warning)
        #expect(range?.message.contains("allows other versions (>=1.3,<1.5)") == true)
        #expect(try check("main_pipeline.pkl", requirements: ["Pipfile"]).allSatisfy { $0.code != "BR201" })
        #expect(try check("module_pipeline.pkl").first { $0.code == "BR201" }?.severity == .warning)
    }

    @Test func numpy2PickleAgainstNumpy1PinIsAnError() throws {
        let pinned = try #require(try check("numpy2_dataframe.pkl", requirements: ["requirements-numpy1.txt"]).first { $0.code == "BR202" })
        #expect(pinned.severity == .error)
        #expect(pinned.message.contains("pins numpy<2"))
        #expect(try check("numpy2_dataframe.pkl").first { $0.code == "BR202" }?.severity == .warning)
        // numpy 1 pickles never raise it.
        #expect(try check("fixtures/models/dataframe.pkl").allSatisfy { $0.code != "BR202" })
    }

    @Test func numpy126StubsLoadMultiarrayOnlyPickles() throws {
        let path = try temporaryFile(Array("cnumpy._core.multiarray\n_reconstruct\n.".utf8), name: "stub.pkl")
        func findings(_ pin: String) throws -> [Finding] {
            var declared = DeclaredDependencies()
            declared.add(name: "numpy", specifier: pin, source: "requirements.txt")
            declared.sources = ["requirements.txt"]
            return try Checker.check(path: path, context: CheckContext(dependencies: declared)).filter { $0.code == "BR202" }
        }
        #expect(try findings("==1.26.4").isEmpty)
        #expect(try findings("==1.25.2").first?.severity == .error)
        #expect(try findings("<2").first?.severity == .warning)
    }

    @Test(arguments: ["cloudpickle_byvalue.pkl", "dill_byvalue.pkl"])
    func byValueCodeIsAWarningAtTheFunction(file: String) throws {
        let findings = try check(file)
        let finding = try #require(findings.first { $0.code == "BR203" })
        #expect(finding.severity == .warning)
        #expect(finding.location.treePath == "steps[0][1].func")
        // cloudpickle's subimport('numpy') and dill's _import_module('numpy') are not dangerous.
        #expect(!codes(findings).contains("BR601"))
    }

    @Test func cloudpickleCodeFromAnotherPythonFamilyIsAnError() throws {
        let onOlder = try #require(try check("cloudpickle_byvalue.pkl", python: "3.10").first { $0.code == "BR203" })
        #expect(onOlder.severity == .error)
        #expect(onOlder.message == "a code object pickled by value under CPython 3.11 or later cannot be rebuilt on Python 3.10")
        #expect(onOlder.location.treePath == "steps[0][1].func.__reduce_args__[0]")
        #expect(try check("cloudpickle_byvalue.pkl", python: "3.12").first { $0.code == "BR203" }?.severity == .warning)
    }

    // MARK: BR301 BR302

    @Test func posixPathWarnsPurePathDoesNot() throws {
        let findings = try check("posix_path.pkl").filter { $0.code == "BR301" }
        #expect(findings.count == 1)
        #expect(findings.first?.location.treePath == "['model_dir']")
        #expect(findings.first?.severity == .warning)
    }

    @Test func cudaStorageInATorchPersistentIdWarns() throws {
        // torch's data.pkl form: BINPERSID of ('storage', torch.FloatStorage, '0', 'cuda:0', 4).
        var bytes: [UInt8] = [0x80, 0x02, 0x7D, 0x58]  // PROTO 2, EMPTY_DICT, BINUNICODE 'weight'
        bytes += [6, 0, 0, 0] + Array("weight".utf8) + [0x28, 0x58, 7, 0, 0, 0] + Array("storage".utf8)
        bytes += Array("ctorch\nFloatStorage\n".utf8) + [0x58, 1, 0, 0, 0] + Array("0".utf8)
        bytes += [0x58, 6, 0, 0, 0] + Array("cuda:0".utf8) + [0x4B, 4, 0x74, 0x51, 0x73, 0x2E]  // K 4, TUPLE, BINPERSID, SETITEM, STOP
        let path = try temporaryFile(bytes, name: "cuda.pkl")
        let findings = try Checker.check(path: path, context: CheckContext())
        let finding = try #require(findings.first { $0.code == "BR302" })
        #expect(finding.message == "1 tensor storage saved on `cuda:0`")
        #expect(finding.location.treePath == "['weight']")
        #expect(!codes(findings).contains("BR601"))
    }

    @Test func storagesFromOutsideThePickleJoinThroughTheHook() throws {
        let inspection = try Inspector.inspect(path: Repository.path(Self.findingsDir + "posix_path.pkl"),
                                               options: { var o = InspectOptions(); o.recordsReferences = true; return o }())
        let facts = ArtifactFacts(file: "legacy.pt", inspection: inspection,
                                  storages: [StorageLocation(treePath: "layer.weight", location: "cuda:1"), StorageLocation(treePath: nil, location: "cpu")])
        let findings = Checker.findings(facts, context: CheckContext())
        #expect(findings.filter { $0.code == "BR302" }.map(\.message) == ["1 tensor storage saved on `cuda:1`"])
    }

    // MARK: BR401 BR501

    @Test(arguments: ["encoder_padded.pkl", "encoder_padded.joblib"])
    func paddedCategoriesAreFoundInEncoders(file: String) throws {
        let findings = try check(file).filter { $0.code == "BR401" }
        let onehot = try #require(findings.first { $0.location.treePath == "['onehot'].categories_[0]" })
        #expect(onehot.message.contains("' red', 'blue '"))
        #expect(onehot.severity == .warning)
        // The clean OrdinalEncoder raises nothing.
        #expect(!findings.contains { $0.location.treePath?.contains("ordinal") == true })
        #expect(findings.contains { $0.location.treePath == "['labels'].classes_" && $0.message.contains("' yes'") })
    }

    @Test func stopWordsArePrivacyWarningsOnlyWhenNonEmpty() throws {
        let finding = try #require(try check("fixtures/pickle/sklearn_pipeline_p4.pkl").first { $0.code == "BR501" })
        #expect(finding.location.treePath == "steps[0][1].stop_words_")
        #expect(finding.severity == .warning)
        #expect(finding.message.contains("CVE") == false && finding.explanation.contains("CVE-2024-5206"))
        #expect(try check("main_pipeline.pkl").allSatisfy { $0.code != "BR501" })
    }

    // MARK: BR601 BR602, precision and recall

    static let hostile = Repository.fixtures(in: "check/hostile", extensions: CorpusFiles.extensions)

    @Test(arguments: hostile)
    func everyHostileFixtureIsADangerousError(path: String) throws {
        let result = try BundleChecker.check(path: path, context: CheckContext())
        #expect(result.unreadable.isEmpty)
        let findings = result.findings
        #expect(findings.contains { $0.code == "BR601" && $0.severity == .error }, "\(path)")
    }

    @Test func hostileFixturesExist() {
        #expect(Self.hostile.count >= 20)
        #expect(Self.hostile.contains { $0.hasSuffix(".tar.gz") } && Self.hostile.contains { $0.hasSuffix(".zip") })
    }

    @Test(arguments: CorpusFiles.benign())
    func benignCorpusRaisesNoSecurityFinding(path: String) throws {
        let result = try BundleChecker.check(path: path, context: CheckContext())
        #expect(result.unreadable.isEmpty, "\(path): \(result.unreadable)")
        let security = result.findings.filter(\.rule.isSecurity)
        #expect(security.isEmpty, "\(path): \(security.map(\.message))")
    }

    @Test func benignCorpusCoversEveryCodec() {
        let names = CorpusFiles.benign().map { ($0 as NSString).lastPathComponent }
        for codec in ["zlib", "gz", "bz2", "xz", "lzma", "lz4"] { #expect(names.contains { $0.hasSuffix(".joblib." + codec) }) }
        #expect(names.contains("lightgbm_classifier.pkl"))
        #expect(names.contains("model.tar.gz") && names.contains("heroku-app"))
        #expect(!names.contains("escape.tar") && !names.contains("bomb.tar.bz2"))
    }

    @Test(arguments: Repository.fixtures(in: "pickle", extensions: ["pkl"]))
    func syntheticPicklesRaiseNoDangerousGlobal(path: String) throws {
        #expect(try Checker.check(path: path, context: CheckContext()).allSatisfy { $0.code != "BR601" })
    }

    @Test func unknownGlobalsAreWarningsAndSilencedByTheAppDir() throws {
        let unknown = try check("module_pipeline.pkl").filter { $0.code == "BR602" }
        #expect(unknown.count == 2 && unknown.allSatisfy { $0.severity == .warning })
        #expect(try check("module_pipeline.pkl", app: "app_ok").allSatisfy { $0.code != "BR602" })
    }

    @Test func getattrOfNewIsCPythonsOwnPatternButOtherAttributesAreNot() throws {
        #expect(try check("fixtures/pickle/objects_p2.pkl").allSatisfy { $0.code != "BR601" })
        let finding = try #require(try check("fixtures/check/hostile/getattr_chain_p4.pkl").first { $0.message.contains("getattr") })
        #expect(finding.severity == .error)
    }

    @Test func pyTorchFilesAreCheckedWithTheirTensorLocations() throws {
        let cuda = try check("fixtures/torch/checkpoint_cuda.pt").filter { $0.code == "BR302" }
        #expect(cuda.map(\.message) == ["5 tensor storages saved on `cuda:0`"])
        #expect(cuda.first?.location.treePath == "['model_state_dict']['embedding.weight']")
        #expect(try check("fixtures/torch/checkpoint.pt").allSatisfy { $0.code != "BR302" })
        let module = try check("fixtures/torch/module_main.pt")
        #expect(module.contains { $0.code == "BR101" && $0.severity == .error && $0.message.contains("__main__.TinyNet") })
        let fastai = try check("fixtures/torch/fastai_export.pkl")
        #expect(Set(fastai.filter { $0.code == "BR301" }.compactMap(\.location.treePath)) == ["path", "dls.path"])
        // fastai pickles bound methods as getattr(obj, 'name'): not a dangerous call.
        #expect(fastai.allSatisfy { !$0.rule.isSecurity })
        #expect(try check("fixtures/torch/scripted.pt").isEmpty)
    }

    @Test func torchScriptClassNamesAreNotImports() throws {
        let path = try temporaryFile(Array("c__torch__.model\nNet\n)R.".utf8), name: "constants.pkl")
        var declared = DeclaredDependencies()
        declared.add(name: "torch", specifier: "==2.4.0", source: "requirements.txt")
        declared.sources = ["requirements.txt"]
        #expect(try Checker.check(path: path, context: CheckContext(dependencies: declared)).isEmpty)
        #expect(try Checker.check(path: path, context: CheckContext()).isEmpty)
    }

    @Test func everyRuleHasADocsEntry() throws {
        let docs = try String(contentsOfFile: Repository.path("docs/checks.md"), encoding: .utf8)
        for rule in CheckRules.all {
            #expect(docs.contains("<a id=\"\(rule.code.lowercased())\"></a>"), "\(rule.code)")
            #expect(docs.contains("`\(rule.name)`"), "\(rule.code)")
        }
    }
}

/// The artifact files of the fixture corpus, found by globbing so new fixture folders
/// (torch, fastai, tarballs) join the precision test without editing it.
enum CorpusFiles {
    static let extensions: Set<String> = ["pkl", "pickle", "joblib", "zlib", "gz", "bz2", "xz", "lzma", "lz4", "pt", "pth", "ckpt", "bin", "tar", "tgz", "zip"]
    /// Folders whose artifacts are deliberately not benign or not realistic.
    static let excluded: Set<String> = [
        "fixtures/check/hostile", "fixtures/check/findings", "fixtures/pickle", "fixtures/bundles/hostile", "fixtures/malformed",
    ]
    /// App directories checked as one bundle: they hold files that are no artifact.
    static let directories: Set<String> = ["fixtures/bundles/heroku-app"]

    static func benign() -> [String] {
        let root = Repository.path("fixtures")
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var out = directories.sorted().map(Repository.path)
        for case let relative as String in walker {
            let path = "fixtures/" + relative
            guard !directories.contains(where: { path.hasPrefix($0 + "/") }) else { continue }
            guard !excluded.contains(where: { path.hasPrefix($0 + "/") }), extensions.contains((relative as NSString).pathExtension) else { continue }
            if (relative as NSString).lastPathComponent.hasPrefix(".") { continue }
            out.append(Repository.path(path))
        }
        return out.sorted()
    }
}

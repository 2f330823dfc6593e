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

import Foundation
import Testing

/// Download-and-run and other globals added beyond picklescan's and modelscan's lists: each
/// one, called with REDUCE in a hand-built pickle (never executed), is BR601 at every protocol.
@Suite struct SecurityListCLITests {
    static let globals: [(module: String, name: String)] = [
        ("torch.hub", "load"), ("torch.hub", "load_state_dict_from_url"), ("torch.hub", "download_url_to_file"),
        ("torch.utils.model_zoo", "load_url"), ("torch", "load"),
        ("numpy.ctypeslib", "load_library"), ("keras.utils.generic_utils", "func_load"),
        ("tensorflow.python.keras.utils.generic_utils", "func_load"),
        ("urllib3", "request"), ("httpx", "get"), ("urllib2", "urlopen"), ("socketserver", "TCPServer"), ("nntplib", "NNTP"),
        ("popen2", "popen2"), ("pexpect", "run"), ("paramiko", "SSHClient"), ("cffi", "FFI"),
        ("setuptools.sandbox", "run_setup"),
    ]

    /// `module.name('x')` as protocol `version` writes it: GLOBAL (0–3) or STACK_GLOBAL (4–5),
    /// then the argument tuple and REDUCE.
    static func pickle(_ module: String, _ name: String, protocol version: Int) -> [UInt8] {
        func short(_ text: String) -> [UInt8] { [0x8C, UInt8(text.utf8.count)] + Array(text.utf8) }
        let global = Array("c\(module)\n\(name)\n".utf8)
        switch version {
        case 0: return global + Array("(S'x'\ntR.".utf8)
        case 1: return global + Array("(U\u{01}xtR.".utf8)
        case 2: return [0x80, 2] + global + [0x55, 1, 0x78, 0x85, 0x52, 0x2E]
        case 3: return [0x80, 3] + global + [0x58, 1, 0, 0, 0, 0x78, 0x85, 0x52, 0x2E]
        default:
            // MEMOIZE after each string and the global, as CPython writes them.
            return [0x80, UInt8(version)] + short(module) + [0x94] + short(name) + [0x94, 0x93, 0x94]
                + short("x") + [0x94, 0x85, 0x94, 0x52, 0x94, 0x2E]
        }
    }

    @Test(arguments: globals.map { "\($0.module).\($0.name)" })
    func downloadAndRunGlobalIsDangerousAtEveryProtocol(qualified: String) throws {
        let entry = try #require(Self.globals.first { "\($0.module).\($0.name)" == qualified })
        for version in 0...5 {
            let path = try temporaryFile(Self.pickle(entry.module, entry.name, protocol: version), name: "p\(version).pkl")
            defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
            let result = runBrine(["check", path, "--format", "json"])
            #expect(result.status == 1, "protocol \(version): \(result.errors)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
            let findings = (object["findings"] as? [[String: Any]]) ?? []
            let dangerous = findings.filter { $0["code"] as? String == "BR601" }
            #expect(dangerous.count == 1, "protocol \(version): \(findings)")
            let message = dangerous.first?["message"] as? String ?? ""
            #expect(dangerous.first?["severity"] as? String == "error")
            #expect(message.contains(qualified) && message.contains("is called when the artifact loads"), "protocol \(version): \(message)")
        }
    }

    @Test func torchHubSaysItDownloadsAndRuns() throws {
        let path = try temporaryFile(Self.pickle("torch.hub", "load", protocol: 2), name: "hub.pkl")
        let result = runBrine(["check", path])
        #expect(result.output.contains("downloads code or a checkpoint from the network and runs or unpickles it"), "\(result.output)")
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// The installed distributions of a venv or site-packages directory, measured from their
/// RECORD files (the list pip writes of every file it installed, with sizes).
public struct PythonEnvironment: Codable, Sendable, Equatable {
    public struct Distribution: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
        public var files: Int
        public var bytes: UInt64
    }

    public var sitePackages: String
    /// Largest first.
    public var distributions: [Distribution]
    public var bytes: UInt64 { distributions.reduce(0) { $0 &+ $1.bytes } }

    /// What each installed distribution's files are, in `*.dist-info` name order, so
    /// compressed measures can pack them and cache each one's figure (`BudgetCache`).
    public var installed: [Installed] = []

    /// One `*.dist-info` directory: its RECORD's digest and its files resolved on disk.
    public struct Installed: Sendable, Equatable {
        public var infoDirectory: String
        /// SHA-256 of the RECORD file's bytes.
        public var recordDigest: String
        public var filePaths: [String]
        /// The distribution's name and version (METADATA), for the import-name mapping.
        public var name: String = ""
        public var version: String = ""
        /// The top-level modules it installs: its `top_level.txt`, or (wheels built without
        /// one) the first component of each RECORD path; `topLevelEvidence` says which.
        public var topLevelModules: [String] = []
        public var topLevelEvidence: String = ""
    }

    /// The installed distributions that install the top-level module `importName`
    /// (`pycrfsuite` → python-crfsuite), with the file that says so.
    public func distributions(providing importName: String) -> [Installed] {
        installed.filter { $0.topLevelModules.contains(importName) }
    }

    /// `top_level.txt`'s names, else the top-level modules and packages RECORD lists.
    static func topLevelModules(infoDirectory: String, record: String) -> (modules: [String], evidence: String) {
        if let text = readText(infoDirectory + "/top_level.txt") {
            let names = text.split(whereSeparator: \.isNewline).map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
            return (Array(Set(names.map { String($0.split(separator: "/").first ?? Substring($0)) })).sorted(), "top_level.txt")
        }
        var names = Set<String>()
        for line in record.split(whereSeparator: \.isNewline) {
            guard let path = splitRecordLine(String(line)).first, !path.isEmpty, !path.hasPrefix("/"), !path.hasPrefix("..") else { continue }
            let parts = path.split(separator: "/")
            guard var first = parts.first.map(String.init) else { continue }
            if first.hasSuffix(".dist-info") || first.hasSuffix(".data") || first.hasSuffix(".pth") || first == "__pycache__" { continue }
            if parts.count == 1 {
                // A module file: `six.py`, `_cffi_backend.cpython-311-x86_64-linux-gnu.so`.
                guard first.hasSuffix(".py") || first.hasSuffix(".so") || first.hasSuffix(".pyd") else { continue }
                first = String(first.prefix { $0 != "." })
            }
            names.insert(first)
        }
        return (names.sorted(), "RECORD")
    }

    /// Files of every distribution, resolved on disk.
    public var filePaths: [String] { installed.flatMap(\.filePaths) }

    enum CodingKeys: String, CodingKey { case sitePackages, distributions }

    /// Reads `directory`: a site-packages directory, or a venv holding `lib/python*/site-packages`.
    public static func scan(_ directory: String) -> PythonEnvironment? {
        guard let sitePackages = findSitePackages(directory) else { return nil }
        var environment = PythonEnvironment(sitePackages: sitePackages, distributions: [])
        for name in listDirectory(sitePackages).sorted() where name.hasSuffix(".dist-info") {
            let infoDirectory = sitePackages + "/" + name
            guard let record = readText(infoDirectory + "/RECORD") else { continue }
            var digest = SHA256Digest()
            Array(record.utf8).withUnsafeBytes { digest.update($0) }
            var installed = Installed(infoDirectory: name, recordDigest: digest.finish(), filePaths: [])
            var (distName, version) = nameAndVersion(fromDirectory: String(name.dropLast(".dist-info".count)))
            if let metadata = readText(infoDirectory + "/METADATA", maximumBytes: 4 << 20) {
                for line in metadata.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).prefix(40) {
                    if line.hasPrefix("Name: ") { distName = String(line.dropFirst(6)) }
                    if line.hasPrefix("Version: ") { version = String(line.dropFirst(9)) }
                }
            }
            var files = 0
            var bytes: UInt64 = 0
            for line in record.split(whereSeparator: \.isNewline) {
                let fields = splitRecordLine(String(line))
                guard let path = fields.first, !path.isEmpty else { continue }
                let diskPath = path.hasPrefix("/") ? path : sitePackages + "/" + path
                var size = fields.count >= 3 ? UInt64(fields[2]) : nil
                if size == nil {
                    var info = stat()
                    if stat(diskPath, &info) == 0, info.st_mode & S_IFMT == S_IFREG { size = UInt64(max(0, info.st_size)) }
                }
                guard let size else { continue }
                files += 1
                bytes &+= size
                installed.filePaths.append(diskPath)
            }
            installed.name = distName
            installed.version = version
            (installed.topLevelModules, installed.topLevelEvidence) = topLevelModules(infoDirectory: infoDirectory, record: record)
            environment.installed.append(installed)
            environment.distributions.append(Distribution(name: distName, version: version, files: files, bytes: bytes))
        }
        environment.distributions.sort { $0.bytes != $1.bytes ? $0.bytes > $1.bytes : $0.name < $1.name }
        return environment
    }

    static func findSitePackages(_ directory: String) -> String? {
        if listDirectory(directory).contains(where: { $0.hasSuffix(".dist-info") }) { return directory }
        for lib in ["lib", "lib64", "Lib"] {
            let libPath = directory + "/" + lib
            if lib == "Lib", listDirectory(libPath).contains("site-packages") { return libPath + "/site-packages" }
            for python in listDirectory(libPath).sorted() where python.hasPrefix("python") {
                let candidate = libPath + "/" + python + "/site-packages"
                if !listDirectory(candidate).isEmpty { return candidate }
            }
        }
        return nil
    }

    static func nameAndVersion(fromDirectory name: String) -> (String, String) {
        guard let dash = name.firstIndex(of: "-") else { return (name, "") }
        return (String(name[..<dash]), String(name[name.index(after: dash)...]))
    }

    /// RECORD is CSV: a path may be quoted when it holds a comma.
    static func splitRecordLine(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        for character in line {
            if character == "\"" { quoted.toggle() } else if character == "," && !quoted {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}

func listDirectory(_ path: String) -> [String] {
    guard let handle = opendir(path) else { return [] }
    defer { closedir(handle) }
    var names: [String] = []
    while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// Known heavy dependency choices with a lighter drop-in for serving on CPU.
public struct HeavyDependencyRule: Sendable {
    public var code: String
    public var matches: @Sendable (PythonEnvironment) -> [PythonEnvironment.Distribution]
    public var advice: String
    public var source: String

    public static let builtIn: [HeavyDependencyRule] = [
        HeavyDependencyRule(
            code: "heavy-torch-cuda",
            matches: { env in
                let cuda = env.distributions.filter { $0.name.lowercased().hasPrefix("nvidia-") || $0.name.lowercased() == "triton" }
                let torch = env.distributions.filter { $0.name.lowercased() == "torch" && ($0.version.contains("+cu") || !cuda.isEmpty) }
                return torch.isEmpty ? [] : torch + cuda
            },
            advice: "the CUDA build of torch and its nvidia-* libraries; a CPU-only platform cannot use them. Install the CPU wheel: pip install torch --index-url https://download.pytorch.org/whl/cpu",
            source: "https://pytorch.org/get-started/locally/ (Compute Platform: CPU)"),
        HeavyDependencyRule(
            code: "heavy-tensorflow",
            matches: { env in env.distributions.filter { $0.name.lowercased() == "tensorflow" } },
            advice: "tensorflow includes GPU support; on a CPU-only platform tensorflow-cpu is the smaller package with the same API",
            source: "https://pypi.org/project/tensorflow-cpu/ ; https://www.tensorflow.org/install/pip"),
        HeavyDependencyRule(
            code: "heavy-opencv-gui",
            matches: { env in env.distributions.filter { ["opencv-python", "opencv-contrib-python"].contains($0.name.lowercased()) } },
            advice: "opencv-python carries GUI libraries a server never opens; use opencv-python-headless (or opencv-contrib-python-headless), same cv2 module",
            source: "https://pypi.org/project/opencv-python/ (\"packages for server (headless) environments\")"),
    ]
}

/// What Brine was told about the server: the application's sources, its declared
/// dependencies and its Python. Whatever is missing makes environment-dependent findings
/// warnings instead of errors.
public struct CheckContext: Sendable {
    public var appSources: AppSourcesSnapshot?
    public var dependencies: DeclaredDependencies
    /// Target CPython minor version (3.x); nil when not given.
    public var pythonMinor: Int?

    public init(appSources: AppSourcesSnapshot? = nil, dependencies: DeclaredDependencies = DeclaredDependencies(), pythonMinor: Int? = nil) {
        self.appSources = appSources
        self.dependencies = dependencies
        self.pythonMinor = pythonMinor
    }

    /// Builds the context from CLI-style options: the app directory (its requirements files
    /// are read too) and explicit requirements files.
    public static func make(appDirectory: String?, requirementFiles: [String], pythonVersion: String?) throws -> CheckContext {
        var dependencies = DeclaredDependencies()
        for file in requirementFiles { try dependencies.read(file: file) }
        if requirementFiles.isEmpty, let appDirectory { dependencies.discover(in: appDirectory) }
        var minor: Int?
        if let pythonVersion {
            guard let version = PackageVersion(pythonVersion), version.release.first == 3, version.release.count >= 2 else {
                throw CheckContextError.badPythonVersion(pythonVersion)
            }
            minor = version.release[1]
        }
        return CheckContext(appSources: appDirectory.map { AppSourcesSnapshot(AppSources(root: $0)) }, dependencies: dependencies,
                            pythonMinor: minor)
    }
}

public enum CheckContextError: Error, CustomStringConvertible {
    case badPythonVersion(String)

    public var description: String {
        switch self {
        case .badPythonVersion(let text): "--python-version must look like 3.11, got '\(text)'"
        }
    }
}

/// `AppSources` is a cache that fills as it is asked; this wrapper lets a context be shared.
public final class AppSourcesSnapshot: @unchecked Sendable {
    private let sources: AppSources
    private let lock = NSLockLike()

    public init(_ sources: AppSources) { self.sources = sources }

    public var root: String { sources.root }

    public func hasModule(_ module: String) -> Bool { lock.with { sources.hasModule(module) } }
    public func hasTopLevel(of module: String) -> Bool { lock.with { sources.hasTopLevel(of: module) } }
    public func defines(_ name: String, in module: String) -> Bool { lock.with { sources.defines(name, in: module) } }
    public func moduleDefining(_ name: String) -> String? { lock.with { sources.moduleDefining(name) } }
}

import ArgumentParser
import Brine
import BrineIO
import Foundation

/// `brine check PATH…`: why an artifact will fail to load on the server, and whether
/// anything in it can run code. Nothing in the files is executed or imported.
struct CheckCommand: BrineSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Explain why an artifact will fail to load on the server, and whether it can run code.",
        discussion: """
            Finds references into __main__, modules the application does not have \
            (--app-dir), dependencies the requirements do not declare, version skew \
            (scikit-learn, numpy 2, by-value bytecode), platform-bound objects, \
            whitespace-padded categories, training tokens in stop_words_, and globals that \
            can run code. Every finding code is explained in docs/checks.md.

            Errors are loads that will fail or code that will run; warnings depend on an \
            environment Brine was not told about.

            PATH may be a directory or a tar (any codec) or zip bundle: every artifact in it \
            is found by content and checked, recursively (findings name the member, as in \
            model.tar.gz!code/word_dict.pkl); other members are skipped. Members named to \
            land outside the extraction directory are findings (BR721). With no PATH, \
            brine.toml in the current directory says what to check and how many findings \
            of each severity are tolerated (docs/config.md).

            Exit codes: 0 no finding at or above --fail-on (or within brine.toml's \
            [findings]), 1 findings at or above it, 2 an input or one of its artifact \
            members could not be read (or a bundle limit was reached), 64 usage error.
            """
    )

    @Argument(help: "Pickle, joblib or PyTorch files, directories, tar or zip bundles (formats are detected by content; - reads standard input).")
    var paths: [String] = []

    @Option(name: .customLong("app-dir"), help: ArgumentHelp(
        "The application's source directory: references are resolved against its modules and its requirements files.",
        valueName: "dir"))
    var appDirectory: String?

    @Option(name: .customLong("requirements"), help: ArgumentHelp(
        "requirements.txt, pyproject.toml or Pipfile declaring the server's dependencies (repeatable).", valueName: "file"))
    var requirements: [String] = []

    @Option(name: .customLong("python-version"), help: ArgumentHelp(
        "The server's Python (e.g. 3.11): which standard library modules exist.", valueName: "3.x"))
    var pythonVersion: String?

    @OptionGroup var output: FindingOutputOptions

    @Option(help: ArgumentHelp("Configuration file (default: ./brine.toml when no PATH is given).", valueName: "file"))
    var config: String?

    @Flag(name: .shortAndLong, help: "No progress bar on standard error (it is drawn only on a terminal anyway).")
    var quiet = false

    @OptionGroup var jobs: JobsOption

    @OptionGroup var bundleLimits: BundleLimitOptions

    func validate() throws {
        if let appDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: appDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--app-dir \(appDirectory) is not a directory")
            }
        }
        if let pythonVersion, (try? CheckContext.make(appDirectory: nil, requirementFiles: [], pythonVersion: pythonVersion)) == nil {
            throw ValidationError("--python-version must look like 3.11, got '\(pythonVersion)'")
        }
    }

    func execute(io: CommandIO) -> ExitStatus {
        var inputs = paths
        var allowed: [Severity: Int]?
        var appDirectory = self.appDirectory
        var requirements = self.requirements
        var pythonVersion = self.pythonVersion
        if let configPath = config ?? (paths.isEmpty ? "brine.toml" : nil) {
            guard let text = try? String(contentsOfFile: configPath, encoding: .utf8) else {
                io.report("\(configPath): cannot open: give PATH… or a brine.toml (docs/config.md)")
                return paths.isEmpty ? .usage : .unreadableInput
            }
            let configuration: BrineConfig
            do { configuration = try BrineConfig.parse(text) } catch {
                io.report("\(configPath): \(error)")
                return .unreadableInput
            }
            let base = configPath.contains("/") ? String(configPath[...configPath.lastIndex(of: "/")!]) : ""
            if paths.isEmpty {
                inputs = ConfigPaths.expand(configuration.checkPaths ?? configuration.paths, base: base)
                guard !inputs.isEmpty else {
                    io.report("\(configPath): its paths match no file")
                    return .unreadableInput
                }
            }
            allowed = ConfigPaths.allowances(configuration.findings, failOn: output.failOn)
            // The server described in [check]; a flag given on the command line wins.
            if appDirectory == nil, let directory = configuration.appDirectory {
                appDirectory = ConfigPaths.relative(directory, base: base)
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: appDirectory!, isDirectory: &isDirectory), isDirectory.boolValue else {
                    io.report("\(configPath): [check] app-dir \(appDirectory!) is not a directory")
                    return .unreadableInput
                }
            }
            if requirements.isEmpty, let files = configuration.requirements {
                requirements = files.map { ConfigPaths.relative($0, base: base) }
            }
            if pythonVersion == nil, let version = configuration.pythonVersion {
                guard (try? CheckContext.make(appDirectory: nil, requirementFiles: [], pythonVersion: version)) != nil else {
                    io.report("\(configPath): [check] python-version must look like 3.11, got '\(version)'")
                    return .unreadableInput
                }
                pythonVersion = version
            }
        }
        if inputs.count(where: { $0 == CommandInput.standardInputArgument }) > 1 {
            io.report("standard input (-) can be named once")
            return .usage
        }
        // The report must never be written over an input it checks.
        if let target = output.output, let input = inputs.first(where: { CommandInput.sameFile($0, target) }) {
            io.report("\(target): -o is the input \(input) itself; inputs are never overwritten, give the report a file of its own")
            return .usage
        }
        for file in requirements {
            do throws(InputError) { try CommandInput.validateReadableFile(file) } catch {
                io.report(error.description)
                return .unreadableInput
            }
        }
        let context: CheckContext
        do {
            context = try CheckContext.make(appDirectory: appDirectory, requirementFiles: requirements, pythonVersion: pythonVersion)
        } catch {
            io.report("\(requirements.joined(separator: ", ")): cannot read requirements: \(error)")
            return .unreadableInput
        }
        var findings: [Finding] = []
        var checked: [String] = []
        var unreadable: [String] = []
        let progress = ProgressReporter.standard(quiet: quiet, io: io)
        var options = bundleLimits.options
        options.progress = progress.update
        options.jobs = jobs.count
        let prefetched = Self.checkFilesInParallel(inputs, context: context, options: options)
        for (index, path) in inputs.enumerated() {
            // An input that cannot be opened is reported, counted as unreadable and not as
            // checked; the other inputs are still checked.
            let input: CommandInput
            do { input = try CommandInput.open(path, accepts: .artifactOrBundle, io: io, limit: bundleLimits.limits.maximumDecompressed) } catch {
                io.report(error.description)
                unreadable.append(path)
                continue
            }
            do {
                var result = try prefetched[index].map { try $0.get() } ?? BundleChecker.check(path: input.path, context: context, options: options)
                if input.isStandardInput { result = Self.renamed(result, input) }
                progress.finish()
                findings += result.findings
                let readable = result.artifacts.filter { artifact in !result.unreadableArtifacts.contains(artifact) }
                // A single artifact is listed under its own name; a bundle under its members.
                if result.isBundle, result.artifacts.isEmpty, result.unreadable.isEmpty {
                    io.report("\(input.name): no artifact in it (nothing checked)")
                } else if result.artifacts == [input.name] || result.artifacts.isEmpty && result.unreadable.isEmpty {
                    if result.unreadable.isEmpty { checked.append(input.name) }
                } else {
                    checked += readable
                }
                // One bad member fails the run: the user asked for all of it to be checked.
                for line in result.unreadable { io.report(line) }
                unreadable += result.unreadableArtifacts.isEmpty && !result.unreadable.isEmpty ? [input.name] : result.unreadableArtifacts
            } catch {
                progress.finish()
                io.report(input.naming("\(error)"))
                unreadable.append(input.name)
            }
        }
        let report = FindingReport(command: "check", inputs: checked, findings: findings, failOn: output.failOn, unreadable: unreadable)
        guard output.write(report, io: io) else { return .unreadableInput }
        if !unreadable.isEmpty { return .unreadableInput }
        if let allowed {
            return allowed.contains { severity, most in report.count(severity) > most } ? .findings : .success
        }
        return report.fails ? .findings : .success
    }

    /// Standard input's findings and lines under `<stdin>`, not the spool file's name.
    private static func renamed(_ result: BundleChecker.Result, _ input: CommandInput) -> BundleChecker.Result {
        var out = result
        out.artifacts = result.artifacts.map(input.naming)
        out.unreadable = result.unreadable.map(input.naming)
        out.unreadableArtifacts = result.unreadableArtifacts.map(input.naming)
        out.findings = result.findings.map { finding in
            var finding = finding
            finding.location.file = input.naming(finding.location.file)
            return finding
        }
        return out
    }
}

/// brine.toml for `brine check` with no PATH.
enum ConfigPaths {
    /// Paths and globs relative to the config's directory, globs expanded (sorted, no match
    /// dropped), plain paths kept so a missing one is reported as unreadable.
    static func expand(_ patterns: [String], base: String) -> [String] {
        var out: [String] = []
        for pattern in patterns {
            let full = pattern == "." && !base.isEmpty ? String(base.dropLast()) : base + pattern
            guard pattern.contains(where: { "*?[".contains($0) }) else {
                out.append(full)
                continue
            }
            var matches = glob_t()
            defer { globfree(&matches) }
            guard glob(full, 0, nil, &matches) == 0 else { continue }
            for index in 0..<Int(matches.gl_pathc) {
                if let cString = matches.gl_pathv[index] { out.append(String(cString: cString)) }
            }
        }
        return out
    }

    /// A path written in the config, relative to the config's directory (`base` ends with
    /// `/` or is empty); absolute paths are kept.
    static func relative(_ path: String, base: String) -> String {
        if path.hasPrefix("/") { return path }
        if path == "." { return base.isEmpty ? "." : String(base.dropLast()) }
        return base + path
    }

    /// `[findings]` counts per severity (`note` is info); a severity not listed fails at
    /// --fail-on as usual (error, unless told otherwise).
    static func allowances(_ counts: [BudgetFinding.Severity: Int], failOn: Severity) -> [Severity: Int] {
        var allowed: [Severity: Int] = [:]
        for severity in Severity.allCases where severity >= failOn { allowed[severity] = 0 }
        for (severity, count) in counts {
            allowed[severity == .note ? .info : severity == .warning ? .warning : .error] = count
        }
        return allowed
    }
}

import ArgumentParser
import Brine
import BrineIO
import Foundation

/// `brine budget PATH… --limit L`: does it fit the platform, and what takes the room.
struct BudgetCommand: BrineSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "budget",
        abstract: "Check that an app, bundle or artifact fits a deploy size limit, and show what takes the room.",
        discussion: """
            LIMIT is a size (300MB, 1.5GiB, 50000000: MB/GB are decimal, MiB/GiB binary) or a \
            platform preset (heroku-slug, heroku-slug-legacy, lambda-zip, lambda-unzipped, \
            lambda-image, vercel-function, vercel-python, app-engine-file; docs/budgets.md). \
            A preset also says what the platform measures: heroku-slug packs the paths as a \
            gzip'd tar (minus .slugignore) and measures that, by really compressing them. \
            With no PATH, brine.toml in the current directory says what to measure \
            (docs/config.md).

            Exit codes: 0 within budget, 1 over budget (or more findings than brine.toml \
            allows), 2 unreadable input, 64 usage error.
            """
    )

    @Argument(help: "Directories, bundles or artifacts measured together.")
    var paths: [String] = []

    @Option(help: "Size limit or platform preset (a value given here wins over brine.toml).")
    var limit: String?

    @Option(help: ArgumentHelp("What to measure for a plain size: gzip-tar, zip, uncompressed, largest-file.", valueName: "measure"))
    var measure: String?

    @Option(name: .customLong("python-env"), help: ArgumentHelp("A venv or site-packages whose installed distributions count too.", valueName: "dir"))
    var pythonEnvironment: String?

    @Option(name: .customLong("ignore-file"), help: ArgumentHelp("Ignore patterns for directories (default: DIR/.slugignore).", valueName: "file"))
    var ignoreFile: String?

    @Option(help: ArgumentHelp("Configuration file (default: ./brine.toml when no PATH is given).", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Compare with a baseline written by --write-baseline.", valueName: "file"))
    var baseline: String?

    @Option(name: .customLong("write-baseline"), help: ArgumentHelp("Write the measured sizes as a baseline.", valueName: "file"))
    var writeBaseline: String?

    @Option(help: "Largest files shown.")
    var top = 10

    @Option(help: "Output format: text, json (the full budget report), markdown (a pull-request comment: total, limit, changes since the baseline, largest files, findings), html (a self-contained page with a treemap; use with -o), or sarif, junit, github (its findings).")
    var format: BudgetFormat = .text

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the report to this file (atomically) instead of stdout.", valueName: "file"))
    var output: String?

    @Flag(name: .shortAndLong, help: "No progress bar on standard error (it is drawn only on a terminal anyway).")
    var quiet = false

    @Flag(name: .customLong("no-cache"), help: "Measure everything afresh: neither read nor write the cache of compressed sizes (~/.cache/brine/budget, BRINE_BUDGET_CACHE; docs/budgets.md).")
    var noCache = false

    @Flag(name: .customLong("exact-gzip"), help: "Size gzip with zlib at level 6, the bytes `tar czf` writes (4-5x slower), instead of libdeflate's estimate (about 0.5 % from it on megabytes and up; docs/budgets.md).")
    var exactGzip = false

    @OptionGroup var jobs: JobsOption

    @OptionGroup var bundleLimits: BundleLimitOptions

    enum BudgetFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json, sarif, junit, github, markdown, html
    }

    func validate() throws {
        if let limit, SizeLimit.parse(limit) == nil {
            throw ValidationError("cannot read --limit \(limit): a size such as 300MB or 1.5GiB, or a preset (\(PlatformPreset.all.map(\.name).joined(separator: ", ")))")
        }
        if let measure, BudgetMeasure(rawValue: measure) == nil {
            throw ValidationError("--measure is one of gzip-tar, zip, uncompressed, largest-file")
        }
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
    }

    func execute(io: CommandIO) -> ExitStatus {
        // Paths named here go through the shared checks (missing, empty, not a file or
        // directory: exit 2); standard input has no size on disk to measure.
        if paths.contains(CommandInput.standardInputArgument) {
            io.report("budget measures files on disk: give a path, not - (standard input)")
            return .usage
        }
        let named: [CommandInput]
        do { named = try io.open(paths, accepts: .artifactOrBundle, limit: .max) } catch { return error }
        for target in [output, writeBaseline].compactMap({ $0 }) {
            if let input = named.first(where: { $0.isSameFile(as: target) }) {
                io.report("\(target): is the input \(input.name) itself; inputs are never overwritten, give the report a file of its own")
                return .usage
            }
        }
        var request = BudgetRequest(paths: paths, limit: nil)
        var configuration = BrineConfig()
        let configPath = config ?? (paths.isEmpty ? "brine.toml" : nil)
        var base = ""
        if let configPath {
            guard let text = try? String(contentsOfFile: configPath, encoding: .utf8) else {
                io.report("\(configPath): cannot open: give PATH… or a brine.toml (docs/config.md)")
                return paths.isEmpty ? .usage : .unreadableInput
            }
            do { configuration = try BrineConfig.parse(text) } catch {
                io.report("\(configPath): \(error)")
                return .unreadableInput
            }
            base = configPath.contains("/") ? String(configPath[...configPath.lastIndex(of: "/")!]) : ""
            if paths.isEmpty { request.paths = configuration.paths.map { $0 == "." && !base.isEmpty ? String(base.dropLast()) : base + $0 } }
            request.limit = configuration.limit
            request.pythonEnvironment = configuration.pythonEnvironment.map { base + $0 }
            request.ignoreFile = configuration.ignoreFile.map { base + $0 }
            request.files = configuration.files
            request.findings = configuration.findings
        }
        if let limit { request.limit = SizeLimit.parse(limit) }
        if let measure, let parsed = BudgetMeasure(rawValue: measure) {
            if request.limit == nil { request.limit = SizeLimit(bytes: .max, measure: parsed, text: "none") }
            request.limit?.measure = parsed
        }
        if let pythonEnvironment { request.pythonEnvironment = pythonEnvironment }
        if let ignoreFile { request.ignoreFile = ignoreFile }
        request.topContributors = top
        request.bundle = bundleLimits.options
        request.jobs = jobs.count
        request.gzipSizer = exactGzip ? .zlib : .fast
        if !noCache, let directory = BudgetCache.defaultDirectory(environment: ProcessInfo.processInfo.environment) {
            request.cache = BudgetCache(directory: directory)
        }
        if request.limit == nil && request.files.isEmpty {
            io.report("give --limit (a size or a preset) or a brine.toml with [budget] limit")
            return .usage
        }
        let baselinePath = baseline ?? configuration.baseline.map { base + $0 }
        if let baselinePath, baseline != nil || FileManager.default.fileExists(atPath: baselinePath) {
            guard let data = FileManager.default.contents(atPath: baselinePath),
                  let snapshot = try? JSONDecoder().decode(SizeSnapshot.self, from: data) else {
                io.report("\(baselinePath): not a brine baseline (write one with --write-baseline)")
                return .unreadableInput
            }
            request.baseline = snapshot
        }
        let progress = ProgressReporter.standard(quiet: quiet, io: io, label: "packing")
        request.progress = progress.update
        defer { progress.finish() }
        do {
            let result = try BudgetRunner.run(request)
            progress.finish()
            if let writeBaseline {
                try writeAtomically(Array(encodeJSON(result.snapshot).utf8), to: writeBaseline)
            }
            let text: String
            switch format {
            case .text: text = BudgetText.render(result)
            case .json: text = encodeJSON(result)
            case .markdown: text = MarkdownSizeComment.budget(result, top: min(top, 10))
            case .html: text = HTMLReport.budget(result, reports: contributorReports(result, request: request)).render()
            case .sarif, .junit, .github:
                text = FindingFormat(rawValue: format.rawValue)!.render(
                    result.findingReport(), toolVersion: BrineVersion.current, repositoryRoot: FileManager.default.currentDirectoryPath)
            }
            if let output {
                try writeAtomically(Array(text.utf8), to: output)
            } else {
                io.output.write(text)
            }
            // An artifact that cannot be read fails the run, as in every command, after the
            // report: one line, the first such artifact (the JSON report lists them all).
            if let unreadable = result.unreadable, let first = unreadable.first {
                let more = unreadable.count > 1 ? " (and \(ByteFormat.counted(unreadable.count - 1, "more unreadable artifact")), listed by --format json)" : ""
                io.report(first + more)
                return .unreadableInput
            }
            return result.failed ? .findings : .success
        } catch {
            progress.finish()
            io.report("\(error)")
            return .unreadableInput
        }
    }
}

extension BudgetCommand {
    /// The page's treemap goes down to attributes and tensors: each artifact or bundle among
    /// the largest files is opened again in full (the budget result keeps only its largest parts).
    func contributorReports(_ result: BudgetResult, request: BudgetRequest) -> [String: BundleReport] {
        var reports: [String: BundleReport] = [:]
        for contributor in result.contributors where contributor.kind != .file && contributor.kind != .symlink {
            for path in request.paths {
                var info = stat()
                guard stat(path, &info) == 0 else { continue }
                let isDirectory = info.st_mode & S_IFMT == S_IFDIR
                var candidate: String
                if isDirectory {
                    let prefix = request.paths.count > 1 ? (path.split(separator: "/").last.map(String.init) ?? path) + "/" : ""
                    guard contributor.path.hasPrefix(prefix) else { continue }
                    candidate = (path.hasSuffix("/") ? path : path + "/") + contributor.path.dropFirst(prefix.count)
                } else {
                    candidate = path
                    guard path.split(separator: "/").last.map(String.init) == contributor.path || path == contributor.path else { continue }
                }
                if let report = try? BundleReport.inspect(path: candidate, options: request.bundle) {
                    reports[contributor.path] = report
                    break
                }
            }
        }
        return reports
    }
}

/// The human report of `brine budget`.
enum BudgetText {
    static func render(_ result: BudgetResult) -> String {
        var out = ""
        let measure = result.limit?.measure ?? .uncompressed
        out += "measured: \(ByteFormat.human(result.measuredBytes)) \(measure.phrase)"
        out += " — \(ByteFormat.counted(result.files, "file"))"
        // Measured uncompressed, the total is the figure just given.
        if measure != .uncompressed { out += ", \(ByteFormat.human(result.uncompressedBytes)) uncompressed" }
        if result.ignored > 0 { out += ", \(result.ignored) ignored by .slugignore" }
        out += "\n"
        if let limit = result.limit, limit.bytes != .max {
            let name = limit.preset.map { "\($0) " } ?? ""
            let used = ByteFormat.percent(result.measuredBytes, of: limit.bytes)
            let verdict = result.measuredBytes > limit.bytes ? "OVER" : "fits"
            out += "limit:    \(name)\(ByteFormat.human(limit.bytes)) — \(verdict) (\(used) of the limit)"
            if let preset = limit.preset.flatMap(PlatformPreset.named) { out += "\n          source: \(preset.source) (checked \(preset.checked))" }
            out += "\n"
        }
        if let environment = result.pythonEnvironment {
            out += "python env: \(environment.distributions.count) distributions, \(ByteFormat.human(environment.bytes)) (\(environment.sitePackages))\n"
            for distribution in environment.distributions.prefix(5) {
                out += "  \(pad(ByteFormat.human(distribution.bytes), 9))  \(distribution.name) \(distribution.version)\n"
            }
        }
        if !result.contributors.isEmpty {
            out += "largest files:\n"
            for contributor in result.contributors {
                var line = "  \(pad(ByteFormat.human(contributor.bytes), 9))  \(contributor.path)"
                if let compressed = contributor.compressedBytes { line += "  (≈\(ByteFormat.human(compressed)) gzip'd)" }
                if contributor.kind != .file { line += "  [\(contributor.kind.rawValue)\(contributor.compression.map { ", " + CompressionFormat.displayName($0) } ?? "")]" }
                out += line + "\n"
                for part in contributor.parts.prefix(3) {
                    out += "    \(pad(ByteFormat.human(part.bytes), 9))  \(part.path) (\(part.type))\n"
                }
            }
        }
        for file in result.fileBudgets {
            out += "file budget \(file.glob): \(file.path) \(ByteFormat.human(file.measuredBytes)) of \(ByteFormat.human(file.limit.bytes)) — \(file.over ? "OVER" : "fits")\n"
        }
        if let changes = result.changes {
            out += changes.isEmpty ? "since baseline: no change\n" : "since baseline:\n" + SizeDiff.text(changes, before: 0, after: 0, limit: 15)
                .split(separator: "\n").dropLast().map { "  " + $0 }.joined(separator: "\n") + "\n"
        }
        for finding in result.findings {
            out += "\(finding.severity.rawValue): \(finding.finding.code) [\(finding.code)] \(finding.message)\n"
        }
        out += result.failed ? "result: over budget\n" : "result: within budget\n"
        return out
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}

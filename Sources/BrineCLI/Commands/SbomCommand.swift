import ArgumentParser
import Brine
import BrineIO
import Foundation

/// `brine sbom PATH…`: a CycloneDX SBOM of what artifacts need to load.
struct SbomCommand: BrineSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "sbom",
        abstract: "Write a CycloneDX 1.6 (or SPDX 2.3) SBOM of the distributions an artifact or bundle needs to load.",
        discussion: """
            Nothing in the files is imported or run. Every top-level module the pickles \
            import (outside the standard library) becomes a `library` component named after \
            its PyPI distribution (sklearn → scikit-learn) with a purl; its version is the \
            one the artifact records where it records one (scikit-learn's \
            `_sklearn_version`); numpy 2 pickles (numpy._core) say `numpy>=2`, by-value code \
            the Python it needs, PyTorch files their format records. The artifact itself is \
            metadata.component, with its SHA-256. Output is deterministic: no timestamp, and \
            the serial number is a UUID made from the SHA-256 (docs/sbom.md).

            --format spdx writes the same as an SPDX 2.3 JSON document: the artifact a \
            package the document DESCRIBES, each distribution a LIBRARY package with its \
            purl, DEPENDS_ON relationships; its required creation time is SOURCE_DATE_EPOCH \
            when set, else now.

            Distribution names come from --python-env DIR's installed metadata (top_level.txt, \
            else RECORD) when given, else from Brine's table (each row cites the wheel \
            metadata it is taken from); a module neither knows is named after itself and \
            marked as a guess. Each library's `brine:distribution-source` property says which.

            PATH may be a directory or a tar/zip bundle: the libraries of every artifact in \
            it are listed. Exit codes: 0 written, 2 an input or one of its artifacts could \
            not be read, 64 usage error.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case cyclonedx
        case spdx
    }

    @Argument(help: "Pickle, joblib or PyTorch files, directories, tar or zip bundles (formats are detected by content).")
    var paths: [String]

    @Option(help: "Output format: cyclonedx (CycloneDX 1.6 JSON) or spdx (SPDX 2.3 JSON).")
    var format: Format = .cyclonedx

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the SBOM to this file (atomically) instead of stdout.", valueName: "file"))
    var output: String?

    @Option(name: .customLong("python-env"), help: ArgumentHelp(
        "A venv or site-packages: name each module's distribution from what is installed there (top_level.txt, RECORD).",
        valueName: "dir"))
    var pythonEnvironment: String?

    @OptionGroup var bundleLimits: BundleLimitOptions

    func execute(io: CommandIO) -> ExitStatus {
        var subjects: [SBOMSubject] = []
        var unreadable = false
        var environment: PythonEnvironment?
        if let pythonEnvironment {
            guard let scanned = PythonEnvironment.scan(pythonEnvironment) else {
                io.report(InputError(path: pythonEnvironment, offset: 0, reason: .corruptStream(
                    codec: "python environment", detail: "no site-packages with *.dist-info RECORD files found")).description)
                return .unreadableInput
            }
            environment = scanned
        }
        for path in paths {
            do {
                let isBundle = try BundleChecker.isBundle(path: path, options: bundleLimits.options)
                let requirements = try LoadRequirements.read(path: path, options: bundleLimits.options, environment: environment)
                for line in requirements.unreadable { io.report(line) }
                if !requirements.unreadable.isEmpty { unreadable = true }
                // A directory has no bytes of its own to hash: its artifacts' paths identify it.
                let directory = isBundle && isDirectory(path)
                let digest = directory ? directoryDigest(requirements.artifacts) : try SHA256Digest.file(path)
                subjects.append(SBOMSubject(path: path, sha256: digest, isBundle: isBundle, isDirectory: directory, requirements: requirements))
            } catch let error as InputError {
                io.report(error.description)
                unreadable = true
            } catch {
                io.report("\(path): \(error)")
                unreadable = true
            }
        }
        if unreadable { return .unreadableInput }
        let text: String
        switch format {
        case .cyclonedx: text = encodeJSON(SBOMBuilder.cycloneDX(subjects, toolVersion: BrineVersion.current))
        case .spdx: text = encodeJSON(SBOMBuilder.spdx(subjects, toolVersion: BrineVersion.current, created: creationTime()))
        }
        return writeReport(text, to: output, io: io) ? .success : .unreadableInput
    }

    /// SPDX's required creation time: `SOURCE_DATE_EPOCH` (reproducible builds) when set, else now.
    private func creationTime() -> String {
        let epoch = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap { TimeInterval($0) }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: epoch.map { Date(timeIntervalSince1970: $0) } ?? Date())
    }

    private func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    private func directoryDigest(_ artifacts: [String]) -> String {
        var hash = SHA256Digest()
        Array(artifacts.sorted().joined(separator: "\n").utf8).withUnsafeBytes { hash.update($0) }
        return hash.finish()
    }
}

/// A CycloneDX 1.6 JSON BOM (https://cyclonedx.org/docs/1.6/json/) of what artifacts need
/// to load: the artifact is the subject (metadata.component, with its SHA-256), the
/// distributions it imports are `library` components with PyPI purls, and `dependencies`
/// says which artifact needs which library (and which library brings which along).
public struct CycloneDXBOM: Encodable, Sendable {
    public struct Hash: Encodable, Sendable {
        var alg = "SHA-256"
        var content: String
    }

    public struct Property: Encodable, Sendable {
        var name: String
        var value: String
    }

    public struct Component: Encodable, Sendable {
        var type: String
        var bomRef: String
        var name: String
        var version: String?
        var purl: String?
        var hashes: [Hash]?
        var properties: [Property]?

        enum CodingKeys: String, CodingKey {
            case type, bomRef = "bom-ref", name, version, purl, hashes, properties
        }
    }

    public struct Tool: Encodable, Sendable {
        var type = "application"
        var name = "brine"
        var version: String
    }

    public struct Tools: Encodable, Sendable {
        var components: [Tool]
    }

    public struct Metadata: Encodable, Sendable {
        var tools: Tools
        var component: Component?
    }

    public struct Dependency: Encodable, Sendable {
        var ref: String
        /// Left out when empty (the schema allows either; the empty array prints badly).
        var dependsOn: [String]?
    }

    var schema = "http://cyclonedx.org/schema/bom-1.6.schema.json"
    var bomFormat = "CycloneDX"
    var specVersion = "1.6"
    var serialNumber: String
    var version = 1
    var metadata: Metadata
    var components: [Component]
    var dependencies: [Dependency]

    enum CodingKeys: String, CodingKey {
        case schema = "$schema", bomFormat, specVersion, serialNumber, version, metadata, components, dependencies
    }
}

/// One input of `brine sbom`: a file or bundle, its hash, and what it needs.
public struct SBOMSubject: Sendable {
    public var path: String
    public var sha256: String
    public var isBundle: Bool
    /// A directory (then `sha256` is of its artifacts' sorted paths, not of bytes).
    public var isDirectory: Bool
    public var requirements: LoadRequirements

    public init(path: String, sha256: String, isBundle: Bool, isDirectory: Bool = false, requirements: LoadRequirements) {
        self.path = path
        self.sha256 = sha256
        self.isBundle = isBundle
        self.isDirectory = isDirectory
        self.requirements = requirements
    }
}

public enum SBOMBuilder {
    /// The BOM of `subjects`. Deterministic: no timestamp, and the serial number is a UUID
    /// made from the inputs' SHA-256 (see `serialNumber`).
    public static func cycloneDX(_ subjects: [SBOMSubject], toolVersion: String) -> CycloneDXBOM {
        let (libraries, needsByIndex) = collect(subjects)
        var needs: [String: Set<String>] = [:]
        var subjectComponents: [CycloneDXBOM.Component] = []
        for (index, subject) in subjects.enumerated() {
            let ref = "artifact:" + subject.path
            var properties: [CycloneDXBOM.Property] = []
            if subject.isBundle {
                properties += subject.requirements.artifacts.map { CycloneDXBOM.Property(name: "brine:artifact", value: $0) }
            }
            if let constraint = subject.requirements.python {
                properties.append(.init(name: "brine:python-requires", value: constraint))
            }
            for (record, value) in subject.requirements.torchRecords.sorted(by: { $0.key < $1.key }) {
                properties.append(.init(name: "brine:torch-record:" + record, value: value))
            }
            subjectComponents.append(CycloneDXBOM.Component(
                type: subject.isBundle ? "file" : "machine-learning-model", bomRef: ref, name: subject.path,
                hashes: [.init(content: subject.sha256)], properties: properties.isEmpty ? nil : properties))
            needs[ref, default: []].formUnion(needsByIndex[index] ?? [])
        }
        let names = libraries.keys.sorted()
        func reference(_ name: String) -> String { purl(name, libraries[name]?.version) }
        var components: [CycloneDXBOM.Component] = subjects.count == 1 ? [] : subjectComponents
        for name in names {
            let library = libraries[name]!
            var properties = [CycloneDXBOM.Property(name: "brine:imports", value: library.modules.joined(separator: ", "))]
            if let requires = library.requires { properties.append(.init(name: "brine:requires", value: name + requires)) }
            for other in library.otherVersions { properties.append(.init(name: "brine:also-pickled-with", value: other)) }
            if library.guessed { properties.append(.init(name: "brine:distribution", value: "named after the import (not a distribution Brine knows)")) }
            if !library.source.isEmpty { properties.append(.init(name: "brine:distribution-source", value: library.source)) }
            if let installed = library.installedVersion { properties.append(.init(name: "brine:installed-version", value: installed)) }
            components.append(CycloneDXBOM.Component(
                type: "library", bomRef: reference(name), name: name, version: library.version,
                purl: reference(name), properties: properties))
        }
        var dependencies: [CycloneDXBOM.Dependency] = []
        for subject in subjectComponents {
            let needed = (needs[subject.bomRef] ?? []).sorted().map(reference)
            dependencies.append(.init(ref: subject.bomRef, dependsOn: needed.isEmpty ? nil : needed))
        }
        for name in names {
            let along = (Distributions.bringsAlong[name] ?? []).filter { libraries[$0] != nil }.sorted()
            dependencies.append(.init(ref: reference(name), dependsOn: along.isEmpty ? nil : along.map(reference)))
        }
        let metadata = CycloneDXBOM.Metadata(tools: .init(components: [.init(version: toolVersion)]),
                                             component: subjects.count == 1 ? subjectComponents[0] : nil)
        return CycloneDXBOM(serialNumber: serialNumber(subjects.map(\.sha256)), metadata: metadata, components: components,
                            dependencies: dependencies)
    }

    /// The distributions of every subject merged by name (versions and modules combined),
    /// and the names each subject (by index) needs.
    static func collect(_ subjects: [SBOMSubject]) -> (libraries: [String: LoadRequirements.Library], needs: [Int: Set<String>]) {
        var libraries: [String: LoadRequirements.Library] = [:]
        var needs: [Int: Set<String>] = [:]
        for (index, subject) in subjects.enumerated() {
            for library in subject.requirements.libraries {
                var merged = libraries[library.distribution] ?? library
                if merged.version == nil { merged.version = library.version }
                merged.modules = Array(Set(merged.modules).union(library.modules)).sorted()
                libraries[library.distribution] = merged
                needs[index, default: []].insert(library.distribution)
            }
        }
        return (libraries, needs)
    }

    /// `pkg:pypi/scikit-learn@1.4.2` (purl-spec: PyPI names lowercased, `_` as `-`).
    static func purl(_ name: String, _ version: String?) -> String {
        let normalized = DeclaredDependencies.normalize(name)
        return "pkg:pypi/\(normalized)" + (version.map { "@" + percentEncoded($0) } ?? "")
    }

    private static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if scalar.properties.isAlphabetic && scalar.isASCII || ("0"..."9").contains(scalar) || "-._~".unicodeScalars.contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// `urn:uuid:` + the first 128 bits of the input's SHA-256 (of the sorted digests, for
    /// several inputs) with RFC 9562's version 8 and variant bits set: the same artifact
    /// always gets the same serial number.
    static func serialNumber(_ digests: [String]) -> String {
        var hex = digests.count == 1 ? digests[0] : {
            var hash = SHA256Digest()
            Array(digests.sorted().joined(separator: "\n").utf8).withUnsafeBytes { hash.update($0) }
            return hash.finish()
        }()
        hex = String(hex.prefix(32))
        var bytes = stride(from: 0, to: 32, by: 2).map { offset -> UInt8 in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16) ?? 0
        }
        bytes[6] = bytes[6] & 0x0F | 0x80
        bytes[8] = bytes[8] & 0x3F | 0x80
        let text = bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        let parts = [text.prefix(8), text.dropFirst(8).prefix(4), text.dropFirst(12).prefix(4), text.dropFirst(16).prefix(4), text.dropFirst(20)]
        return "urn:uuid:" + parts.joined(separator: "-")
    }
}

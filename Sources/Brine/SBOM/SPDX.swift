/// An SPDX 2.3 JSON document (https://spdx.github.io/spdx-spec/v2.3/) of the same facts as
/// the CycloneDX BOM: each artifact is a package the document DESCRIBES (with its SHA-256),
/// each distribution it imports a LIBRARY package with its PyPI purl, and DEPENDS_ON
/// relationships say which artifact needs which library (and which library brings which
/// along). SPDX has no properties: what Brine read is the packages' `comment`.
public struct SPDXDocument: Encodable, Sendable {
    public struct Checksum: Encodable, Sendable {
        var algorithm = "SHA256"
        var checksumValue: String
    }

    public struct ExternalReference: Encodable, Sendable {
        var referenceCategory = "PACKAGE-MANAGER"
        var referenceType = "purl"
        var referenceLocator: String
    }

    public struct Package: Encodable, Sendable {
        var SPDXID: String
        var name: String
        var versionInfo: String?
        /// Where the package comes from is not something an artifact says.
        var downloadLocation = "NOASSERTION"
        var filesAnalyzed = false
        var primaryPackagePurpose: String
        var checksums: [Checksum]?
        var externalRefs: [ExternalReference]?
        var licenseConcluded = "NOASSERTION"
        var licenseDeclared = "NOASSERTION"
        var copyrightText = "NOASSERTION"
        var comment: String?
    }

    public struct Relationship: Encodable, Sendable {
        var spdxElementId: String
        var relationshipType: String
        var relatedSpdxElement: String
    }

    public struct CreationInfo: Encodable, Sendable {
        var created: String
        var creators: [String]
    }

    var spdxVersion = "SPDX-2.3"
    var dataLicense = "CC0-1.0"
    var SPDXID = "SPDXRef-DOCUMENT"
    var name: String
    var documentNamespace: String
    var creationInfo: CreationInfo
    var packages: [Package]
    var relationships: [Relationship]
}

extension SBOMBuilder {
    /// The SPDX document of `subjects`. `created` (SPDX requires it) is the only part that
    /// is not a function of the inputs; the namespace's UUID is the CycloneDX serial number's.
    public static func spdx(_ subjects: [SBOMSubject], toolVersion: String, created: String) -> SPDXDocument {
        let collected = collect(subjects)
        var identifiers = Set<String>()
        func identifier(_ prefix: String, _ name: String) -> String {
            let base = prefix + String(name.unicodeScalars.map { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == ".") ? Character($0) : "-" })
            var candidate = base, suffix = 2
            while identifiers.contains(candidate) {
                candidate = base + "-\(suffix)"
                suffix += 1
            }
            identifiers.insert(candidate)
            return candidate
        }
        var packages: [SPDXDocument.Package] = []
        var relationships: [SPDXDocument.Relationship] = []
        var libraryIDs: [String: String] = [:]
        let names = collected.libraries.keys.sorted()
        for name in names { libraryIDs[name] = identifier("SPDXRef-Package-", name) }
        for (index, subject) in subjects.enumerated() {
            let id = identifier("SPDXRef-Artifact-", subjects.count == 1 ? "1" : String(index + 1))
            var notes: [String] = []
            if subject.isDirectory {
                notes.append("a directory of artifacts: " + subject.requirements.artifacts.joined(separator: ", "))
            } else if subject.isBundle {
                notes.append("a bundle of artifacts: " + subject.requirements.artifacts.joined(separator: ", "))
            } else {
                notes.append("a machine-learning model artifact, read by brine without loading it")
            }
            if let constraint = subject.requirements.python { notes.append("python-requires: " + constraint) }
            for (record, value) in subject.requirements.torchRecords.sorted(by: { $0.key < $1.key }) {
                notes.append("torch record \(record): \(value)")
            }
            packages.append(SPDXDocument.Package(
                SPDXID: id, name: subject.path,
                primaryPackagePurpose: subject.isDirectory ? "OTHER" : subject.isBundle ? "ARCHIVE" : "FILE",
                // A directory has no bytes of its own to check.
                checksums: subject.isDirectory ? nil : [.init(checksumValue: subject.sha256)],
                comment: notes.joined(separator: "; ")))
            relationships.append(.init(spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: id))
            for name in (collected.needs[index] ?? []).sorted() {
                relationships.append(.init(spdxElementId: id, relationshipType: "DEPENDS_ON", relatedSpdxElement: libraryIDs[name]!))
            }
        }
        for name in names {
            let library = collected.libraries[name]!
            var notes = ["imports: " + library.modules.joined(separator: ", ")]
            if let requires = library.requires { notes.append("requires: " + name + requires) }
            for other in library.otherVersions { notes.append("also pickled with: " + other) }
            if library.guessed { notes.append("distribution named after the import (not a distribution Brine knows)") }
            if !library.source.isEmpty { notes.append("distribution name from: " + library.source) }
            if let installed = library.installedVersion { notes.append("installed version: " + installed) }
            packages.append(SPDXDocument.Package(
                SPDXID: libraryIDs[name]!, name: name, versionInfo: library.version, primaryPackagePurpose: "LIBRARY",
                externalRefs: [.init(referenceLocator: purl(name, library.version))], comment: notes.joined(separator: "; ")))
            for along in (Distributions.bringsAlong[name] ?? []).filter({ libraryIDs[$0] != nil }).sorted() {
                relationships.append(.init(spdxElementId: libraryIDs[name]!, relationshipType: "DEPENDS_ON", relatedSpdxElement: libraryIDs[along]!))
            }
        }
        let uuid = serialNumber(subjects.map(\.sha256)).dropFirst("urn:uuid:".count)
        let title = subjects.count == 1 ? subjects[0].path : "\(subjects.count) artifacts"
        return SPDXDocument(
            name: "brine sbom of " + title, documentNamespace: "https://spdx.org/spdxdocs/brine-sbom-\(uuid)",
            creationInfo: .init(created: created, creators: ["Tool: brine-\(toolVersion)"]),
            packages: packages, relationships: relationships)
    }
}

import BrineIO

/// Keras 3 `.keras`: a zip of `config.json` (the model's architecture), `metadata.json`
/// (Keras version, save date) and `model.weights.h5` (HDF5, not read: Brine has no HDF5
/// reader). Every member is sized; config.json is searched for code that runs on load.
public enum KerasReader {
    /// config.json and metadata.json are read up to this size.
    public static let maximumJSONBytes: UInt64 = 64 << 20

    public static func read(path: String) throws(InputError) -> ArtifactLayout {
        let file = try FileSource(path: path)
        let archive: ZipArchive
        do { archive = try ZipArchive(source: file) } catch { throw HeaderBytes.malformed(path, error.offset, "keras: \(error)") }
        var layout = ArtifactLayout(format: "keras", fileBytes: archive.fileSize)
        var structure = archive.fileSize
        for entry in archive.entries where !entry.isDirectory {
            structure &-= min(structure, entry.compressedSize)
            let what = entry.name == "model.weights.h5" ? "weights, HDF5, not read" : entry.name.hasSuffix(".json") ? "JSON" : "member"
            layout.regions.append(LayoutRegion(name: "\(entry.name): \(what)", offset: entry.dataOffset, bytes: entry.compressedSize))
            guard entry.name == "config.json" || entry.name == "metadata.json" else { continue }
            guard entry.uncompressedSize <= maximumJSONBytes else {
                throw HeaderBytes.malformed(path, entry.dataOffset, "keras: \(entry.name) of \(entry.uncompressedSize) bytes is over the limit of \(maximumJSONBytes)")
            }
            let source: ByteSource
            do { source = try archive.open(entry) } catch { throw HeaderBytes.malformed(path, error.offset, "keras: \(entry.name): \(error)") }
            let bytes = try HeaderBytes.read(NamedSource(source, name: path + "!" + entry.name), count: Int(entry.uncompressedSize), at: 0, what: entry.name)
            let json: JSONValue
            do { json = try JSONParser.parse(bytes) } catch {
                throw HeaderBytes.malformed(path + "!" + entry.name, error.offset, "keras \(entry.name): expected \(error.expected)")
            }
            if entry.name == "metadata.json" {
                for (key, value) in json.objectValue ?? [] { layout.metadata[key] = value.summary }
                if let version = json["keras_version"]?.stringValue { layout.facts["keras version"] = version }
            } else {
                if let model = json["class_name"]?.stringValue { layout.facts["model"] = model }
                var layers = 0
                scan(json, path: "", layers: &layers, into: &layout)
                layout.facts["layers"] = String(layers)
            }
        }
        layout.regions.append(LayoutRegion(name: "zip headers, central directory", offset: 0, bytes: structure))
        return layout
    }

    /// Lambda layers (`class_name: Lambda`, or a `__lambda__` function: marshalled
    /// bytecode) and objects whose `module` is outside keras: each runs or imports code.
    static func scan(_ value: JSONValue, path: String, layers: inout Int, into layout: inout ArtifactLayout, depth: Int = 0) {
        guard depth < JSONParser.maximumDepth else { return }
        switch value {
        case .object(let members):
            let className = value["class_name"]?.stringValue
            let module = value["module"]?.stringValue
            let name = value["config"]?["name"]?.stringValue ?? path
            if value["config"]?["name"] != nil, module?.hasPrefix("keras.layers") == true || className == "Lambda" { layers += 1 }
            if className == "Lambda" {
                layout.findings.append(LayoutFinding(rule: "keras-code", message:
                    "layer '\(name)' is a Lambda layer: its function is Python bytecode that load_model runs with safe_mode=False (and refuses with safe_mode=True)", name: name))
            } else if className == "__lambda__" {
                // Reported with its Lambda layer above; a lambda elsewhere (an activation) is its own finding.
                if !path.contains("function") {
                    layout.findings.append(LayoutFinding(rule: "keras-code", message: "'\(path)' is a marshalled Python lambda", name: path))
                }
            } else if let module, let className, !isKerasModule(module) {
                let registered = value["registered_name"]?.stringValue.map { " (registered as \($0))" } ?? ""
                layout.findings.append(LayoutFinding(rule: "keras-code", message:
                    "'\(name)' is a custom object \(module).\(className)\(registered): loading imports \(module)", name: name))
            }
            for (key, child) in members { scan(child, path: path.isEmpty ? key : path + "." + key, layers: &layers, into: &layout, depth: depth + 1) }
        case .array(let items):
            for (index, child) in items.enumerated() { scan(child, path: "\(path)[\(index)]", layers: &layers, into: &layout, depth: depth + 1) }
        default:
            break
        }
    }

    /// Modules Keras 3 writes for its own objects (`keras`, `keras.layers`, …) and the
    /// builtins it names for plain values.
    static func isKerasModule(_ module: String) -> Bool {
        module == "keras" || module.hasPrefix("keras.") || module == "builtins"
    }
}

/// HDF5 (`\x89HDF\r\n\x1a\n`): legacy Keras `.h5` models and weights, pandas HDFStore. Named
/// and sized only; Brine has no HDF5 reader and does not guess at one.
public enum HDF5Reader {
    public static func read(fileBytes: UInt64) -> ArtifactLayout {
        var layout = ArtifactLayout(format: "hdf5", fileBytes: fileBytes)
        layout.regions.append(LayoutRegion(name: "HDF5 file: datasets not read", offset: 0, bytes: fileBytes))
        layout.facts["contents"] = "legacy Keras .h5 or other HDF5 data; not read"
        layout.findings.append(LayoutFinding(rule: "legacy-hdf5", message:
            "an HDF5 file (\(ByteFormat.human(fileBytes))): Brine sizes it but has no HDF5 reader, so its datasets and any Lambda layer in a Keras model_config are not examined"))
        return layout
    }
}

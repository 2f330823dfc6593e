import BrineIO
import BrineONNX
import SwiftProtobuf
import Foundation

/// ONNX: a `ModelProto` (protobuf), decoded by swift-protobuf from onnx.proto's generated
/// messages (Sources/BrineONNX). Protobuf messages are at most 2 GiB by design (larger models
/// keep their weights in external data files), so the file is read whole up to that limit:
/// peak memory is about twice the file. Every tensor the model holds (graph initializers,
/// sparse initializers, Constant nodes' values and other tensor attributes, in subgraphs,
/// training info and functions too: `ONNXTensors`) is placed and sized by its `raw_data` (or
/// its typed fields) where the wire format puts it (`ONNXTensorOffsets`), checked against
/// what swift-protobuf decoded; external data is listed with its location and never read.
/// A serialized TensorProto on its own (ONNX test data's `.pb` files) is read the same way.
public enum ONNXReader {
    /// protobuf's own message limit (2 GiB − 1).
    public static let maximumBytes: UInt64 = (1 << 31) - 1
    /// Nesting of messages (and groups) swift-protobuf and the wire walk accept.
    public static let messageDepthLimit = 100
    /// swift-protobuf's options for every message read here.
    static var decodingOptions: BinaryDecodingOptions {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = messageDepthLimit
        return options
    }
    /// Operator domains every ONNX runtime provides.
    public static let standardDomains: Set<String> = ["", "ai.onnx", "ai.onnx.ml", "ai.onnx.training", "ai.onnx.preview.training", "com.microsoft"]

    /// TensorProto.DataType by number, as onnx.proto names them.
    static let dataTypes: [Int32: (name: String, bits: UInt64)] = [
        1: ("FLOAT", 32), 2: ("UINT8", 8), 3: ("INT8", 8), 4: ("UINT16", 16), 5: ("INT16", 16), 6: ("INT32", 32), 7: ("INT64", 64),
        8: ("STRING", 0), 9: ("BOOL", 8), 10: ("FLOAT16", 16), 11: ("DOUBLE", 64), 12: ("UINT32", 32), 13: ("UINT64", 64),
        14: ("COMPLEX64", 64), 15: ("COMPLEX128", 128), 16: ("BFLOAT16", 16), 17: ("FLOAT8E4M3FN", 8), 18: ("FLOAT8E4M3FNUZ", 8),
        19: ("FLOAT8E5M2", 8), 20: ("FLOAT8E5M2FNUZ", 8), 21: ("UINT4", 4), 22: ("INT4", 4), 23: ("FLOAT4E2M1", 4), 24: ("FLOAT8E8M0", 8),
        25: ("UINT2", 2), 26: ("INT2", 2),
    ]

    /// The whole file as one protobuf message (`what`: its name in onnx.proto), and its bytes.
    private static func decode<M: SwiftProtobuf.Message>(_ source: ByteSource, fileBytes: UInt64, what: String,
                                                         tooLarge: String) throws(InputError) -> (M, [UInt8]) {
        guard fileBytes <= maximumBytes else { throw HeaderBytes.malformed(source.name, 0, tooLarge) }
        let bytes = try HeaderBytes.read(source, count: Int(fileBytes), at: 0, what: "the ONNX \(what)")
        do {
            return (try M(serializedBytes: bytes, options: decodingOptions), bytes)
        } catch {
            throw HeaderBytes.malformed(source.name, 0, "ONNX: not a \(what) protobuf (\(error))")
        }
    }

    /// `directory`: where the model sits on disk, to check external data files against; nil
    /// inside archives.
    public static func read(_ source: ByteSource, fileBytes: UInt64, directory: String?) throws(InputError) -> ArtifactLayout {
        let (model, bytes): (Onnx_ModelProto, [UInt8]) = try decode(source, fileBytes: fileBytes, what: "ModelProto",
            tooLarge: "ONNX file of \(fileBytes) bytes is over protobuf's limit of \(maximumBytes) bytes (larger models keep weights in external data)")
        let entries = ONNXTensors.all(model)
        let places = try ONNXTensorOffsets.tensors(bytes, name: source.name, maximumDepth: messageDepthLimit)
        guard places.count == entries.count else {
            throw HeaderBytes.malformed(source.name, 0, "ONNX: swift-protobuf decoded \(entries.count) tensors, the wire format holds \(places.count)")
        }
        var layout = ArtifactLayout(format: "onnx", fileBytes: fileBytes)
        layout.facts["ir version"] = String(model.irVersion)
        if !model.producerName.isEmpty { layout.facts["producer"] = model.producerName + (model.producerVersion.isEmpty ? "" : " " + model.producerVersion) }
        let opsets = model.opsetImport.map { ($0.domain.isEmpty ? "ai.onnx" : $0.domain) + " " + String($0.version) }
        if !opsets.isEmpty { layout.facts["opsets"] = opsets.joined(separator: ", ") }
        layout.facts["nodes"] = String(model.graph.node.count)
        for entry in model.metadataProps { layout.metadata[entry.key] = entry.value }
        if !model.graph.name.isEmpty { layout.metadata["graph"] = model.graph.name }

        var custom = Set(model.opsetImport.map(\.domain).filter { !standardDomains.contains($0) })
        for node in model.graph.node where !standardDomains.contains(node.domain) { custom.insert(node.domain) }
        for domain in custom.sorted() {
            let ops = Set(model.graph.node.filter { $0.domain == domain }.map(\.opType)).sorted()
            layout.findings.append(LayoutFinding(rule: "custom-op-domain", message:
                "operators of domain '\(domain)'" + (ops.isEmpty ? "" : " (\(ops.joined(separator: ", ")))") + " need a runtime that registers them", name: domain))
        }

        var seen = Set<String>()
        for (entry, place) in zip(entries, places) {
            if entry.role == "initializer", !seen.insert(entry.name).inserted {
                layout.findings.append(LayoutFinding(rule: "duplicate-tensor", message: "initializer '\(entry.name)' is given twice", name: entry.name))
            }
            try add(entry, at: place, source: source, directory: directory, into: &layout)
        }
        layout.facts["initializers"] = String(model.graph.initializer.count)
        if !model.graph.sparseInitializer.isEmpty { layout.facts["sparse initializers"] = String(model.graph.sparseInitializer.count) }
        let inNodes = entries.filter { $0.role == "tensor" }.count
        if inNodes > 0 { layout.facts["tensors in nodes"] = String(inNodes) }
        let external = layout.tensors.filter { $0.location != nil }
        if !external.isEmpty {
            layout.facts["external data"] = "\(external.count) tensors, \(ByteFormat.human(external.reduce(0) { $0 &+ $1.bytes })) in " + Set(external.compactMap(\.location)).sorted().joined(separator: ", ")
        }
        let data = layout.tensorBytes
        layout.regions.append(LayoutRegion(name: "protobuf: graph, nodes, names, framing", offset: 0, bytes: fileBytes >= data ? fileBytes - data : 0))
        return layout
    }

    /// A serialized TensorProto (`onnx.numpy_helper.from_array(...).SerializeToString()`,
    /// the `input_0.pb` files of ONNX's test data): one tensor.
    public static func readTensor(_ source: ByteSource, fileBytes: UInt64, directory: String?) throws(InputError) -> ArtifactLayout {
        let (tensor, bytes): (Onnx_TensorProto, [UInt8]) = try decode(source, fileBytes: fileBytes, what: "TensorProto",
            tooLarge: "ONNX tensor file of \(fileBytes) bytes is over protobuf's limit of \(maximumBytes) bytes")
        let place = try ONNXTensorOffsets.tensor(bytes, name: source.name, maximumDepth: messageDepthLimit)
        var layout = ArtifactLayout(format: "onnx-tensor", fileBytes: fileBytes)
        try add(ONNXTensors.Entry(tensor: tensor, name: tensor.name.isEmpty ? "(tensor)" : tensor.name, role: "tensor"), at: place,
                source: source, directory: directory, into: &layout)
        let data = layout.tensorBytes
        layout.regions.append(LayoutRegion(name: "protobuf: name, dims, data type, framing", offset: 0, bytes: fileBytes >= data ? fileBytes - data : 0))
        return layout
    }

    /// One tensor at the place the wire walk found for it: its data in the file, or in an
    /// external data file.
    private static func add(_ entry: ONNXTensors.Entry, at place: ONNXTensorOffsets.Data, source: ByteSource, directory: String?,
                            into layout: inout ArtifactLayout) throws(InputError) {
        let tensor = entry.tensor
        let name = entry.name
        let what = "\(entry.role) '\(name)'"
        let shape = tensor.dims
        let type = dataTypes[tensor.dataType]
        let dtype = type?.name ?? "type \(tensor.dataType)"
        if type == nil {
            layout.findings.append(LayoutFinding(rule: "unknown-dtype", message: "\(what) has data type \(tensor.dataType), which onnx.proto does not define", name: name))
        }
        if tensor.dataLocation == .external {
            var entries: [String: String] = [:]
            for entry in tensor.externalData { entries[entry.key] = entry.value }
            let location = entries["location"] ?? ""
            let expected = type.flatMap { HeaderBytes.byteCount(shape: shape.map { UInt64(max($0, 0)) }, bitsPerElement: $0.bits) }
            let length = entries["length"].flatMap { UInt64($0) } ?? expected ?? 0
            let offset = entries["offset"].flatMap { UInt64($0) } ?? 0
            layout.tensors.append(LayoutTensor(name: name, dtype: dtype, shape: shape, offset: offset, bytes: length, location: location))
            checkExternal(what, name: name, location: location, offset: offset, length: length, directory: directory, into: &layout)
            return
        }
        guard place.raw == tensor.hasRawData, !place.raw || place.bytes == UInt64(tensor.rawData.count) else {
            throw HeaderBytes.malformed(source.name, place.offset, "ONNX: \(what): swift-protobuf and the wire format disagree on its raw_data")
        }
        // Typed fields (float_data…) are sized as written: their varints and packing are the data.
        let bytes = place.bytes
        if tensor.hasRawData, let bits = type?.bits, bits > 0,
           let expected = HeaderBytes.byteCount(shape: shape.map { UInt64(max($0, 0)) }, bitsPerElement: bits), expected != bytes {
            layout.findings.append(LayoutFinding(rule: "tensor-layout", message: "\(what) holds \(bytes) raw bytes, but \(dtype) \(shape) needs \(expected)",
                                                 offset: place.offset, name: name))
        }
        layout.tensors.append(LayoutTensor(name: name, dtype: dtype, shape: shape, offset: place.offset, bytes: bytes))
    }

    private static func checkExternal(_ what: String, name: String, location: String, offset: UInt64, length: UInt64, directory: String?, into layout: inout ArtifactLayout) {
        let components = location.split(separator: "/", omittingEmptySubsequences: false)
        if location.isEmpty || location.hasPrefix("/") || location.hasPrefix("\\") || location.contains(":") && location.first?.isLetter == true && location.dropFirst().first == ":"
            || components.contains("..") || location.split(separator: "\\").contains("..") {
            layout.findings.append(LayoutFinding(rule: "external-data-path", message:
                "\(what) reads external data from '\(location)', " + (location.isEmpty ? "an empty location" : "outside the model's directory"), name: name))
            return
        }
        guard let directory else { return }
        let path = directory + "/" + location
        guard let size = (try? FileSource(path: path))?.knownLength else {
            layout.findings.append(LayoutFinding(rule: "tensor-layout", message: "\(what): external data file '\(location)' is not beside the model", name: name))
            return
        }
        let (end, overflow) = offset.addingReportingOverflow(length)
        if overflow || end > size {
            layout.findings.append(LayoutFinding(rule: "tensor-layout", message: "\(what): external data [\(offset), +\(length)] lies outside '\(location)' (\(size) bytes)", name: name))
        }
    }
}

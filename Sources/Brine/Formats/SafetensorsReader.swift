import BrineIO

/// safetensors: an 8-byte little-endian header length, a JSON header (`{"name": {"dtype",
/// "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}`), then the data. Only the
/// header is read; tensor data never is, so the time does not depend on the file's size.
///
/// Structure that leaves the bytes unaccountable (a length past the file or the limit, JSON
/// that does not parse, an entry without its three fields) throws; what safetensors' own
/// `validate` refuses but leaves the header readable (gaps, overlaps, sizes that disagree
/// with the shape, unknown dtypes, duplicate names) becomes findings.
public enum SafetensorsReader {
    /// safetensors' own `MAX_HEADER_SIZE` (100,000,000 bytes, safetensors/src/tensor.rs).
    public static let maximumHeaderBytes: UInt64 = 100_000_000

    /// Where safetensors' writer puts the data section: a multiple of 8 bytes from the start.
    public static let dataAlignment: UInt64 = 8

    /// Bits per element of every dtype safetensors 0.8 defines.
    public static let dtypeBits: [String: UInt64] = [
        "BOOL": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8, "F8_E8M0": 8,
        "I16": 16, "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32, "C64": 64, "F64": 64, "I64": 64, "U64": 64,
    ]

    /// Reads the header of the safetensors file `source` (of `fileBytes` bytes).
    public static func read(_ source: ByteSource, fileBytes: UInt64) throws(InputError) -> ArtifactLayout {
        let name = source.name
        let lengthBytes = try HeaderBytes.read(source, count: 8, at: 0, what: "the 8-byte header length")
        let length = HeaderBytes.littleEndian(lengthBytes, 0, 8)
        guard length <= maximumHeaderBytes else {
            throw HeaderBytes.malformed(name, 0, "safetensors header length \(length) is over the limit of \(maximumHeaderBytes) bytes (safetensors' own)")
        }
        guard length <= fileBytes &- 8, fileBytes >= 8 else {
            throw HeaderBytes.malformed(name, 0, "safetensors header length \(length) runs past the end of the file (\(fileBytes) bytes)")
        }
        let header = try HeaderBytes.read(source, count: Int(length), at: 8, what: "the safetensors JSON header")
        let json: JSONValue
        do { json = try JSONParser.parse(header, base: 8) } catch {
            throw HeaderBytes.malformed(name, error.offset, "safetensors header: expected \(error.expected)")
        }
        guard let members = json.objectValue else {
            throw HeaderBytes.malformed(name, 8, "safetensors header: expected a JSON object")
        }
        var layout = ArtifactLayout(format: "safetensors", fileBytes: fileBytes)
        let dataStart = 8 &+ length
        let dataBytes = fileBytes - dataStart
        layout.regions.append(LayoutRegion(name: "header: 8-byte length and JSON", offset: 0, bytes: dataStart))
        var seen = Set<String>()
        var spans: [(begin: UInt64, end: UInt64, name: String)] = []
        for (key, value) in members {
            if key == "__metadata__" {
                readMetadata(value, into: &layout)
                continue
            }
            guard seen.insert(key).inserted else {
                layout.findings.append(LayoutFinding(rule: "duplicate-tensor", message: "tensor '\(key)' is named twice in the header; safetensors keeps one of them", offset: 8, name: key))
                continue
            }
            guard let dtype = value["dtype"]?.stringValue, let shapeValues = value["shape"]?.arrayValue,
                  let offsets = value["data_offsets"]?.arrayValue, offsets.count == 2,
                  let begin = offsets[0].unsignedValue, let end = offsets[1].unsignedValue else {
                throw HeaderBytes.malformed(name, 8, "safetensors header: tensor '\(key)' needs a string dtype, a shape list and two data_offsets")
            }
            var shape: [UInt64] = []
            for dimension in shapeValues {
                guard let size = dimension.unsignedValue, size <= UInt64(Int64.max) else {
                    throw HeaderBytes.malformed(name, 8, "safetensors header: tensor '\(key)' has a shape entry that is not a non-negative integer")
                }
                shape.append(size)
            }
            let inFile = end >= begin && end <= dataBytes
            let tensor = LayoutTensor(name: key, dtype: dtype, shape: shape.map { Int64($0) },
                                      offset: dataStart &+ (inFile ? begin : 0), bytes: inFile ? end - begin : 0)
            layout.tensors.append(tensor)
            guard inFile else {
                layout.findings.append(LayoutFinding(
                    rule: "tensor-layout", message: "tensor '\(key)' data_offsets [\(begin), \(end)] lie outside the \(dataBytes) data bytes", offset: 8, name: key, breaksLayout: true))
                continue
            }
            spans.append((begin, end, key))
            if let bits = dtypeBits[dtype] {
                if let expected = HeaderBytes.byteCount(shape: shape, bitsPerElement: bits) {
                    if expected != end - begin {
                        layout.findings.append(LayoutFinding(
                            rule: "tensor-layout", message: "tensor '\(key)' holds \(end - begin) bytes, but \(dtype) \(shapeText(shape)) needs \(expected)",
                            offset: dataStart &+ begin, name: key))
                    }
                } else {
                    layout.findings.append(LayoutFinding(
                        rule: "tensor-layout", message: "tensor '\(key)': \(dtype) \(shapeText(shape)) has no byte size (overflow or partial byte)", offset: 8, name: key))
                }
            } else {
                layout.findings.append(LayoutFinding(rule: "unknown-dtype", message: "tensor '\(key)' has dtype '\(dtype)', which safetensors does not define", offset: 8, name: key))
            }
        }
        checkSpans(spans, dataBytes: dataBytes, dataStart: dataStart, into: &layout)
        checkAlignment(dataStart: dataStart, into: &layout)
        layout.tensors.sort { $0.offset != $1.offset ? $0.offset < $1.offset : $0.name < $1.name }
        layout.facts["tensors"] = String(layout.tensors.count)
        if let dtypes = Optional(Set(layout.tensors.map(\.dtype)).sorted()), !dtypes.isEmpty { layout.facts["dtypes"] = dtypes.joined(separator: ", ") }
        layout.accountForRest()
        return layout
    }

    /// safetensors requires the tensors to tile the data exactly: sorted by start, each
    /// begins where the previous ended, the first at 0 and the last at the end of the file.
    private static func checkSpans(_ spans: [(begin: UInt64, end: UInt64, name: String)], dataBytes: UInt64, dataStart: UInt64, into layout: inout ArtifactLayout) {
        var cursor: UInt64 = 0
        var previous: String?
        for span in spans.sorted(by: { $0.begin != $1.begin ? $0.begin < $1.begin : $0.end < $1.end }) {
            if span.begin < cursor {
                layout.findings.append(LayoutFinding(
                    rule: "tensor-layout", message: "tensor '\(span.name)' [\(span.begin), \(span.end)] overlaps '\(previous ?? "")' (which ends at \(cursor))",
                    offset: dataStart &+ span.begin, name: span.name, breaksLayout: true))
            } else if span.begin > cursor {
                layout.findings.append(LayoutFinding(
                    rule: "tensor-layout", message: "\(span.begin - cursor) bytes before tensor '\(span.name)' belong to no tensor (data must be contiguous)",
                    offset: dataStart &+ cursor, name: span.name))
            }
            if span.end > cursor {
                cursor = span.end
                previous = span.name
            }
        }
        if cursor < dataBytes {
            layout.findings.append(LayoutFinding(
                rule: "tensor-layout", message: "\(dataBytes - cursor) bytes after the last tensor belong to no tensor", offset: dataStart &+ cursor))
        }
        // Overlapping spans count once: what is charged to tensors must not exceed the data.
        if spans.count > 1, layout.findings.contains(where: { $0.rule == "tensor-layout" }) {
            var charged = Set<String>()
            var end: UInt64 = 0
            for span in spans.sorted(by: { $0.begin < $1.begin }) where span.begin >= end {
                charged.insert(span.name)
                end = span.end
            }
            for index in layout.tensors.indices where !charged.contains(layout.tensors[index].name) { layout.tensors[index].bytes = 0 }
        }
    }

    /// safetensors' writer (`prepare`, safetensors/src/tensor.rs) pads the JSON header with
    /// spaces to a multiple of 8 and orders tensors by descending dtype size, so the data
    /// section starts on an 8-byte boundary and every tensor on a multiple of its element size.
    /// Its reader (`validate`) does not require either, so such a file loads, but readers that
    /// map the file and use each tensor's bytes as its dtype in place get misaligned data.
    private static func checkAlignment(dataStart: UInt64, into layout: inout ArtifactLayout) {
        if dataStart % dataAlignment != 0 {
            layout.findings.append(LayoutFinding(
                rule: "tensor-alignment", message: "the data section starts at byte \(dataStart), not a multiple of \(dataAlignment): the header length \(dataStart - 8) is not padded as safetensors pads it",
                offset: 0))
        }
        for tensor in layout.tensors where tensor.bytes > 0 {
            guard let bits = dtypeBits[tensor.dtype], bits % 8 == 0, bits > 8 else { continue }
            let size = bits / 8
            let relative = tensor.offset - dataStart
            if relative % size != 0 {
                layout.findings.append(LayoutFinding(
                    rule: "tensor-alignment", message: "tensor '\(tensor.name)' (\(tensor.dtype)) starts at data offset \(relative), not a multiple of its \(size)-byte element",
                    offset: tensor.offset, name: tensor.name))
            }
        }
    }

    private static func readMetadata(_ value: JSONValue, into layout: inout ArtifactLayout) {
        guard let entries = value.objectValue else {
            layout.findings.append(LayoutFinding(rule: "header-metadata", message: "__metadata__ is not an object of strings; safetensors refuses the header", offset: 8))
            return
        }
        for (key, item) in entries {
            guard let text = item.stringValue else {
                layout.findings.append(LayoutFinding(rule: "header-metadata", message: "__metadata__ '\(key)' is \(item.summary), not a string; safetensors refuses the header", offset: 8, name: key))
                continue
            }
            layout.metadata[key] = text
        }
    }

    static func shapeText(_ shape: [UInt64]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}

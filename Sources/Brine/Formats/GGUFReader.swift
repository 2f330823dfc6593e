import BrineIO

/// GGUF (llama.cpp) v2 and v3: magic, version, tensor and key/value counts, the key/values
/// (every value type, arrays included), tensor infos, then data aligned to
/// `general.alignment`. Every count, length and offset is checked against the file and the
/// limits below before it is used (GGUF readers have had heap overflows from exactly these
/// fields), with overflow-checked arithmetic. Tensor data is never read.
public enum GGUFReader {
    public struct Limits: Sendable {
        /// Tensors and key/values a header may declare (llama 405B has ~1,100 tensors).
        public var maximumTensors: UInt64 = 1 << 20
        public var maximumKeyValues: UInt64 = 1 << 20
        /// One string (a chat template, a token).
        public var maximumStringBytes: UInt64 = 16 << 20
        /// Elements of one array (a 256k-token vocabulary's merges fit many times).
        public var maximumArrayElements: UInt64 = 1 << 26
        /// ggml's GGML_MAX_DIMS.
        public var maximumDimensions: UInt32 = 4
        public init() {}
    }

    /// ggml types: (name, elements per block, bytes per block), from ggml.c's type traits.
    public static let ggmlTypes: [UInt32: (name: String, block: UInt64, bytes: UInt64)] = [
        0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20), 6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24),
        8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 36), 10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144),
        13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292), 16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74),
        18: ("IQ3_XXS", 256, 98), 19: ("IQ1_S", 256, 50), 20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110), 22: ("IQ2_S", 256, 82),
        23: ("IQ4_XS", 256, 136), 24: ("I8", 1, 1), 25: ("I16", 1, 2), 26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8),
        29: ("IQ1_M", 256, 56), 30: ("BF16", 1, 2), 34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66), 39: ("MXFP4", 32, 17),
    ]

    /// llama.cpp's `general.file_type` (enum llama_ftype).
    static let fileTypes: [UInt64: String] = [
        0: "ALL_F32", 1: "MOSTLY_F16", 2: "MOSTLY_Q4_0", 3: "MOSTLY_Q4_1", 7: "MOSTLY_Q8_0", 8: "MOSTLY_Q5_0", 9: "MOSTLY_Q5_1",
        10: "MOSTLY_Q2_K", 11: "MOSTLY_Q3_K_S", 12: "MOSTLY_Q3_K_M", 13: "MOSTLY_Q3_K_L", 14: "MOSTLY_Q4_K_S", 15: "MOSTLY_Q4_K_M",
        16: "MOSTLY_Q5_K_S", 17: "MOSTLY_Q5_K_M", 18: "MOSTLY_Q6_K", 19: "MOSTLY_IQ2_XXS", 20: "MOSTLY_IQ2_XS", 21: "MOSTLY_Q2_K_S",
        22: "MOSTLY_IQ3_XS", 23: "MOSTLY_IQ3_XXS", 24: "MOSTLY_IQ1_S", 25: "MOSTLY_IQ4_NL", 26: "MOSTLY_IQ3_S", 27: "MOSTLY_IQ3_M",
        28: "MOSTLY_IQ2_S", 29: "MOSTLY_IQ2_M", 30: "MOSTLY_IQ4_XS", 31: "MOSTLY_IQ1_M", 32: "MOSTLY_BF16", 36: "MOSTLY_TQ1_0",
        37: "MOSTLY_TQ2_0", 38: "MOSTLY_MXFP4_MOE",
    ]

    static let valueTypeNames = ["UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32", "BOOL", "STRING", "ARRAY", "UINT64", "INT64", "FLOAT64"]
    static let scalarSizes: [UInt32: Int] = [0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8]

    private struct Cursor {
        let window: ByteWindow
        let name: String
        let fileBytes: UInt64
        let limits: Limits

        var offset: UInt64 { window.offset }
        var remaining: UInt64 { fileBytes >= offset ? fileBytes - offset : 0 }

        func fail(_ detail: String, at offset: UInt64? = nil) -> InputError {
            HeaderBytes.malformed(name, offset ?? self.offset, detail)
        }

        func integer(_ count: Int, _ what: String) throws(InputError) -> UInt64 {
            let at = offset
            guard let value = try window.readLittleEndian(byteCount: count) else { throw fail("the file ends inside \(what)", at: at) }
            return value
        }

        func string(_ what: String) throws(InputError) -> String {
            let at = offset
            let length = try integer(8, "the length of \(what)")
            guard length <= limits.maximumStringBytes else {
                throw fail("\(what): string length \(length) is over the limit of \(limits.maximumStringBytes) bytes", at: at)
            }
            guard length <= remaining else { throw fail("\(what): string length \(length) runs past the end of the file (\(remaining) bytes left)", at: at) }
            guard try window.ensureContiguous(Int(length)) else { throw fail("the file ends inside \(what)", at: at) }
            let text = window.withPeekedBytes(Int(length)) { String(decoding: $0, as: UTF8.self) }
            window.consume(Int(length))
            return text
        }
    }

    public static func read(_ source: ByteSource, fileBytes: UInt64, limits: Limits = Limits()) throws(InputError) -> ArtifactLayout {
        let window = ByteWindow(source: source, initialCapacity: 1 << 16, maximumCapacity: Int(limits.maximumStringBytes) + 64)
        let cursor = Cursor(window: window, name: source.name, fileBytes: fileBytes, limits: limits)
        let magic = try cursor.integer(4, "the GGUF magic")
        guard magic == 0x4655_4747 else { throw cursor.fail("expected the GGUF magic", at: 0) }
        let version = try cursor.integer(4, "the GGUF version")
        guard version == 2 || version == 3 else { throw cursor.fail("GGUF version \(version) is not 2 or 3", at: 4) }
        let tensorCount = try cursor.integer(8, "the tensor count")
        let keyValueCount = try cursor.integer(8, "the key/value count")
        guard tensorCount <= limits.maximumTensors else { throw cursor.fail("tensor count \(tensorCount) is over the limit of \(limits.maximumTensors)", at: 8) }
        guard keyValueCount <= limits.maximumKeyValues else { throw cursor.fail("key/value count \(keyValueCount) is over the limit of \(limits.maximumKeyValues)", at: 16) }
        // Each key/value takes at least 12 bytes and each tensor info 24: counts the file cannot hold stop here.
        let (minimum, overflow) = keyValueCount.multipliedReportingOverflow(by: 12)
        guard !overflow, minimum <= fileBytes else { throw cursor.fail("key/value count \(keyValueCount) cannot fit in a file of \(fileBytes) bytes", at: 16) }

        var layout = ArtifactLayout(format: "gguf", fileBytes: fileBytes)
        layout.facts["gguf version"] = String(version)
        var alignment: UInt64 = 32
        var arrayCounts: [String: UInt64] = [:]
        var numbers: [String: UInt64] = [:]
        for _ in 0..<keyValueCount {
            let keyOffset = cursor.offset
            let key = try cursor.string("a metadata key")
            let type = UInt32(try cursor.integer(4, "the type of '\(key)'"))
            let value = try readValue(type: type, key: key, cursor: cursor, depth: 0, at: keyOffset)
            layout.metadata[key] = value.text
            if let number = value.number { numbers[key] = number }
            if let count = value.count { arrayCounts[key] = count }
            if key == "general.alignment" {
                if type == 4, let number = value.number, number > 0, number & (number - 1) == 0 {
                    alignment = number
                } else {
                    layout.findings.append(LayoutFinding(rule: "gguf-metadata", message: "general.alignment is \(value.text) (\(typeName(type))), not a power of two as UINT32; readers fall back to 32 or refuse", offset: keyOffset, name: key))
                }
            }
        }
        var infos: [(name: String, dims: [UInt64], type: UInt32, offset: UInt64, at: UInt64)] = []
        for index in 0..<tensorCount {
            let at = cursor.offset
            let name = try cursor.string("the name of tensor \(index)")
            let dimensionCount = UInt32(try cursor.integer(4, "the dimension count of '\(name)'"))
            guard dimensionCount <= limits.maximumDimensions else {
                throw cursor.fail("tensor '\(name)' has \(dimensionCount) dimensions, more than ggml's \(limits.maximumDimensions)", at: at)
            }
            var dims: [UInt64] = []
            for _ in 0..<dimensionCount { dims.append(try cursor.integer(8, "a dimension of '\(name)'")) }
            let type = UInt32(try cursor.integer(4, "the ggml type of '\(name)'"))
            let offset = try cursor.integer(8, "the data offset of '\(name)'")
            infos.append((name, dims, type, offset, at))
        }
        let headerEnd = cursor.offset
        var (padded, paddingOverflow) = headerEnd.addingReportingOverflow((alignment - headerEnd % alignment) % alignment)
        // A file without tensors (llama.cpp's vocabulary-only files) may end at its header,
        // before the padding: its data section is empty (gguf.GGUFReader opens it).
        if infos.isEmpty, !paddingOverflow, padded > fileBytes { padded = fileBytes }
        guard !paddingOverflow, padded <= fileBytes else {
            throw cursor.fail("the data section (aligned to \(alignment)) starts past the end of the file", at: headerEnd)
        }
        let dataStart = padded
        let dataBytes = fileBytes - dataStart
        layout.regions.append(LayoutRegion(name: "GGUF header: key/values and tensor infos", offset: 0, bytes: headerEnd))
        if dataStart > headerEnd { layout.regions.append(LayoutRegion(name: "alignment padding", offset: headerEnd, bytes: dataStart - headerEnd)) }

        var seen = Set<String>()
        var spans: [(begin: UInt64, end: UInt64, name: String)] = []
        var typeCounts: [String: Int] = [:]
        for info in infos {
            // ggml orders dimensions innermost first; shapes are shown as GGUFReader shows them.
            let shape = info.dims.map { Int64(clamping: $0) }
            guard seen.insert(info.name).inserted else {
                layout.findings.append(LayoutFinding(rule: "duplicate-tensor", message: "tensor '\(info.name)' is declared twice", offset: info.at, name: info.name))
                continue
            }
            guard let traits = ggmlTypes[info.type] else {
                layout.tensors.append(LayoutTensor(name: info.name, dtype: "type \(info.type)", shape: shape, offset: dataStart, bytes: 0))
                layout.findings.append(LayoutFinding(rule: "unknown-dtype", message: "tensor '\(info.name)' has ggml type \(info.type), which ggml does not define", offset: info.at, name: info.name))
                continue
            }
            typeCounts[traits.name, default: 0] += 1
            var bytes: UInt64?
            if let first = info.dims.first ?? Optional(1), first % traits.block == 0 {
                var product: UInt64? = traits.bytes
                let counts = [first / traits.block] + info.dims.dropFirst()
                for dim in counts {
                    guard let value = product else { break }
                    let (next, overflow) = value.multipliedReportingOverflow(by: dim)
                    product = overflow ? nil : next
                }
                bytes = product
            }
            guard let size = bytes else {
                layout.tensors.append(LayoutTensor(name: info.name, dtype: traits.name, shape: shape, offset: dataStart, bytes: 0))
                layout.findings.append(LayoutFinding(rule: "tensor-layout", message: "tensor '\(info.name)': \(traits.name) \(info.dims) has no byte size (first dimension not a multiple of \(traits.block), or overflow)", offset: info.at, name: info.name))
                continue
            }
            let (end, overflow) = info.offset.addingReportingOverflow(size)
            if overflow || end > dataBytes {
                layout.tensors.append(LayoutTensor(name: info.name, dtype: traits.name, shape: shape, offset: dataStart, bytes: 0))
                layout.findings.append(LayoutFinding(rule: "tensor-layout", message: "tensor '\(info.name)' data [\(info.offset), +\(size)] lies outside the \(dataBytes) data bytes", offset: info.at, name: info.name, breaksLayout: true))
                continue
            }
            if info.offset % alignment != 0 {
                layout.findings.append(LayoutFinding(rule: "tensor-layout", message: "tensor '\(info.name)' offset \(info.offset) is not a multiple of the alignment \(alignment)", offset: info.at, name: info.name))
            }
            layout.tensors.append(LayoutTensor(name: info.name, dtype: traits.name, shape: shape, offset: dataStart &+ info.offset, bytes: size))
            spans.append((info.offset, end, info.name))
        }
        var cursorEnd: UInt64 = 0
        var padding: UInt64 = 0
        var previous = ""
        var charged = Set<String>()
        for span in spans.sorted(by: { $0.begin != $1.begin ? $0.begin < $1.begin : $0.end < $1.end }) {
            if span.begin < cursorEnd {
                layout.findings.append(LayoutFinding(rule: "tensor-layout", message: "tensor '\(span.name)' [\(span.begin), \(span.end)] overlaps '\(previous)' (which ends at \(cursorEnd))", offset: dataStart &+ span.begin, name: span.name, breaksLayout: true))
                continue
            }
            padding &+= span.begin - cursorEnd
            charged.insert(span.name)
            cursorEnd = span.end
            previous = span.name
        }
        for index in layout.tensors.indices where !charged.contains(layout.tensors[index].name) { layout.tensors[index].bytes = 0 }
        padding &+= dataBytes - cursorEnd
        if padding > 0 { layout.regions.append(LayoutRegion(name: "tensor alignment padding", offset: dataStart, bytes: padding)) }
        layout.tensors.sort { $0.offset != $1.offset ? $0.offset < $1.offset : $0.name < $1.name }

        if let architecture = layout.metadata["general.architecture"] {
            layout.facts["architecture"] = architecture
            if let context = numbers["\(architecture).context_length"] { layout.facts["context length"] = String(context) }
        }
        if let vocabulary = arrayCounts["tokenizer.ggml.tokens"] ?? layout.metadata["general.architecture"].flatMap({ numbers["\($0).vocab_size"] }) {
            layout.facts["vocabulary"] = String(vocabulary)
        }
        if let fileType = numbers["general.file_type"] { layout.facts["quantization"] = fileTypes[fileType] ?? "file_type \(fileType)" }
        if !typeCounts.isEmpty {
            layout.facts["tensor types"] = typeCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
        }
        layout.accountForRest()
        return layout
    }

    private struct Value {
        var text: String
        var number: UInt64?
        var count: UInt64?
    }

    static func typeName(_ type: UInt32) -> String {
        type < valueTypeNames.count ? valueTypeNames[Int(type)] : "type \(type)"
    }

    private static func readValue(type: UInt32, key: String, cursor: Cursor, depth: Int, at: UInt64) throws(InputError) -> Value {
        switch type {
        case 8:
            let text = try cursor.string("the value of '\(key)'")
            return Value(text: text.count > 200 ? String(text.prefix(200)) + "…" : text)
        case 9:
            // The spec allows arrays of arrays; gguf-py writes them. Nesting is bounded.
            guard depth < 4 else { throw cursor.fail("'\(key)': arrays nested more than 4 deep", at: at) }
            let elementType = UInt32(try cursor.integer(4, "the element type of '\(key)'"))
            let count = try cursor.integer(8, "the element count of '\(key)'")
            guard count <= cursor.limits.maximumArrayElements else {
                throw cursor.fail("'\(key)': array of \(count) elements is over the limit of \(cursor.limits.maximumArrayElements)", at: at)
            }
            // The least each element takes: a string's length, an array's type and count.
            let minimumSize = UInt64(elementType == 8 ? 8 : elementType == 9 ? 12 : scalarSizes[elementType] ?? 1)
            let (needed, overflow) = count.multipliedReportingOverflow(by: minimumSize)
            guard !overflow, needed <= cursor.remaining else {
                throw cursor.fail("'\(key)': array of \(count) \(typeName(elementType)) runs past the end of the file", at: at)
            }
            if let size = scalarSizes[elementType] {
                guard try cursor.window.skip(count * UInt64(size)) else { throw cursor.fail("the file ends inside '\(key)'", at: at) }
            } else if elementType == 8 {
                for _ in 0..<count { _ = try cursor.string("an element of '\(key)'") }
            } else if elementType == 9 {
                for _ in 0..<count { _ = try readValue(type: 9, key: key, cursor: cursor, depth: depth + 1, at: cursor.offset) }
            } else {
                throw cursor.fail("'\(key)': unknown array element type \(elementType)", at: at)
            }
            return Value(text: "[\(count) × \(typeName(elementType))]", count: count)
        default:
            guard let size = scalarSizes[type] else { throw cursor.fail("'\(key)': unknown value type \(type)", at: at) }
            let raw = try cursor.integer(size, "the value of '\(key)'")
            switch type {
            case 1: return Value(text: String(Int8(truncatingIfNeeded: raw)))
            case 3: return Value(text: String(Int16(truncatingIfNeeded: raw)))
            case 5: return Value(text: String(Int32(truncatingIfNeeded: raw)), number: Int32(truncatingIfNeeded: raw) >= 0 ? raw : nil)
            case 11: return Value(text: String(Int64(bitPattern: raw)), number: Int64(bitPattern: raw) >= 0 ? raw : nil)
            case 6: return Value(text: String(Float(bitPattern: UInt32(raw))))
            case 12: return Value(text: String(Double(bitPattern: raw)))
            case 7: return Value(text: raw == 0 ? "false" : "true")
            default: return Value(text: String(raw), number: raw)
            }
        }
    }
}

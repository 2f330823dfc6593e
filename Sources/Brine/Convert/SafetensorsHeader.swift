/// The header of a safetensors file, as safetensors' own writer lays it out
/// (safetensors/src/tensor.rs, `prepare` and `serialize`): an 8-byte little-endian length,
/// then JSON padded with spaces so the data starts at a multiple of 8. Data is ordered by
/// element size, largest first, then by name, so every tensor starts aligned to its own
/// element size; the JSON lists `__metadata__` and then the tensors sorted by name.
struct SafetensorsHeader {
    struct Entry: Equatable {
        var name: String
        var dtype: String
        var itemSize: Int
        var shape: [Int64]
        var bytes: UInt64
    }

    /// Entries in data order, with each one's `[begin, end)` inside the data.
    private(set) var ordered: [(entry: Entry, begin: UInt64, end: UInt64)] = []
    /// The header bytes, the 8-byte length included.
    private(set) var bytes: [UInt8] = []
    /// Where each metadata value that is a placeholder starts in `bytes`, by key.
    private(set) var placeholders: [String: Int] = [:]
    var dataBytes: UInt64 { ordered.last?.end ?? 0 }

    /// `metadata` values are strings; a key in `placeholderKeys` is written as its value (of
    /// the final length) and its position recorded, to be overwritten once known.
    init(entries: [Entry], metadata: [String: String], placeholderKeys: Set<String> = []) throws(ConvertError) {
        let sorted = entries.sorted { $0.itemSize != $1.itemSize ? $0.itemSize > $1.itemSize : $0.name < $1.name }
        var offset: UInt64 = 0
        for entry in sorted {
            let (end, overflow) = offset.addingReportingOverflow(entry.bytes)
            guard !overflow else { throw .unsupported("\(entry.name): the data of the output would exceed 2^64 bytes") }
            ordered.append((entry, offset, end))
            offset = end
        }
        var json: [UInt8] = Array("{".utf8)
        var first = true
        func key(_ text: String) {
            if !first { json.append(UInt8(ascii: ",")) }
            first = false
            Self.appendString(text, to: &json)
            json.append(UInt8(ascii: ":"))
        }
        if !metadata.isEmpty {
            key("__metadata__")
            json.append(UInt8(ascii: "{"))
            for (index, (name, value)) in metadata.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { json.append(UInt8(ascii: ",")) }
                Self.appendString(name, to: &json)
                json.append(UInt8(ascii: ":"))
                if placeholderKeys.contains(name) { placeholders[name] = 8 + json.count + 1 }
                Self.appendString(value, to: &json)
            }
            json.append(UInt8(ascii: "}"))
        }
        for (entry, begin, end) in ordered.sorted(by: { $0.entry.name < $1.entry.name }) {
            key(entry.name)
            json += Array("{\"dtype\":\"\(entry.dtype)\",\"shape\":[\(entry.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(begin),\(end)]}".utf8)
        }
        json.append(UInt8(ascii: "}"))
        json += [UInt8](repeating: UInt8(ascii: " "), count: (8 - json.count % 8) % 8)
        guard UInt64(json.count) <= SafetensorsReader.maximumHeaderBytes else {
            throw .unsupported("the safetensors header would be \(json.count) bytes, over safetensors' limit of \(SafetensorsReader.maximumHeaderBytes)")
        }
        let length = UInt64(json.count)
        bytes = (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + json
    }

    /// JSON string syntax: quotes, backslashes and control characters escaped, the rest UTF-8.
    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), byte]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

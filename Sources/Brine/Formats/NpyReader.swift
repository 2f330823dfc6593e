import BrineIO

/// NumPy's .npy: `\x93NUMPY`, version (1.0, 2.0, 3.0), a 2- (v1) or 4-byte header length,
/// then a Python dict literal (`{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`)
/// parsed by `PythonLiteralParser` (never evaluated), then the data. An object array's data
/// (`|O`) is a pickle.
public enum NpyReader {
    /// numpy's own default `max_header_size` is 10,000 bytes; numpy writes longer headers
    /// for wide structured dtypes, so Brine allows 1 MiB.
    public static let maximumHeaderBytes = 1 << 20
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    public struct Header: Sendable {
        public var version: String
        public var descr: String
        public var fortranOrder: Bool
        public var shape: [Int64]
        /// Bytes per element; nil for object arrays.
        public var itemSize: UInt64?
        /// Magic, version, length and dict: where the data starts.
        public var headerBytes: UInt64
        /// prod(shape) × itemSize; nil for object arrays.
        public var dataBytes: UInt64?
        public var isObject: Bool { itemSize == nil }
    }

    /// Reads the header at the source's position (`base` is its offset in the file, for
    /// messages) and leaves the source at the first data byte.
    public static func readHeader(_ source: ByteSource, base: UInt64 = 0) throws(InputError) -> Header {
        let name = source.name
        let prefix = try HeaderBytes.read(source, count: 8, at: base, what: "the npy magic and version")
        guard Array(prefix[0..<6]) == magic else { throw HeaderBytes.malformed(name, base, "expected the npy magic \\x93NUMPY") }
        let major = prefix[6], minor = prefix[7]
        guard (1...3).contains(major), minor == 0 else {
            throw HeaderBytes.malformed(name, base &+ 6, "npy version \(major).\(minor) is not 1.0, 2.0 or 3.0")
        }
        let lengthSize = major == 1 ? 2 : 4
        let lengthBytes = try HeaderBytes.read(source, count: lengthSize, at: base &+ 8, what: "the npy header length")
        let length = HeaderBytes.littleEndian(lengthBytes, 0, lengthSize)
        guard length <= UInt64(maximumHeaderBytes) else {
            throw HeaderBytes.malformed(name, base &+ 8, "npy header length \(length) is over the limit of \(maximumHeaderBytes) bytes")
        }
        let dictStart = base &+ 8 &+ UInt64(lengthSize)
        let text = try HeaderBytes.read(source, count: Int(length), at: dictStart, what: "the npy header")
        guard major == 3 || text.allSatisfy({ $0 < 0x80 }) else {
            throw HeaderBytes.malformed(name, dictStart, "npy \(major).0 header must be ASCII (UTF-8 needs version 3.0)")
        }
        let literal: PythonLiteral
        do { literal = try PythonLiteralParser.parse(text) } catch {
            throw HeaderBytes.malformed(name, dictStart &+ UInt64(error.index), "npy header: expected \(error.expected)")
        }
        guard case .dict = literal, let descrValue = literal["descr"], case .bool(let fortran)? = literal["fortran_order"],
              let shapeItems = literal["shape"]?.items else {
            throw HeaderBytes.malformed(name, dictStart, "npy header: expected a dict with 'descr', 'fortran_order' (bool) and 'shape' (tuple)")
        }
        var shape: [Int64] = []
        for item in shapeItems {
            guard case .integer(let size) = item, size >= 0 else {
                throw HeaderBytes.malformed(name, dictStart, "npy header: 'shape' holds something other than a non-negative integer")
            }
            shape.append(size)
        }
        let (descr, itemSize) = try describe(descrValue, name: name, offset: dictStart)
        var dataBytes: UInt64?
        if let itemSize {
            guard let bytes = HeaderBytes.byteCount(shape: shape.map { UInt64($0) }, bitsPerElement: itemSize &* 8), itemSize <= UInt64.max / 8 else {
                throw HeaderBytes.malformed(name, dictStart, "npy header: shape \(shape) of \(descr) overflows 64 bits")
            }
            dataBytes = bytes
        }
        return Header(version: "\(major).0", descr: descr, fortranOrder: fortran, shape: shape, itemSize: itemSize,
                      headerBytes: 8 + UInt64(lengthSize) + length, dataBytes: dataBytes)
    }

    /// The descr as text and its item size (nil: object). Structured dtypes are a list of
    /// `(name, descr[, shape])`; an object field anywhere makes the array an object array.
    static func describe(_ value: PythonLiteral, name: String, offset: UInt64, depth: Int = 0) throws(InputError) -> (String, UInt64?) {
        guard depth < 16 else { throw HeaderBytes.malformed(name, offset, "npy header: structured dtype nested too deep") }
        if case .string(let text) = value {
            guard let size = itemSize(text) else { throw HeaderBytes.malformed(name, offset, "npy header: unknown descr '\(text)'") }
            return (text, size == 0 ? nil : size)
        }
        guard let fields = value.items, !fields.isEmpty else { throw HeaderBytes.malformed(name, offset, "npy header: 'descr' is neither a string nor a list of fields") }
        var total: UInt64 = 0
        var isObject = false
        for field in fields {
            guard let parts = field.items, parts.count == 2 || parts.count == 3 else {
                throw HeaderBytes.malformed(name, offset, "npy header: a structured field is not (name, descr[, shape])")
            }
            let (_, size) = try describe(parts[1], name: name, offset: offset, depth: depth + 1)
            var count: UInt64 = 1
            if parts.count == 3 {
                let dims: [PythonLiteral]
                if let items = parts[2].items { dims = items } else if case .integer = parts[2] { dims = [parts[2]] } else {
                    throw HeaderBytes.malformed(name, offset, "npy header: a field shape is not a tuple of integers")
                }
                for dim in dims {
                    guard case .integer(let n) = dim, n >= 0 else { throw HeaderBytes.malformed(name, offset, "npy header: a field shape is not a tuple of integers") }
                    let (product, overflow) = count.multipliedReportingOverflow(by: UInt64(n))
                    guard !overflow else { throw HeaderBytes.malformed(name, offset, "npy header: a field shape overflows 64 bits") }
                    count = product
                }
            }
            guard let size else { isObject = true; continue }
            let (bytes, o1) = size.multipliedReportingOverflow(by: count)
            let (sum, o2) = total.addingReportingOverflow(bytes)
            guard !o1, !o2 else { throw HeaderBytes.malformed(name, offset, "npy header: structured dtype size overflows 64 bits") }
            total = sum
        }
        return ("structured (\(fields.count) fields)", isObject ? nil : total)
    }

    /// `<f4` → 4, `<U10` → 40, `|O` → 0 (object); nil for what numpy does not write.
    static func itemSize(_ descr: String) -> UInt64? {
        var chars = Array(descr.utf8)
        guard let first = chars.first else { return nil }
        if [UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "|"), UInt8(ascii: "=")].contains(first) { chars.removeFirst() }
        guard let kind = chars.first else { return nil }
        var rest = chars.dropFirst()
        if let bracket = rest.firstIndex(of: UInt8(ascii: "[")) {
            guard rest.last == UInt8(ascii: "]"), kind == UInt8(ascii: "M") || kind == UInt8(ascii: "m") else { return nil }
            rest = rest[..<bracket]
        }
        if kind == UInt8(ascii: "O") { return rest.isEmpty || String(decoding: rest, as: UTF8.self) == "8" ? 0 : nil }
        guard !rest.isEmpty, rest.count <= 12, rest.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let count = UInt64(String(decoding: rest, as: UTF8.self)) else { return nil }
        switch kind {
        case UInt8(ascii: "b"), UInt8(ascii: "i"), UInt8(ascii: "u"), UInt8(ascii: "f"), UInt8(ascii: "c"), UInt8(ascii: "M"), UInt8(ascii: "m"):
            return [1, 2, 4, 8, 16, 32].contains(count) ? count : nil
        case UInt8(ascii: "S"), UInt8(ascii: "a"), UInt8(ascii: "V"): return count
        case UInt8(ascii: "U"): return count > UInt64.max / 4 ? nil : count * 4
        default: return nil
        }
    }

    /// An .npy file of `fileBytes` bytes.
    public static func read(_ source: ByteSource, fileBytes: UInt64, pickles: FormatReaders.PickleHandler?) throws(InputError) -> ArtifactLayout {
        let header = try readHeader(source)
        var layout = ArtifactLayout(format: "npy", fileBytes: fileBytes)
        guard header.headerBytes <= fileBytes else { throw HeaderBytes.malformed(source.name, 0, "npy header runs past the end of the file") }
        layout.regions.append(LayoutRegion(name: "npy header: magic, version, dict", offset: 0, bytes: header.headerBytes))
        layout.metadata["descr"] = header.descr
        layout.metadata["fortran_order"] = header.fortranOrder ? "True" : "False"
        layout.facts["npy version"] = header.version
        try add(header, name: "", at: header.headerBytes, available: fileBytes - header.headerBytes, member: nil,
                source: source, into: &layout, pickles: pickles)
        layout.accountForRest()
        return layout
    }

    /// The array's data (or pickle) of one .npy stream into `layout`: `available` bytes
    /// follow its header at `offset`. `compressedBytes`: a deflated npz member's size in the
    /// zip (header and data compressed together), nil when the data is stored as is.
    static func add(_ header: Header, name: String, at offset: UInt64, available: UInt64, member: String?, source: ByteSource,
                    into layout: inout ArtifactLayout, pickles: FormatReaders.PickleHandler?, compressedBytes: UInt64? = nil) throws(InputError) {
        let where_ = member.map { "'\($0)'" } ?? "the array"
        if header.isObject {
            let pickle = EmbeddedPickle(name: name, offset: offset, bytes: available, member: member)
            layout.pickles.append(pickle)
            layout.tensors.append(LayoutTensor(name: name.isEmpty ? "(array)" : name, dtype: header.descr, shape: header.shape, offset: offset,
                                               bytes: available, storedBytes: compressedBytes))
            layout.findings.append(LayoutFinding(rule: "object-array", message:
                "\(where_) is an object array (\(header.descr)): its data is a pickle, np.load(allow_pickle=False) refuses it and allow_pickle=True runs it",
                offset: offset, name: name.isEmpty ? nil : name))
            try pickles?(pickle, source)
            return
        }
        let data = header.dataBytes ?? 0
        layout.tensors.append(LayoutTensor(name: name.isEmpty ? "(array)" : name, dtype: header.descr, shape: header.shape, offset: offset,
                                           bytes: min(data, available), storedBytes: compressedBytes))
        if data > available {
            layout.findings.append(LayoutFinding(rule: "tensor-layout", message:
                "\(where_): \(header.descr) \(header.shape) needs \(data) data bytes, \(available) follow the header (np.load fails)", offset: offset &+ available,
                name: name.isEmpty ? nil : name, breaksLayout: true))
        } else if data < available, compressedBytes == nil {
            layout.regions.append(LayoutRegion(name: "bytes after the array data", offset: offset &+ data, bytes: available - data))
        }
    }
}

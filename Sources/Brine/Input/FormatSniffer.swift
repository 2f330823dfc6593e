import BrineIO

#if canImport(Glibc)
import Glibc
#endif

/// A format Brine recognises by content but does not read.
public struct ForeignFormat: Sendable, Equatable {
    /// Short name, as bundle listings show it: `safetensors`, `npy`, `gguf`, `text`.
    public var name: String
    /// What the file is, for the one-line refusal: "a safetensors file".
    public var description: String
    /// Where support is tracked, when it is.
    public var support: String?

    /// `a Parquet file; Brine reads pickle, joblib and PyTorch files`; for formats with a
    /// reader, which commands read them (`brine dis` disassembles pickles only).
    public var refusal: String {
        if isTensorFormat { return "\(description), not a pickle; brine inspect, check, budget and diff read it" }
        return "\(description); Brine reads pickle, joblib and PyTorch files" + (support.map { " (\($0))" } ?? "")
    }

    /// A format of tensors Brine reads (`FormatReaders`): safetensors, npy, npz, GGUF, ONNX…
    public var isTensorFormat: Bool { FormatReaders.readable.contains(name) }

    /// Why `brine convert` does not take it: a tensor format already, or no artifact at all.
    public var convertRefusal: String {
        guard isTensorFormat else { return refusal }
        return "\(description), already a tensor format: nothing to convert (brine convert turns the arrays of pickle, "
            + "joblib and PyTorch files into .npz or .safetensors; brine inspect reads this file)"
    }
}

/// The one place that tells a file Brine does not read from one it does, by magic bytes
/// (never by name), so every command refuses a safetensors or npy file in one plain line
/// instead of "not a pickle opcode", and bundle listings name such members.
///
/// Nothing here may claim a pickle: every signature is one no pickle can start with
/// (pickles start with 0x80 or a protocol 0/1 opcode), and text is only text when it is not
/// a protocol 0 pickle.
public enum FormatSniffer {
    /// Bytes of a file's start the detector looks at.
    public static let headLength = 512

    /// The format of a stream of `size` bytes starting with `head`, when it is one Brine
    /// recognises and does not read; nil for pickles, compressed streams, archives and
    /// anything unknown (whose reader then reports where it stops). `lastByte`, when known,
    /// tells a protocol 0 pickle (which ends in STOP, `.`) from text.
    public static func foreign(head: [UInt8], size: UInt64?, lastByte: UInt8? = nil) -> ForeignFormat? {
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + magic.count && Array(head[offset..<(offset + magic.count)]) == magic
        }
        guard !head.isEmpty else { return nil }
        // A safetensors header length of 0x080, 0x180, … 0x580 starts like PROTO 0–5: a pickle
        // follows PROTO with an opcode, and 0x00 is none, so a zero there is the length's.
        let proto = head[0] == 0x80 && (head.count < 2 || head[1] <= 5)
        if proto, head.count < 3 || head[2] != 0 { return nil }
        // Before the codecs: a header length of 0x178 starts with zlib's magic (78 01).
        if isSafetensors(head, size: size) {
            return ForeignFormat(name: "safetensors", description: "a safetensors file")
        }
        if proto { return nil }
        if head.withUnsafeBytes({ CompressionFormat.detect($0) }) != nil { return nil }
        if ArchiveKind.detect(head) != nil { return nil }
        if starts([0x93] + Array("NUMPY".utf8)) {
            return ForeignFormat(name: "npy", description: "a NumPy .npy array file")
        }
        if starts(Array("GGUF".utf8)) {
            return ForeignFormat(name: "gguf", description: "a GGUF model file (llama.cpp)")
        }
        if starts([0x89] + Array("HDF\r\n".utf8) + [0x1A, 0x0A]) {
            return ForeignFormat(name: "hdf5", description: "an HDF5 file (Keras .h5 weights, pandas HDFStore)")
        }
        if starts(Array("TFL3".utf8), at: 4) {
            return ForeignFormat(name: "tflite", description: "a TensorFlow Lite model (flatbuffer)")
        }
        if starts(Array("PAR1".utf8)) {
            return ForeignFormat(name: "parquet", description: "a Parquet file")
        }
        if isONNX(head) {
            return ForeignFormat(name: "onnx", description: "an ONNX model (protobuf)")
        }
        if isONNXTensor(head) {
            return ForeignFormat(name: "onnx-tensor", description: "an ONNX tensor (a serialized TensorProto, as ONNX test data's .pb files)")
        }
        if isText(head), !BundleWalker.looksLikeProtocol0Pickle(head), lastByte != UInt8(ascii: ".") {
            let first = head.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
            if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
                return ForeignFormat(name: "json", description: "a JSON or text file, not a pickle")
            }
            return ForeignFormat(name: "text", description: "a text file, not a pickle")
        }
        return nil
    }

    /// A zip holding only `.npy` members is an npz; `config.json` with `metadata.json` is
    /// Keras 3's `.keras`. nil for PyTorch zips and every other zip (a bundle).
    public static func foreign(zipMembers names: [String]) -> ForeignFormat? {
        if TorchInspector.mainPickle(in: names) != nil { return nil }
        if !names.isEmpty, names.allSatisfy({ $0.hasSuffix(".npy") }) {
            return ForeignFormat(name: "npz", description: "a NumPy .npz archive of arrays")
        }
        if names.contains("config.json"), names.contains("metadata.json") {
            return ForeignFormat(name: "keras", description: "a Keras 3 .keras model (zip with config.json and weights)")
        }
        return nil
    }

    /// The file at `path`, named on the command line, if it is of a format Brine does not
    /// read; throws `unsupportedFormat` then. Directories and anything unopenable pass: the
    /// command's own open reports those.
    /// `reading`: formats the caller reads itself (`FormatReaders.readable`), let through.
    public static func refuseForeign(path: String, reading: Set<String> = []) throws(InputError) {
        // Formats with a reader (FormatReaders) are read, not refused.
        if let format = sniff(path: path), !reading.contains(format.name) {
            throw InputError(path: path, offset: 0, reason: .unsupportedFormat(what: format.refusal))
        }
    }

    /// The format of the regular file at `path` when it is one Brine recognises and no
    /// pickle reader reads (a zip's members are listed for npz and Keras); nil otherwise.
    public static func sniff(path: String) -> ForeignFormat? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        guard let file = try? FileSource(path: path) else { return nil }
        let size = file.knownLength ?? 0
        let head = read(file, at: 0, count: headLength)
        let last = size > 0 ? read(file, at: size - 1, count: 1).first : nil
        var format = foreign(head: head, size: size, lastByte: last)
        if format == nil, BundleWalker.looksLikeProtocol0Pickle(head), size <= UInt64(BundleWalker.protocol0TextProbeLimit),
           BundleWalker.isTextShapedLikeProtocol0(read(file, at: 0, count: Int(size))) {
            format = ForeignFormat(name: "text", description: "a text file, not a pickle (it starts like a protocol 0 pickle and is none)")
        }
        if format == nil, head.withUnsafeBytes({ ZipArchive.looksLikeZip($0) }),
           let archive = try? ZipArchive(source: file) {
            format = foreign(zipMembers: archive.entries.map(\.name))
        }
        return format
    }

    private static func read(_ file: FileSource, at offset: UInt64, count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { buffer in (try? file.read(at: offset, into: buffer)) ?? 0 }
        return Array(bytes[..<got])
    }

    /// An 8-byte little-endian header length that fits the file, then a JSON object with a
    /// key (`{"`, as every writer emits it). A text pickle's first 8 bytes read as a length
    /// far beyond any file; a zlib stream has no `{"` at byte 8 under a length that fits.
    static func isSafetensors(_ head: [UInt8], size: UInt64?) -> Bool {
        guard head.count >= 10, head[8] == UInt8(ascii: "{"), head[9] == UInt8(ascii: "\"") || head[9] == UInt8(ascii: "}") else { return false }
        var length: UInt64 = 0
        for index in (0..<8).reversed() { length = length << 8 | UInt64(head[index]) }
        // A length under 2^56 whatever the file's size: a damaged or hostile header is still
        // a safetensors file (its reader says what is wrong). No text pickle has a 0 there.
        if head[7] == 0, head[9] == UInt8(ascii: "\"") { return length >= 2 }
        guard length >= 2 else { return false }
        if let size { return size >= 8 && length <= size - 8 }
        return length < 100 << 20
    }

    /// ModelProto starts with `ir_version` (field 1, varint: 0x08, small) followed by
    /// another of its fields (producer_name, producer_version, domain, …, graph, opset_import).
    /// 0x08 is no pickle opcode.
    static func isONNX(_ head: [UInt8]) -> Bool {
        // ir_version 3 and up: IR 1 and 2 predate onnx 1.0 (IR 3), and a TensorFlow SavedModel
        // (`saved_model.pb`: schema version 1, then meta_graphs, field 2) starts as IR 1 would.
        guard head.count >= 3, head[0] == 0x08, (3...20).contains(head[1]) else { return false }
        guard head[2] == 0x12 else { return [0x1A, 0x22, 0x28, 0x32, 0x3A, 0x42, 0x52, 0x5A, 0x62, 0x72].contains(head[2]) }
        // producer_name (field 2) is a string ("pytorch"); a CoreML model.mlmodel (specification
        // version, then its description message, also field 2) has tags and lengths there.
        guard head.count >= 4, head[3] < 0x80 else { return false }
        let name = head.dropFirst(4).prefix(Int(head[3]))
        return !name.contains { $0 < 0x20 || $0 == 0x7F }
    }

    /// A serialized TensorProto (`numpy_helper.from_array(a).SerializeToString()`): fields
    /// in field-number order as protobuf writes them, each of TensorProto's numbers with its
    /// wire type, starting with `dims` (1) or `data_type` (2), and a `data_type` onnx.proto
    /// defines (1–26) among them. Its tag, 0x10, is a control character: no text has it,
    /// and 0x08, 0x0A and 0x10 are no pickle opcodes.
    static func isONNXTensor(_ head: [UInt8]) -> Bool {
        guard let first = head.first, [0x08, 0x0A, 0x10].contains(first) else { return false }
        // Wire types each field may take (packed repeated scalars are length-delimited).
        let wireTypes: [UInt64: Set<UInt64>] = [
            1: [0, 2], 2: [0], 3: [2], 4: [2, 5], 5: [0, 2], 6: [2], 7: [0, 2], 8: [2], 9: [2], 10: [1, 2], 11: [0, 2],
            12: [2], 13: [2], 14: [0], 16: [2],
        ]
        var offset = 0
        var previous: UInt64 = 0
        var dataType: UInt64?
        // nil at the end of the head; UInt64.max for a varint over 10 bytes.
        func varint() -> UInt64? {
            var value: UInt64 = 0
            for index in 0..<10 {
                guard offset < head.count else { return nil }
                let byte = head[offset]
                offset += 1
                value |= UInt64(byte & 0x7F) << (7 * UInt64(index))
                if byte & 0x80 == 0 { return value }
            }
            return UInt64.max
        }
        fields: while offset < head.count {
            guard let tag = varint() else { break fields }
            let number = tag >> 3, type = tag & 7
            guard let allowed = wireTypes[number], allowed.contains(type), number >= previous else { return false }
            previous = number
            switch type {
            case 0:
                guard let value = varint() else { break fields }
                if number == 2 { dataType = value }
            case 1: offset += 8
            case 5: offset += 4
            default:
                guard let length = varint() else { break fields }
                // A length past the file's end still names a TensorProto: a cut one, which its
                // reader reports with the offset.
                if length == UInt64.max { return false }
                offset += Int(min(length, UInt64(head.count)))
            }
        }
        return dataType.map { (1...26).contains($0) } ?? false
    }

    /// UTF-8 with no control characters but tab, newline, carriage return and form feed.
    static let minimumTextLength = 8

    static func isText(_ head: [UInt8]) -> Bool {
        // A few bytes tell nothing: a zip cut after "P" or a pickle cut short is no text file,
        // and the reader that takes it says where it ends.
        guard head.count >= minimumTextLength else { return false }
        guard head.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || [0x09, 0x0A, 0x0C, 0x0D].contains($0) }) else { return false }
        // A multi-byte character cut by the end of the head is still text; a whole file is not cut.
        let cuts = head.count >= headLength ? 3 : 0
        for cut in 0...cuts where head.count > cut && String(validating: head.dropLast(cut), as: UTF8.self) != nil { return true }
        return false
    }
}

import BrineIO

/// Where each graph initializer's data sits in an ONNX file. swift-protobuf decodes the
/// model but keeps no positions, so the wire format is walked for ModelProto.graph (7) →
/// GraphProto.initializer (5) → TensorProto.raw_data (9), in the order protobuf gives the
/// decoded initializers (every `graph` occurrence is merged, its initializers appended).
enum ONNXInitializerOffsets {
    struct Data: Equatable {
        /// Absolute offset of the data's first byte.
        var offset: UInt64
        var bytes: UInt64
        /// `raw_data`; otherwise the typed fields (float_data, int64_data…), whose payloads
        /// are summed and placed at the first one.
        var raw: Bool
    }

    /// TensorProto's typed data fields: float_data, int32_data, string_data, int64_data,
    /// double_data, uint64_data.
    static let typedFields: Set<UInt64> = [4, 5, 6, 7, 10, 11]

    static func initializers(_ bytes: [UInt8], name: String, maximumDepth: Int) throws(InputError) -> [Data] {
        // Array.withUnsafeBytes rethrows untyped errors: the walk's error is carried out by hand.
        var failure: InputError?
        let found = bytes.withUnsafeBytes { buffer -> [Data] in
            do throws(InputError) { return try initializers(in: buffer, name: name, maximumDepth: maximumDepth) } catch { failure = error; return [] }
        }
        if let failure { throw failure }
        return found
    }

    private static func initializers(in bytes: UnsafeRawBufferPointer, name: String, maximumDepth: Int) throws(InputError) -> [Data] {
        var model = ProtobufWire(bytes, range: 0..<bytes.count, name: name, maximumDepth: maximumDepth)
        var found: [Data] = []
        while let field = try model.readField() {
            guard field.number == 7, field.type == .lengthDelimited else { continue }
            var graph = model.message(field)
            while let member = try graph.readField() {
                guard member.number == 5, member.type == .lengthDelimited else { continue }
                found.append(try data(of: graph.message(member), at: member.value.lowerBound))
            }
        }
        return found
    }

    private static func data(of tensor: ProtobufWire, at start: Int) throws(InputError) -> Data {
        var tensor = tensor
        var raw: Range<Int>?
        var typedStart: Int?
        var typedBytes = 0
        while let field = try tensor.readField() {
            if field.number == 9, field.type == .lengthDelimited {
                // A bytes field given twice: protobuf keeps the last.
                raw = field.value
            } else if typedFields.contains(field.number) {
                typedStart = typedStart ?? field.value.lowerBound
                typedBytes += field.value.count
            }
        }
        if let raw { return Data(offset: UInt64(raw.lowerBound), bytes: UInt64(raw.count), raw: true) }
        return Data(offset: UInt64(typedStart ?? start), bytes: UInt64(typedBytes), raw: false)
    }
}

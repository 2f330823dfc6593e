import BrineIO

/// A borrowed cursor over protobuf's wire format (tag varints, then a varint, a fixed32, a
/// fixed64, a length-delimited payload or a group), for what a decoded message does not
/// give: where a field's bytes sit in the file. Every varint is at most 10 bytes, every
/// length is checked against the bytes left of its enclosing message, groups nest at most
/// `maximumDepth` deep.
struct ProtobufWire {
    enum WireType: UInt8 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

    struct Field {
        var number: UInt64
        var type: WireType
        /// Where the field's value starts (after its tag) and ends.
        var value: Range<Int>
    }

    let bytes: UnsafeRawBufferPointer
    let name: String
    private(set) var offset: Int
    let end: Int
    let maximumDepth: Int

    init(_ bytes: UnsafeRawBufferPointer, range: Range<Int>, name: String, maximumDepth: Int) {
        self.bytes = bytes
        self.name = name
        offset = range.lowerBound
        end = range.upperBound
        self.maximumDepth = maximumDepth
    }

    /// A cursor over a length-delimited field's payload.
    func message(_ field: Field) -> ProtobufWire {
        ProtobufWire(bytes, range: field.value, name: name, maximumDepth: maximumDepth)
    }

    /// The next field with its value consumed, or nil at the end of the message.
    mutating func readField() throws(InputError) -> Field? {
        guard offset < end else { return nil }
        let at = offset
        let tag = try readVarint("a field tag")
        guard let type = WireType(rawValue: UInt8(tag & 7)), tag >> 3 != 0 else {
            throw fail("a protobuf field tag (field number ≥ 1, wire type 0–5), got \(tag)", at: at)
        }
        guard type != .endGroup else { throw fail("a field, got the end of a group that was never started", at: at) }
        let number = tag >> 3
        let start = offset
        try skipValue(type, number: number, depth: 0)
        return Field(number: number, type: type, value: type == .lengthDelimited ? try payload(after: start) : start..<offset)
    }

    /// The payload of the length-delimited value at `start` (already skipped over).
    private func payload(after start: Int) throws(InputError) -> Range<Int> {
        var cursor = self
        cursor.offset = start
        let length = try cursor.readVarint("a length")
        return cursor.offset..<(cursor.offset + Int(length))
    }

    private mutating func skipValue(_ type: WireType, number: UInt64, depth: Int) throws(InputError) {
        switch type {
        case .varint: _ = try readVarint("a varint value")
        case .fixed64: try advance(8, "a fixed64 value")
        case .fixed32: try advance(4, "a fixed32 value")
        case .lengthDelimited:
            let at = offset
            let length = try readVarint("a length")
            guard length <= UInt64(end - offset) else {
                throw fail("a length-delimited field within its message (\(end - offset) bytes left), got a length of \(length)", at: at)
            }
            offset += Int(length)
        case .startGroup:
            guard depth < maximumDepth else { throw fail("groups nested at most \(maximumDepth) deep", at: offset) }
            while true {
                guard offset < end else { throw fail("the end of group \(number) before the end of its message", at: offset) }
                let at = offset
                let tag = try readVarint("a field tag")
                guard let inner = WireType(rawValue: UInt8(tag & 7)), tag >> 3 != 0 else {
                    throw fail("a protobuf field tag (field number ≥ 1, wire type 0–5), got \(tag)", at: at)
                }
                if inner == .endGroup {
                    guard tag >> 3 == number else { throw fail("the end of group \(number), got the end of group \(tag >> 3)", at: at) }
                    return
                }
                try skipValue(inner, number: tag >> 3, depth: depth + 1)
            }
        case .endGroup:
            throw fail("a value, got the end of a group", at: offset)
        }
    }

    private mutating func readVarint(_ what: String) throws(InputError) -> UInt64 {
        let at = offset
        var value: UInt64 = 0
        for index in 0..<10 {
            guard offset < end else { throw fail("\(what) (a varint) before the end of its message", at: at) }
            let byte = bytes[offset]
            offset += 1
            // The tenth byte holds bit 63 only.
            guard index < 9 || byte <= 1 else { break }
            value |= UInt64(byte & 0x7F) << (7 * UInt64(index))
            if byte & 0x80 == 0 { return value }
        }
        throw fail("\(what): a varint of at most 10 bytes and 64 bits", at: at)
    }

    private mutating func advance(_ count: Int, _ what: String) throws(InputError) {
        guard end - offset >= count else { throw fail("\(what) (\(count) bytes) before the end of its message", at: offset) }
        offset += count
    }

    private func fail(_ expected: String, at: Int) -> InputError {
        HeaderBytes.malformed(name, UInt64(at), "ONNX protobuf: expected \(expected)")
    }
}

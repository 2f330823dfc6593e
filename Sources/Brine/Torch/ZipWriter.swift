import BrineIO

/// Writes a zip of stored members the way PyTorch's `PyTorchStreamWriter` does
/// (caffe2/serialize/inline_container.cc): each local header carries an `FB` extra field
/// padded with `Z` so the member's data starts at a multiple of 64, sizes sit in the local
/// header (no data descriptor), and zip64 fields appear only when a size or offset needs
/// them. Streams to a sink; only the central directory is kept in memory.
final class ZipWriter {
    static let alignment: UInt64 = 64
    private let sink: ByteSink
    private(set) var offset: UInt64 = 0
    private var central: [UInt8] = []
    private var count = 0

    init(sink: ByteSink) {
        self.sink = sink
    }

    /// Starts a stored member of `size` bytes whose CRC-32 is `crc`; the caller then writes
    /// exactly `size` bytes with `writeData`.
    func beginStored(name: String, size: UInt64, crc: UInt32) throws(OutputError) {
        let nameBytes = Array(name.utf8)
        let headerOffset = offset
        let wideSize = size >= 0xFFFF_FFFF, wideOffset = headerOffset >= 0xFFFF_FFFF
        var localZip64: [UInt8] = []
        if wideSize {
            localZip64 = le16(1) + le16(16) + le64(size) + le64(size)
        }
        // torch's getPadding: the FB field's 4-byte header always, then padding to 64.
        let start = headerOffset + 30 + UInt64(nameBytes.count) + UInt64(localZip64.count) + 4
        let padding = (Self.alignment - start % Self.alignment) % Self.alignment
        let extra = localZip64 + le16(0x4246) + le16(UInt16(padding)) + [UInt8](repeating: 0x5A, count: Int(padding))

        var header = le32(0x0403_4b50) + le16(wideSize ? 45 : 20) + le16(0) + le16(0) + le16(0) + le16(0x0021)
        header += le32(crc) + le32(wideSize ? 0xFFFF_FFFF : UInt32(size)) + le32(wideSize ? 0xFFFF_FFFF : UInt32(size))
        header += le16(UInt16(nameBytes.count)) + le16(UInt16(extra.count)) + nameBytes + extra
        try write(header)

        var centralZip64: [UInt8] = []
        if wideSize || wideOffset {
            var fields: [UInt8] = []
            if wideSize { fields += le64(size) + le64(size) }
            if wideOffset { fields += le64(headerOffset) }
            centralZip64 = le16(1) + le16(UInt16(fields.count)) + fields
        }
        central += le32(0x0201_4b50) + le16(45) + le16(wideSize || wideOffset ? 45 : 20) + le16(0) + le16(0) + le16(0) + le16(0x0021)
        central += le32(crc) + le32(wideSize ? 0xFFFF_FFFF : UInt32(size)) + le32(wideSize ? 0xFFFF_FFFF : UInt32(size))
        central += le16(UInt16(nameBytes.count)) + le16(UInt16(centralZip64.count)) + le16(0) + le16(0) + le16(0) + le32(0)
        central += le32(wideOffset ? 0xFFFF_FFFF : UInt32(headerOffset)) + nameBytes + centralZip64
        count += 1
    }

    func writeData(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        try sink.write(bytes)
        offset += UInt64(bytes.count)
    }

    func writeData(_ bytes: [UInt8]) throws(OutputError) {
        try write(bytes)
    }

    /// The central directory and end records (zip64 ones when counts or offsets need them).
    func finish() throws(OutputError) {
        let centralOffset = offset
        let centralSize = UInt64(central.count)
        try write(central)
        let needs64 = count >= 0xFFFF || centralOffset >= 0xFFFF_FFFF || centralSize >= 0xFFFF_FFFF
        if needs64 {
            let recordOffset = offset
            var record = le32(0x0606_4b50) + le64(44) + le16(45) + le16(45) + le32(0) + le32(0)
            record += le64(UInt64(count)) + le64(UInt64(count)) + le64(centralSize) + le64(centralOffset)
            try write(record)
            try write(le32(0x0706_4b50) + le32(0) + le64(recordOffset) + le32(1))
        }
        var end = le32(0x0605_4b50) + le16(0) + le16(0)
        end += le16(needs64 ? 0xFFFF : UInt16(count)) + le16(needs64 ? 0xFFFF : UInt16(count))
        end += le32(needs64 ? 0xFFFF_FFFF : UInt32(centralSize)) + le32(needs64 ? 0xFFFF_FFFF : UInt32(centralOffset)) + le16(0)
        try write(end)
    }

    private func write(_ bytes: [UInt8]) throws(OutputError) {
        try sink.write(bytes)
        offset += UInt64(bytes.count)
    }

    private func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    private func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
    private func le64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8((value >> (8 * UInt64($0))) & 0xFF) } }
}

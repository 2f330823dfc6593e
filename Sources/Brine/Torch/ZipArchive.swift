import BrineIO

/// Limits that guard the zip reader against hostile archives.
public struct ZipLimits: Sendable {
    /// Members read from a central directory.
    public var maximumEntries: Int
    /// Bytes of one central directory (it is read into memory).
    public var maximumCentralDirectoryBytes: UInt64

    public init(maximumEntries: Int = 1_000_000, maximumCentralDirectoryBytes: UInt64 = 256 << 20) {
        self.maximumEntries = maximumEntries
        self.maximumCentralDirectoryBytes = maximumCentralDirectoryBytes
    }

    public static let `default` = ZipLimits()
}

/// A zip archive read from its central directory with positional reads, never mapped:
/// entries with the offsets of their data, so stored members (PyTorch's tensor storages)
/// can be read in place. libarchive streams members but does not tell where their data
/// sits, which inspection (attribution) and stripping (copying ranges) both need.
///
/// Every offset and size is checked against the file before use; zip64 records are
/// followed; every local header is read and compared with its central record.
public final class ZipArchive {
    public let source: ByteSource
    public let fileSize: UInt64
    public private(set) var entries: [ZipEntry] = []
    /// Where the central directory starts and how long it is.
    public private(set) var centralDirectoryRange: Range<UInt64> = 0..<0
    /// End-of-central-directory record (and zip64 record and locator, when present) up to
    /// the end of the file, comment included.
    public private(set) var endRecordsRange: Range<UInt64> = 0..<0
    public private(set) var comment: [UInt8] = []

    static let localSignature: UInt32 = 0x0403_4b50
    static let centralSignature: UInt32 = 0x0201_4b50
    static let endSignature: UInt32 = 0x0605_4b50
    static let zip64EndSignature: UInt32 = 0x0606_4b50
    static let zip64LocatorSignature: UInt32 = 0x0706_4b50
    static let descriptorSignature: UInt32 = 0x0807_4b50

    /// Whether the first bytes are a local file header or an empty archive's end record.
    public static func looksLikeZip(_ magic: UnsafeRawBufferPointer) -> Bool {
        guard magic.count >= 4 else { return false }
        let signature = UInt32(magic[0]) | UInt32(magic[1]) << 8 | UInt32(magic[2]) << 16 | UInt32(magic[3]) << 24
        return signature == localSignature || signature == endSignature
    }

    public init(source: ByteSource, limits: ZipLimits = .default) throws(ZipError) {
        precondition(source.supportsRandomAccess, "a zip archive is read with positional reads")
        self.source = source
        self.fileSize = source.knownLength ?? 0
        try readEndRecords(limits)
        try readCentralDirectory(limits)
    }

    /// The member called `name`, if any.
    public func entry(named name: String) -> ZipEntry? {
        entries.first { $0.name == name }
    }

    /// A stream of the member's uncompressed bytes: read in place for stored members,
    /// inflated for deflated ones.
    public func open(_ entry: ZipEntry, limits: DecompressionLimits = .default) throws(ZipError) -> ByteSource {
        let slice = SliceSource(source, start: entry.dataOffset, length: entry.compressedSize)
        switch entry.method {
        case ZipEntry.stored:
            return slice
        case ZipEntry.deflated:
            do { return try ZlibSource(upstream: slice, container: .rawDeflate, limits: limits) } catch { throw ZipError(offset: entry.dataOffset, reason: .input(error)) }
        default:
            throw ZipError(offset: entry.headerOffset, reason: .unsupported("member \(entry.name) uses compression method \(entry.method)"))
        }
    }

    // MARK: reading structures

    private func readEndRecords(_ limits: ZipLimits) throws(ZipError) {
        // The end record is 22 bytes plus a comment of at most 65,535: search backwards.
        let tail = min(fileSize, 22 + 65_535)
        guard fileSize >= 22 else { throw ZipError(offset: 0, reason: .notAZip) }
        let bytes = try read(at: fileSize - tail, count: Int(tail))
        var found: Int?
        var index = bytes.count - 22
        while index >= 0 {
            if bytes[index] == 0x50, bytes[index + 1] == 0x4b, bytes[index + 2] == 5, bytes[index + 3] == 6 {
                let commentLength = Int(le16(bytes, index + 20))
                if index + 22 + commentLength == bytes.count { found = index; break }
            }
            index -= 1
        }
        guard let found else { throw ZipError(offset: fileSize, reason: .notAZip) }
        let endOffset = fileSize - tail + UInt64(found)
        let disk = le16(bytes, found + 4), centralDisk = le16(bytes, found + 6)
        var countOnDisk = UInt64(le16(bytes, found + 8)), count = UInt64(le16(bytes, found + 10))
        var centralSize = UInt64(le32(bytes, found + 12)), centralOffset = UInt64(le32(bytes, found + 16))
        comment = Array(bytes[(found + 22)...])
        endRecordsRange = endOffset..<fileSize

        if count == 0xFFFF || centralSize == 0xFFFF_FFFF || centralOffset == 0xFFFF_FFFF || countOnDisk == 0xFFFF {
            // zip64: a locator sits right before the end record and points at the zip64 record.
            guard endOffset >= 20 else { throw ZipError(offset: endOffset, reason: .corrupt("zip64 values without a zip64 locator")) }
            let locator = try read(at: endOffset - 20, count: 20)
            guard le32(locator, 0) == Self.zip64LocatorSignature else {
                throw ZipError(offset: endOffset - 20, reason: .corrupt("zip64 values without a zip64 locator"))
            }
            let recordOffset = le64(locator, 8)
            guard recordOffset <= endOffset - 20, endOffset - 20 - recordOffset >= 56 else {
                throw ZipError(offset: endOffset - 20, reason: .corrupt("zip64 end record offset \(recordOffset) out of range"))
            }
            let record = try read(at: recordOffset, count: 56)
            guard le32(record, 0) == Self.zip64EndSignature else {
                throw ZipError(offset: recordOffset, reason: .corrupt("no zip64 end-of-central-directory record where the locator points"))
            }
            countOnDisk = le64(record, 24)
            count = le64(record, 32)
            centralSize = le64(record, 40)
            centralOffset = le64(record, 48)
            endRecordsRange = recordOffset..<fileSize
        }
        guard disk == 0 || disk == 0xFFFF, centralDisk == 0 || centralDisk == 0xFFFF, countOnDisk == count else {
            throw ZipError(offset: endOffset, reason: .unsupported("archive split over several disks"))
        }
        guard count <= UInt64(limits.maximumEntries) else {
            throw ZipError(offset: endOffset, reason: .limitExceeded(limit: "zip member limit", value: count, option: "--max-members"))
        }
        guard centralSize <= limits.maximumCentralDirectoryBytes else {
            throw ZipError(offset: endOffset, reason: .limitExceeded(limit: "central directory size limit", value: centralSize, option: "--max-members"))
        }
        let (centralEnd, overflow) = centralOffset.addingReportingOverflow(centralSize)
        guard !overflow, centralEnd <= endRecordsRange.lowerBound else {
            throw ZipError(offset: endOffset, reason: .corrupt("central directory (offset \(centralOffset), \(centralSize) bytes) runs past the end record"))
        }
        centralDirectoryRange = centralOffset..<centralEnd
        entries.reserveCapacity(Int(count))
        self.expectedCount = Int(count)
    }

    private var expectedCount = 0

    private func readCentralDirectory(_ limits: ZipLimits) throws(ZipError) {
        let base = centralDirectoryRange.lowerBound
        let directory = try read(at: base, count: Int(centralDirectoryRange.count))
        var position = 0
        for _ in 0..<expectedCount {
            let at = base + UInt64(position)
            guard directory.count - position >= 46 else { throw ZipError(offset: at, reason: .truncated(expected: "a central directory record")) }
            guard le32(directory, position) == Self.centralSignature else {
                throw ZipError(offset: at, reason: .corrupt("bad central directory signature"))
            }
            let flags = le16(directory, position + 8), method = le16(directory, position + 10)
            let crc = le32(directory, position + 16)
            var compressed = UInt64(le32(directory, position + 20)), uncompressed = UInt64(le32(directory, position + 24))
            let nameLength = Int(le16(directory, position + 28)), extraLength = Int(le16(directory, position + 30))
            let commentLength = Int(le16(directory, position + 32))
            var headerOffset = UInt64(le32(directory, position + 42))
            let recordLength = 46 + nameLength + extraLength + commentLength
            guard directory.count - position >= recordLength else {
                throw ZipError(offset: at, reason: .truncated(expected: "a central directory record of \(recordLength) bytes"))
            }
            guard flags & 1 == 0 else { throw ZipError(offset: at, reason: .unsupported("encrypted member")) }
            let nameBytes = directory[(position + 46)..<(position + 46 + nameLength)]
            let name = String(decoding: nameBytes, as: UTF8.self)
            // zip64 extra: the 0xFFFFFFFF fields, in order, as 8-byte values.
            var extra = position + 46 + nameLength
            let extraEnd = extra + extraLength
            while extraEnd - extra >= 4 {
                let tag = le16(directory, extra), size = Int(le16(directory, extra + 2))
                guard extraEnd - extra - 4 >= size else { throw ZipError(offset: base + UInt64(extra), reason: .corrupt("extra field runs past its record")) }
                if tag == 1 {
                    var field = extra + 4
                    func next() throws(ZipError) -> UInt64 {
                        guard field + 8 <= extra + 4 + size else { throw ZipError(offset: base + UInt64(field), reason: .corrupt("zip64 extra field too short")) }
                        defer { field += 8 }
                        return le64(directory, field)
                    }
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try next() }
                    if compressed == 0xFFFF_FFFF { compressed = try next() }
                    if headerOffset == 0xFFFF_FFFF { headerOffset = try next() }
                }
                extra += 4 + size
            }
            let entry = try checkedEntry(name: name, method: method, flags: flags, crc: crc, compressed: compressed,
                                         uncompressed: uncompressed, headerOffset: headerOffset, central: at,
                                         centralBytes: UInt64(recordLength))
            entries.append(entry)
            position += recordLength
        }
        guard position == directory.count else {
            throw ZipError(offset: base + UInt64(position), reason: .corrupt("\(directory.count - position) bytes after the last central directory record"))
        }
        try checkOverlaps()
    }

    /// Reads the member's local header and computes where its data lies.
    private func checkedEntry(name: String, method: UInt16, flags: UInt16, crc: UInt32, compressed: UInt64, uncompressed: UInt64,
                              headerOffset: UInt64, central: UInt64, centralBytes: UInt64) throws(ZipError) -> ZipEntry {
        let limit = centralDirectoryRange.lowerBound
        guard headerOffset < limit, limit - headerOffset >= 30 else {
            throw ZipError(offset: central, reason: .corrupt("member \(name): local header offset \(headerOffset) outside the archive"))
        }
        let header = try read(at: headerOffset, count: 30)
        guard le32(header, 0) == Self.localSignature else {
            throw ZipError(offset: headerOffset, reason: .corrupt("member \(name): bad local header signature"))
        }
        guard le16(header, 8) == method else {
            throw ZipError(offset: headerOffset, reason: .corrupt("member \(name): local header and central directory disagree on the method"))
        }
        let nameLength = UInt64(le16(header, 26)), extraLength = UInt64(le16(header, 28))
        let dataOffset = headerOffset + 30 + nameLength + extraLength
        let trailer: UInt64
        if flags & 8 != 0 {
            // A data descriptor follows: optional signature, crc, and sizes (8-byte for zip64).
            let wide = compressed >= 0xFFFF_FFFF || uncompressed >= 0xFFFF_FFFF
            let probe = try read(at: min(dataOffset &+ compressed, limit), count: 4, allowShort: true)
            let signed = probe.count == 4 && le32(probe, 0) == Self.descriptorSignature
            trailer = (signed ? 4 : 0) + 4 + (wide ? 16 : 8)
        } else {
            trailer = 0
        }
        let (end, overflow) = dataOffset.addingReportingOverflow(compressed)
        guard !overflow, end <= limit, limit - end >= trailer else {
            throw ZipError(offset: headerOffset, reason: .corrupt("member \(name): \(compressed) bytes of data at offset \(dataOffset) run past the central directory"))
        }
        if method == ZipEntry.stored, compressed != uncompressed {
            throw ZipError(offset: central, reason: .corrupt("member \(name): stored but sizes differ (\(compressed) vs \(uncompressed))"))
        }
        return ZipEntry(name: name, method: method, flags: flags, crc32: crc, compressedSize: compressed, uncompressedSize: uncompressed,
                        headerOffset: headerOffset, dataOffset: dataOffset, trailerBytes: trailer, centralOffset: central,
                        centralBytes: centralBytes)
    }

    /// Members must not share bytes: overlapping members are how zip bombs multiply data.
    private func checkOverlaps() throws(ZipError) {
        let sorted = entries.sorted { $0.headerOffset < $1.headerOffset }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where previous.localRange.upperBound > next.headerOffset {
            throw ZipError(offset: next.headerOffset, reason: .corrupt("members \(previous.name) and \(next.name) overlap"))
        }
    }

    // MARK: bytes

    func read(at offset: UInt64, count: Int, allowShort: Bool = false) throws(ZipError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var failure: InputError?
        let got = bytes.withUnsafeMutableBytes { buffer -> Int in
            do throws(InputError) { return try source.read(at: offset, into: buffer) } catch { failure = error; return 0 }
        }
        if let failure { throw ZipError(offset: offset, reason: .input(failure)) }
        if got < count {
            guard allowShort else { throw ZipError(offset: offset &+ UInt64(got), reason: .truncated(expected: "\(count) bytes of zip structure")) }
            bytes.removeLast(count - got)
        }
        return bytes
    }
}

@inline(__always) func le16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
@inline(__always) func le32(_ bytes: [UInt8], _ at: Int) -> UInt32 { UInt32(le16(bytes, at)) | UInt32(le16(bytes, at + 2)) << 16 }
@inline(__always) func le64(_ bytes: [UInt8], _ at: Int) -> UInt64 { UInt64(le32(bytes, at)) | UInt64(le32(bytes, at + 4)) << 32 }

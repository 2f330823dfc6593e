/// One member of a zip archive, from its central-directory record, checked against its
/// local header: where its data starts and how long it is.
public struct ZipEntry: Sendable, Equatable {
    public static let stored: UInt16 = 0
    public static let deflated: UInt16 = 8

    public var name: String
    /// 0 stored, 8 deflated; others are refused when the data is read.
    public var method: UInt16
    public var flags: UInt16
    public var crc32: UInt32
    public var compressedSize: UInt64
    public var uncompressedSize: UInt64
    /// Offset of the local file header.
    public var headerOffset: UInt64
    /// Offset of the first data byte (after the local header, its name and extra field).
    public var dataOffset: UInt64
    /// Bytes after the data that belong to it: a data descriptor (flag bit 3), 0 otherwise.
    public var trailerBytes: UInt64
    /// Offset and length of its central-directory record.
    public var centralOffset: UInt64
    public var centralBytes: UInt64

    /// Local header, data and descriptor: the bytes this member occupies before the central directory.
    public var localRange: Range<UInt64> { headerOffset..<(dataOffset + compressedSize + trailerBytes) }
    public var dataRange: Range<UInt64> { dataOffset..<(dataOffset + compressedSize) }
    public var isDirectory: Bool { name.hasSuffix("/") }
}

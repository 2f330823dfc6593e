/// Containers Brine walks into, recognised by content.
public enum ArchiveKind: String, Sendable, Codable {
    case tar
    case zip

    /// Bytes needed to tell: tar's "ustar" magic sits at offset 257 of the first header.
    public static let detectLength = 512

    /// The container whose signature `prefix` (already decompressed) carries, if any.
    public static func detect(_ prefix: [UInt8]) -> ArchiveKind? {
        if prefix.count >= 4, prefix[0] == 0x50, prefix[1] == 0x4B,
           (prefix[2] == 3 && prefix[3] == 4) || (prefix[2] == 5 && prefix[3] == 6) {
            return .zip
        }
        if prefix.count >= 262, Array(prefix[257..<262]) == Array("ustar".utf8) { return .tar }
        return nil
    }
}

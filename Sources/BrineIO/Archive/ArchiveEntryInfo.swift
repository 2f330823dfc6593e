/// One member of a tar or zip archive as libarchive describes it, copied out of the C
/// entry so it outlives the next header.
public struct ArchiveEntryInfo: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case file, directory, symlink, hardlink, other
    }

    /// The name exactly as stored: it may be absolute or contain `..`; Brine never
    /// extracts, so such names are reported, not followed.
    public var path: String
    public var kind: Kind
    /// Uncompressed size, when the archive states it.
    public var size: UInt64?
    /// Permission bits (no file type).
    public var permissions: UInt32
    public var modificationTime: Int64
    public var userID: Int64
    public var groupID: Int64
    public var userName: String?
    public var groupName: String?
    /// Target of a symbolic or hard link.
    public var linkTarget: String?

    public init(
        path: String, kind: Kind, size: UInt64?, permissions: UInt32 = 0o644, modificationTime: Int64 = 0,
        userID: Int64 = 0, groupID: Int64 = 0, userName: String? = nil, groupName: String? = nil, linkTarget: String? = nil
    ) {
        self.path = path
        self.kind = kind
        self.size = size
        self.permissions = permissions
        self.modificationTime = modificationTime
        self.userID = userID
        self.groupID = groupID
        self.userName = userName
        self.groupName = groupName
        self.linkTarget = linkTarget
    }

    /// Whether extracting this name naively would land outside the extraction directory:
    /// an absolute path, a `..` component, or a link whose target escapes.
    public var escapesRoot: Bool {
        if Self.escapes(path) { return true }
        guard let linkTarget else { return false }
        if kind == .hardlink { return Self.escapes(linkTarget) }
        if linkTarget.hasPrefix("/") { return true }
        // A symlink target is relative to the link's own directory.
        let directory = path.split(separator: "/", omittingEmptySubsequences: true).dropLast().joined(separator: "/")
        return Self.escapes(directory.isEmpty ? linkTarget : directory + "/" + linkTarget)
    }

    static func escapes(_ name: String) -> Bool {
        if name.hasPrefix("/") || name.hasPrefix("\\") { return true }
        if name.count >= 2, name.dropFirst().first == ":" { return true }  // C:…
        var depth = 0
        for part in name.split(whereSeparator: { $0 == "/" || $0 == "\\" }) {
            if part == ".." {
                depth -= 1
                if depth < 0 { return true }
            } else if part != "." {
                depth += 1
            }
        }
        return false
    }
}

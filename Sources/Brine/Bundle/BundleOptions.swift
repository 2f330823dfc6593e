import BrineIO

/// Limits and settings of the bundle walker. Every limit guards against hostile archives
/// and is exposed as a command-line option.
public struct BundleOptions: Sendable {
    /// Most members (files, directories, links) counted across every nesting level.
    public var maximumMembers: Int
    /// Most bundles inside bundles (a tarball in a zip in a directory is depth 2).
    public var maximumNesting: Int
    /// Decompression guards, applied to every stream and archive member.
    public var decompression: DecompressionLimits
    /// Attribute paths kept per artifact, up to this tree depth.
    public var attributeDepth: Int
    public var inspect: InspectOptions
    public var maximumWindow: Int
    /// Keeps each artifact's whole inspect report on its member (`brine inspect` of a bundle)
    /// instead of the flattened attributes alone.
    public var keepsReports = false
    /// Called while a single artifact (not a bundle) is read: bytes of the file read and its
    /// size, for a progress bar.
    public var progress: (@Sendable (UInt64, UInt64) -> Void)?
    /// Files of a directory read at once by the walkers that support it (`brine check`).
    public var jobs = 1

    public init(maximumMembers: Int = 100_000, maximumNesting: Int = 8, decompression: DecompressionLimits = .default,
                attributeDepth: Int = 4, inspect: InspectOptions = InspectOptions(), maximumWindow: Int = 64 << 20) {
        self.maximumMembers = maximumMembers
        self.maximumNesting = maximumNesting
        self.decompression = decompression
        self.attributeDepth = attributeDepth
        self.inspect = inspect
        self.maximumWindow = maximumWindow
    }
}

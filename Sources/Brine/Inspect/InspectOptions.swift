#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Settings and hostile-input limits of the symbolic machine.
public struct InspectOptions: Sendable {
    /// Parts of one object kept by name; beyond it, scalars are counted by kind and only
    /// the largest child objects are kept. Bounds memory on containers of millions of items.
    public var keptEdgesPerNode: Int
    /// Open MARKs tolerated.
    public var maximumMarkDepth: Int
    /// Objects nested inside objects tolerated (a list in a list in …). Real pickles stay
    /// below CPython's recursion limit (1000): the pickler recurses once per level.
    public var maximumObjectDepth: Int
    /// Values on the symbolic stack tolerated.
    public var maximumStackDepth: Int
    /// Memo entries tolerated.
    public var maximumMemoEntries: Int
    /// Bytes of memoized strings' text kept for later GETs that name a part or a global
    /// (each string costs its UTF-8 plus 48). Real files need far less; a hostile one
    /// cannot grow memory past it, and a name it drops is reported as not kept.
    public var maximumMemoTextBytes = InspectOptions.defaultMaximumMemoTextBytes
    public static let defaultMaximumMemoTextBytes = 64 << 20
    /// Decode batches of plain scalars straight from the window's bytes. Off, every
    /// instruction goes through the general machine: the same answer, slower. Tests run both
    /// and compare (one semantics); `BRINE_NO_FAST_PATH=1` turns it off for a whole process.
    public var usesFastPath = InspectOptions.fastPathDefault
    /// False when the environment has `BRINE_NO_FAST_PATH=1`: the default of every fast path's switch.
    public static let fastPathDefault: Bool = {
        guard let value = getenv("BRINE_NO_FAST_PATH") else { return true }
        return String(cString: value) != "1"
    }()
    /// Pickles nested in joblib object arrays, inside each other.
    public var maximumNesting: Int
    /// Record every use of a global and padded strings (`brine check`); off for inspect.
    public var recordsReferences = false
    /// Recognise PyTorch's storage persistent ids and `torch._utils._rebuild_*` tensors.
    /// Set by the PyTorch inspector only, so plain pickles pay nothing for it.
    public var recognizesTorch = false

    public init(keptEdgesPerNode: Int = 64, maximumMarkDepth: Int = 5_000, maximumStackDepth: Int = 10_000_000,
                maximumMemoEntries: Int = 100_000_000, maximumNesting: Int = 16, maximumObjectDepth: Int = 5_000) {
        self.maximumObjectDepth = maximumObjectDepth
        self.keptEdgesPerNode = max(1, keptEdgesPerNode)
        self.maximumMarkDepth = maximumMarkDepth
        self.maximumStackDepth = maximumStackDepth
        self.maximumMemoEntries = maximumMemoEntries
        self.maximumNesting = maximumNesting
    }
}

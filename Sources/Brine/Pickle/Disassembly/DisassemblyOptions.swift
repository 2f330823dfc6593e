/// Settings of `brine dis`, named after `python -m pickletools`' options.
public struct DisassemblyOptions: Sendable {
    /// Blanks added per open MARK (pickletools' `--indentlevel`).
    public var indentLevel: Int
    /// Column hint for opcode descriptions; 0 prints none (pickletools uses 30 for `-a`).
    public var annotate: Int
    /// Open MARKs tolerated before the input is judged hostile.
    public var maximumMarkDepth: Int
    /// Memo entries tolerated before the input is judged hostile.
    public var maximumMemoEntries: Int

    public init(indentLevel: Int = 4, annotate: Int = 0, maximumMarkDepth: Int = 5_000, maximumMemoEntries: Int = 100_000_000) {
        self.indentLevel = indentLevel
        self.annotate = annotate
        self.maximumMarkDepth = maximumMarkDepth
        self.maximumMemoEntries = maximumMemoEntries
    }
}

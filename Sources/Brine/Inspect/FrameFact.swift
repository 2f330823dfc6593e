/// One FRAME of a protocol-4+ stream, as strip's rewriter sees it.
public struct FrameFact: Sendable, Equatable {
    /// Offset of the FRAME instruction; its contents follow its 9 bytes.
    public var offset: UInt64
    public var length: UInt64
    /// Memo store instructions of its pickle before the frame (not distinct entries: what a
    /// rewriter counts as it copies).
    public var memoStart: Int
    /// No memo index written out inside it (no GET, no PUT with an index), no PROTO or
    /// STOP: kept whole, it goes out byte for byte whatever the memo renumbering.
    public var plain = true

    public var end: UInt64 { offset &+ 9 &+ length }
}

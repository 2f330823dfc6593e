import BrineIO

/// Writes pickle instructions to a sink, re-framing protocol-4+ streams the way CPython's
/// `_Framer` does: instructions gather into frames of about 64 KiB, each preceded by
/// FRAME and its length; large arguments and joblib's raw array data go between frames.
///
/// Once the input shows its own frames, they are kept: a frame ends where the input's next
/// one starts, so everything away from a cut comes out byte for byte as it went in, and the
/// sink is told which bytes are copies (`copiedFrom`) so a splicing compressor can reuse
/// the input's compressed form of them.
final class FrameWriter {
    static let frameTarget = 64 * 1024
    /// CPython writes frames shorter than this without a FRAME header.
    static let frameMinimum = 4
    /// Following the input's frames, one still ends here (a hostile input's giant frame).
    static let followedFrameMaximum = 4 << 20

    private let sink: ByteSink
    private var frame: [UInt8] = []
    /// Stretches of `frame` copied from the input: offset in `frame`, input offset, length.
    private var frameSources: [(start: Int, source: UInt64, count: Int)] = []
    /// The input's FRAME whose contents the current frame continues, if any.
    private var inputFrameHeader: (offset: UInt64, length: UInt64)?
    private var followsInputFrames = false
    var framing = false {
        didSet { followsInputFrames = false }
    }

    /// The sink, when it takes input bytes by reference (`reuseInput`).
    private let reusingSink: InputReusingSink?
    /// Input bytes need not be read to be copied.
    var reusesInput: Bool { reusingSink != nil }

    init(sink: ByteSink) {
        self.sink = sink
        reusingSink = (sink as? InputReusingSink).flatMap { $0.reusesInput ? $0 : nil }
        frame.reserveCapacity(Self.frameTarget * 2)
    }

    /// Uncompressed bytes of the stream written so far (what joblib's alignment counts).
    private(set) var position: UInt64 = 0

    /// One instruction; `source` is its offset in the input when it is an unchanged copy.
    func instruction(_ bytes: UnsafeRawBufferPointer, source: UInt64? = nil) throws(OutputError) {
        position &+= UInt64(bytes.count)
        guard framing else { return try emit(bytes, source: source) }
        if bytes.count >= Self.frameTarget {
            try commitFrame()
            return try emit(bytes, source: source)
        }
        try appendToFrame(bytes, source: source)
    }

    /// The input's FRAME at `offset`: the frame being built ends here, as the input's did.
    func inputFrame(at offset: UInt64, length: UInt64) throws(OutputError) {
        guard framing else { return }
        try commitFrame()
        followsInputFrames = true
        inputFrameHeader = (offset, length)
    }

    /// Input bytes `[source, source + count)` going out unchanged, whole frames or array
    /// data, by reference; only when `reusesInput`.
    func reuseInput(from source: UInt64, count: UInt64) throws(OutputError) {
        guard let reusingSink else { preconditionFailure("reuseInput on a sink that reads every byte") }
        try commitFrame()
        position &+= count
        try reusingSink.copy(from: source, count: count)
    }

    /// Whole input frames were copied: what follows keeps following the input's frames.
    func followInputFrames() {
        if framing { followsInputFrames = true }
    }

    private func appendToFrame(_ bytes: UnsafeRawBufferPointer, source: UInt64?) throws(OutputError) {
        if let source {
            if let last = frameSources.last, last.start + last.count == frame.count, last.source + UInt64(last.count) == source {
                frameSources[frameSources.count - 1].count += bytes.count
            } else {
                frameSources.append((frame.count, source, bytes.count))
            }
        }
        frame.append(contentsOf: bytes)
        if frame.count >= (followsInputFrames ? Self.followedFrameMaximum : Self.frameTarget) { try commitFrame() }
    }

    private func emit(_ bytes: UnsafeRawBufferPointer, source: UInt64?) throws(OutputError) {
        if let source { try sink.write(bytes, copiedFrom: source) } else { try sink.write(bytes) }
    }

    /// Bytes waiting in the current frame.
    var pendingFrameBytes: Int { frame.count }

    /// Several whole instructions, each shorter than `frameTarget`, that fit the current
    /// frame: the caller splits runs so that no frame boundary falls inside them.
    func instructions(_ bytes: UnsafeRawBufferPointer, source: UInt64? = nil) throws(OutputError) {
        position &+= UInt64(bytes.count)
        guard framing else { return try emit(bytes, source: source) }
        try appendToFrame(bytes, source: source)
    }

    /// A binary memo store or load of `index`, in the smallest form that holds it,
    /// built on the stack (this runs once per renumbered instruction).
    func memoInstruction(put: Bool, index: Int64) throws(OutputError) {
        var bytes: (UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0)
        let count: Int
        if index < 256 {
            bytes.0 = put ? PickleOpcode.binput.rawValue : PickleOpcode.binget.rawValue
            bytes.1 = UInt8(truncatingIfNeeded: index)
            count = 2
        } else {
            let value = UInt32(truncatingIfNeeded: index)
            bytes = (put ? PickleOpcode.longBinput.rawValue : PickleOpcode.longBinget.rawValue,
                     UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8),
                     UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 24))
            count = 5
        }
        let result: Result<Void, OutputError> = withUnsafeBytes(of: &bytes) { raw in
            Result { () throws(OutputError) in try instruction(UnsafeRawBufferPointer(rebasing: raw[..<count])) }
        }
        try result.get()
    }

    func instruction(_ bytes: [UInt8]) throws(OutputError) {
        try withBytes(bytes) { raw throws(OutputError) in try instruction(raw) }
    }

    /// Bytes outside the instruction stream (joblib array data): never inside a frame.
    func raw(_ bytes: UnsafeRawBufferPointer, source: UInt64? = nil) throws(OutputError) {
        try commitFrame()
        position &+= UInt64(bytes.count)
        try emit(bytes, source: source)
    }

    func commitFrame() throws(OutputError) {
        defer { inputFrameHeader = nil }
        guard !frame.isEmpty else { return }
        if frame.count >= Self.frameMinimum {
            var header: [UInt8] = [PickleOpcode.frame.rawValue]
            let length = UInt64(frame.count)
            for shift in stride(from: 0, to: 64, by: 8) { header.append(UInt8(truncatingIfNeeded: length >> UInt64(shift))) }
            // The input's own header, when the frame is that input frame's contents unchanged.
            var source: UInt64?
            if let input = inputFrameHeader, input.length == length, frameSources.count == 1, frameSources[0].start == 0,
               frameSources[0].count == frame.count, frameSources[0].source == input.offset + UInt64(header.count) {
                source = input.offset
            }
            try withBytes(header) { raw throws(OutputError) in try emit(raw, source: source) }
            position &+= UInt64(header.count)
        }
        try withBytes(frame) { raw throws(OutputError) in
            var next = 0
            for stretch in frameSources {
                if stretch.start > next { try sink.write(UnsafeRawBufferPointer(rebasing: raw[next..<stretch.start])) }
                try sink.write(UnsafeRawBufferPointer(rebasing: raw[stretch.start..<(stretch.start + stretch.count)]), copiedFrom: stretch.source)
                next = stretch.start + stretch.count
            }
            if next < raw.count { try sink.write(UnsafeRawBufferPointer(rebasing: raw[next...])) }
        }
        frame.removeAll(keepingCapacity: true)
        frameSources.removeAll(keepingCapacity: true)
    }
}

import BrineIO

/// Writes pickle instructions to a sink, re-framing protocol-4+ streams the way CPython's
/// `_Framer` does: instructions gather into frames of about 64 KiB, each preceded by
/// FRAME and its length; large arguments and joblib's raw array data go between frames.
final class FrameWriter {
    static let frameTarget = 64 * 1024
    /// CPython writes frames shorter than this without a FRAME header.
    static let frameMinimum = 4

    private let sink: ByteSink
    private var frame: [UInt8] = []
    var framing = false

    init(sink: ByteSink) {
        self.sink = sink
        frame.reserveCapacity(Self.frameTarget * 2)
    }

    /// Uncompressed bytes of the stream written so far (what joblib's alignment counts).
    private(set) var position: UInt64 = 0

    func instruction(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        position &+= UInt64(bytes.count)
        guard framing else { return try sink.write(bytes) }
        if bytes.count >= Self.frameTarget {
            try commitFrame()
            return try sink.write(bytes)
        }
        frame.append(contentsOf: bytes)
        if frame.count >= Self.frameTarget { try commitFrame() }
    }

    /// Bytes waiting in the current frame.
    var pendingFrameBytes: Int { frame.count }

    /// Several whole instructions, each shorter than `frameTarget`, that fit the current
    /// frame: the caller splits runs so that no frame boundary falls inside them.
    func instructions(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        position &+= UInt64(bytes.count)
        guard framing else { return try sink.write(bytes) }
        frame.append(contentsOf: bytes)
        if frame.count >= Self.frameTarget { try commitFrame() }
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
    func raw(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        try commitFrame()
        position &+= UInt64(bytes.count)
        try sink.write(bytes)
    }

    func commitFrame() throws(OutputError) {
        guard !frame.isEmpty else { return }
        if frame.count >= Self.frameMinimum {
            var header: [UInt8] = [PickleOpcode.frame.rawValue]
            let length = UInt64(frame.count)
            for shift in stride(from: 0, to: 64, by: 8) { header.append(UInt8(truncatingIfNeeded: length >> UInt64(shift))) }
            try withBytes(header) { raw throws(OutputError) in try sink.write(raw) }
            position &+= UInt64(header.count)
        }
        try withBytes(frame) { raw throws(OutputError) in try sink.write(raw) }
        frame.removeAll(keepingCapacity: true)
    }
}

/// `Array.withUnsafeBytes` for a body with a typed error (the standard one rethrows untyped).
func withBytes<E: Error>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(E) -> Void) throws(E) {
    let result: Result<Void, E> = bytes.withUnsafeBytes { raw in
        Result { () throws(E) in try body(raw) }
    }
    try result.get()
}

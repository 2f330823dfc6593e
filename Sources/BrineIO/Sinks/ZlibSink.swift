import CZlib

/// Deflates into a zlib or gzip stream, streaming, and hands it to a downstream sink.
public final class ZlibSink: ByteSink {
    public typealias Container = ZlibSource.Container

    public let name: String
    public private(set) var bytesWritten: UInt64 = 0

    private let downstream: ByteSink
    private let codec: String
    /// Heap-allocated because zlib keeps a pointer back to its `z_stream` and checks it.
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableRawBufferPointer
    private var state = SinkState.open

    /// `level` is zlib's 0 (stored) ... 9 (smallest).
    public init(downstream: ByteSink, container: Container, level: Int32) throws(OutputError) {
        self.downstream = downstream
        name = downstream.name
        let format: CompressionFormat = container == .gzip ? .gzip : .zlib
        codec = format.rawValue
        try format.validateWriteLevel(level, path: name)
        // Started in a local so a refusal throws before `self` is complete and `deinit` runs.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // windowBits 15 is zlib's largest window; +16 asks for a gzip header and trailer.
        let windowBits: Int32 = container == .gzip ? 15 + 16 : 15
        let status = deflateInit2_(
            stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY,
            zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            throw OutputError(path: downstream.name, offset: 0, reason: .compressionFailed(codec: format.rawValue, detail: "zlib refused to start (\(status))"))
        }
        self.stream = stream
        output = .allocate(byteCount: 1 << 18, alignment: 16)
        resetOutput()
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        output.deallocate()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        try state.requireOpen(path: name, offset: bytesWritten)
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var done = 0
        while done < bytes.count {
            // avail_in is 32 bits wide.
            let chunk = min(bytes.count - done, Int(UInt32.max))
            // zlib never writes through next_in; the type is mutable only for old compilers.
            stream.pointee.next_in = UnsafeMutablePointer(mutating: (base + done).assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(chunk)
            try drive(Z_NO_FLUSH)
            done += chunk
            bytesWritten += UInt64(chunk)
        }
    }

    /// Writes the end of the stream (and gzip's CRC and length), then finishes downstream.
    public func finish() throws(OutputError) {
        if state.isFinished { return }
        try state.requireOpen(path: name, offset: bytesWritten)
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try drive(Z_FINISH)
        try emit()
        try forward { () throws(OutputError) in try downstream.finish() }
        state = .finished
    }

    /// Runs deflate until it has taken all input, or with Z_FINISH until the stream end,
    /// handing each full output buffer downstream.
    private func drive(_ flush: Int32) throws(OutputError) {
        while true {
            let status = deflate(stream, flush)
            if status == Z_STREAM_END { return }
            // Z_BUF_ERROR only means no progress was possible: all input taken, nothing to add.
            guard status == Z_OK || (status == Z_BUF_ERROR && flush == Z_NO_FLUSH) else {
                let detail = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                let error = OutputError(path: name, offset: bytesWritten, reason: .compressionFailed(codec: codec, detail: detail))
                state = .failed(error)
                throw error
            }
            if stream.pointee.avail_out == 0 {
                try emit()
            } else if flush == Z_NO_FLUSH && stream.pointee.avail_in == 0 {
                return
            }
        }
    }

    /// Passes the compressed bytes gathered so far downstream.
    private func emit() throws(OutputError) {
        let produced = output.count - Int(stream.pointee.avail_out)
        guard produced > 0 else { return }
        try forward { () throws(OutputError) in
            try downstream.write(UnsafeRawBufferPointer(rebasing: output[..<produced]))
        }
        resetOutput()
    }

    private func resetOutput() {
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(output.count)
    }

    /// Runs a downstream call; its error ends this sink too, since deflate has already
    /// consumed input whose output was lost.
    private func forward(_ call: () throws(OutputError) -> Void) throws(OutputError) {
        do {
            try call()
        } catch {
            state = .failed(error)
            throw error
        }
    }
}

import CArchive

/// Lends an upstream source's bytes to libarchive's read callback and keeps the source's
/// error, which libarchive reduces to a return code. Shared by every libarchive reader.
final class ArchiveFeeder {
    let upstream: ByteSource
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
    var failure: InputError?

    init(upstream: ByteSource) { self.upstream = upstream }
    deinit { buffer.deallocate() }

    /// Opens `handle` for reading from the upstream. The feeder must outlive the handle.
    func open(_ handle: OpaquePointer) -> Int32 {
        archive_read_open(handle, Unmanaged.passUnretained(self).toOpaque(), nil, { _, context, block in
            guard let context, let block else { return -1 }
            let feeder = Unmanaged<ArchiveFeeder>.fromOpaque(context).takeUnretainedValue()
            do throws(InputError) {
                let got = try feeder.upstream.read(into: feeder.buffer)
                block.pointee = UnsafeRawPointer(feeder.buffer.baseAddress)
                return la_ssize_t(got)
            } catch {
                feeder.failure = error
                return -1
            }
        }, nil)
    }
}

/// Hands libarchive's output to a downstream sink and keeps the sink's error. Shared by
/// every libarchive writer.
final class ArchiveDrain {
    let downstream: ByteSink
    var failure: OutputError?

    init(downstream: ByteSink) { self.downstream = downstream }

    /// Opens `handle` for writing into the downstream. The drain must outlive the handle.
    func open(_ handle: OpaquePointer) -> Int32 {
        archive_write_open2(handle, Unmanaged.passUnretained(self).toOpaque(), nil, { _, context, bytes, count in
            guard let context else { return -1 }
            let drain = Unmanaged<ArchiveDrain>.fromOpaque(context).takeUnretainedValue()
            guard count > 0 else { return 0 }
            guard let bytes else { return -1 }
            do throws(OutputError) {
                try drain.downstream.write(UnsafeRawBufferPointer(start: bytes, count: count))
                return la_ssize_t(count)
            } catch {
                drain.failure = error
                return -1
            }
        }, nil, nil)
    }

    /// Feeds `bytes` to `handle` (libarchive takes at most INT_MAX bytes a call and says how
    /// many it took); false when it refused some. `took` counts what it accepted.
    static func writeData(_ handle: OpaquePointer, _ bytes: UnsafeRawBufferPointer, took: (Int) -> Void = { _ in }) -> Bool {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return true }
        var done = 0
        while done < bytes.count {
            let accepted = archive_write_data(handle, base + done, bytes.count - done)
            guard accepted > 0 else { return false }
            done += accepted
            took(accepted)
        }
        return true
    }

    /// Finishes the downstream sink once the archive is closed, recording its failure in
    /// the writer's state.
    func finishDownstream(_ state: inout SinkState) throws(OutputError) {
        do {
            try downstream.finish()
        } catch {
            state = .failed(error)
            throw error
        }
        state = .finished
    }
}

/// Copies `source` to its end into `sink` (without finishing the sink); returns the bytes
/// copied. Throws the source's `InputError` or the sink's `OutputError`.
public func copyAll(from source: ByteSource, to sink: ByteSink) throws -> UInt64 {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
    defer { buffer.deallocate() }
    var total: UInt64 = 0
    while true {
        let got = try source.read(into: buffer)
        if got == 0 { return total }
        try sink.write(UnsafeRawBufferPointer(rebasing: buffer[..<got]))
        total &+= UInt64(got)
    }
}

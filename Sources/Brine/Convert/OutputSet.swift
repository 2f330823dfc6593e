import BrineIO

/// The files one conversion writes (shards and their index, or one file), all or nothing:
/// each goes to its own temporary file, and none is renamed into place before all are
/// complete and durable. A failure, or release before `commit()`, removes every one.
final class OutputSet {
    private var sinks: [AtomicFileSink] = []
    private var committed = false

    func create(_ path: String) throws(ConvertError) -> AtomicFileSink {
        let sink: AtomicFileSink
        do { sink = try AtomicFileSink(path: path) } catch { throw .output(error) }
        sink.commitsOnFinish = false
        sinks.append(sink)
        return sink
    }

    func write(_ bytes: [UInt8], to sink: AtomicFileSink) throws(ConvertError) {
        var failure: OutputError?
        bytes.withUnsafeBytes { buffer in
            do throws(OutputError) { try sink.write(buffer) } catch { failure = error }
        }
        if let failure { throw .output(failure) }
    }

    /// Makes every file durable, then renames each into place.
    func commit() throws(ConvertError) {
        do {
            for sink in sinks { try sink.finish() }
            for sink in sinks { try sink.commit() }
        } catch { throw .output(error) }
        committed = true
    }

    deinit {
        if !committed { for sink in sinks { sink.discard() } }
    }
}

import BrineIO

/// The outcome of replaying every pickle of an artifact.
public struct Inspection: Sendable {
    public var path: String
    public var fileBytes: UInt64
    /// Bytes of the (decompressed) pickle stream that attribution covers.
    public var streamBytes: UInt64
    public var compression: CompressionFormat?
    /// "pickle", or "joblib" when joblib's array wrappers were met.
    public var format: String
    public var highestProtocol: Int
    public var graph: ObjectGraph
    /// The object each pickle of the file builds, in order.
    public var roots: [NodeID]
    /// PROTO, FRAME and STOP bytes, and values a POP discarded.
    public var overheadBytes: UInt64
    /// Non-instruction bytes inside the stream (joblib array data, nested pickles).
    public var rawSpans: [RawSpan]
    /// The FRAMEs of protocol-4+ streams, in order.
    public var frames: [FrameFact] = []
    /// Uses of globals and padded strings, when `InspectOptions.recordsReferences` is set.
    public var references: ReferenceLog? = nil
    /// PyTorch tensors recognised in the stream (only with `InspectOptions.recognizesTorch`).
    public var torchTensors: [NodeID: TorchTensorFacts] = [:]
    /// For zlib and gzip files: where a later pass (strip's rewrite) can resume inflating
    /// instead of inflating what it skips.
    public var resumePoints: InflateIndex? = nil
    /// joblib arrays and the numpy dtypes they name (for `FloatDowncaster`).
    public var joblibArrays: [JoblibArrayFacts] = []
    public var dtypeFacts: [NodeID: DTypeFacts] = [:]
}

/// A numpy dtype object of the stream: what it is, where its argument tuple starts, and how
/// often the memo handed it out again.
public struct DTypeFacts: Sendable, Equatable {
    public var descr: String
    public var argumentsStart: UInt64?
    public var memoUses: Int
}

/// Entry point of `brine inspect`: opens a file (decompressing by content), replays every
/// pickle in it symbolically, and returns the object graph with byte attribution.
public enum Inspector {
    public static func inspect(
        path: String, options: InspectOptions = InspectOptions(), decompression: DecompressionLimits = .default,
        maximumWindow: Int = 64 << 20, recordsResumePoints: Bool = false, progress: ((UInt64, UInt64) -> Void)? = nil
    ) throws(PickleError) -> Inspection {
        let stream: ArtifactStream
        // Up to ~10 MB of snapshots, worth it only to a caller that reads the file again.
        let index = recordsResumePoints ? InflateIndex(sourceName: path) : nil
        do { stream = try ArtifactStream.open(path: path, limits: decompression, index: index) } catch { throw PickleError(error) }
        var progressOfFile: (() -> Void)?
        if let progress {
            let size = stream.fileSize
            progressOfFile = { progress(stream.filePosition, size) }
        }
        let directory = path == "-" ? nil : (path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : ".")
        var inspection = try inspect(source: stream.source, name: path, fileBytes: stream.fileSize, compression: stream.compression,
                                     options: options, maximumWindow: maximumWindow, progress: progressOfFile,
                                     sideFileDirectory: directory.map { $0.isEmpty ? "/" : $0 })
        if let index, index.isComplete { inspection.resumePoints = index }
        return inspection
    }

    /// Inspects any byte source (already decompressed), e.g. a `MemorySource` of bytes in hand.
    /// `onePickle`: read the first pickle only, as `pickle.load` does where what follows is
    /// not the caller's (an `.npy` object array's data, which `np.load` reads with one
    /// `pickle.load`: numpy under Python 2 left a newline after it).
    public static func inspect(
        source: ByteSource, name: String, fileBytes: UInt64, compression: CompressionFormat? = nil,
        options: InspectOptions = InspectOptions(), maximumWindow: Int = 64 << 20, progress: (() -> Void)? = nil,
        onePickle: Bool = false, sideFileDirectory: String? = nil
    ) throws(PickleError) -> Inspection {
        let reader = PickleReader(source: source, maximumWindow: maximumWindow)
        let machine = SymbolicMachine(reader: reader, options: options)
        machine.sideFileDirectory = sideFileDirectory
        machine.progress = progress
        var roots: [NodeID] = []
        repeat {
            roots.append(try machine.runPickle())
            if onePickle { break }
        } while try !reader.isAtEnd()
        machine.overheadBytes &+= reader.trailingWhitespace
        return inspection(of: machine, roots: roots, name: name, fileBytes: fileBytes, compression: compression)
    }

    static func inspection(of machine: SymbolicMachine, roots: [NodeID], name: String, fileBytes: UInt64,
                           compression: CompressionFormat?) -> Inspection {
        let joblib = machine.globalIndex.keys.contains(where: JoblibArrayWrapper.isWrapper)
        var tensors: [NodeID: TorchTensorFacts] = [:]
        for (node, facts) in machine.torchTensors { tensors[NodeID(index: node)] = facts }
        var dtypeFacts: [NodeID: DTypeFacts] = [:]
        for (node, dtype) in machine.dtypes {
            dtypeFacts[NodeID(index: node)] = DTypeFacts(descr: dtype.descr, argumentsStart: machine.dtypeArgumentStarts[node],
                                                         memoUses: machine.dtypeMemoUses[node] ?? 0)
        }
        var inspection = Inspection(
            path: name, fileBytes: fileBytes, streamBytes: machine.reader.offset, compression: compression,
            format: joblib ? "joblib" : "pickle", highestProtocol: machine.highestProtocol, graph: machine.graph,
            roots: roots, overheadBytes: machine.overheadBytes, rawSpans: machine.rawSpans, references: machine.recorder?.log,
            torchTensors: tensors)
        inspection.joblibArrays = machine.joblibArrays
        inspection.frames = machine.frames
        inspection.dtypeFacts = dtypeFacts
        return inspection
    }
}

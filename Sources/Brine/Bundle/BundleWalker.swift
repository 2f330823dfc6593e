import BrineIO

#if canImport(Glibc)
import Glibc
#endif

/// Walks a directory, a tar (plain or compressed) or a zip archive, recursively, and
/// identifies every member by content: archives are opened, pickles and joblib files are
/// inspected, everything else is sized. Nothing is extracted and nothing is executed.
public final class BundleWalker {
    public let options: BundleOptions
    /// Called for every artifact read (and every artifact that could not be read), in walk
    /// order; `brine check` runs its rules here. Without it a damaged artifact is only noted.
    public var visitor: ((ArtifactVisit) -> Void)?
    /// `brine dis`: artifacts are handed over as files instead of inspected (the file itself
    /// when it is on disk, else a scratch copy of its decompressed stream, removed after the
    /// call); archives are still walked into and everything else is only sized.
    public var handOver: ((_ path: String, _ diskPath: String) -> Void)?
    /// With `handOver`: only the member at this path (`model.tar.gz!word_dict.pkl`) is handed
    /// over, whatever its content (a PyTorch file as a whole); nil hands over every artifact.
    public var handOverPath: String?
    /// Whether a member was handed over.
    public private(set) var handedOver = 0
    /// Bytes of the small JSON members a Hugging Face folder is read from (`config.json`,
    /// `*.safetensors.index.json`), by member path; see `HuggingFaceFolders`.
    public internal(set) var capturedJSON: [String: [UInt8]] = [:]
    var members = 0
    /// Threads reading the files under a directory at once; needs `parallelVisitor` (and no
    /// `handOver`). Visits and the tree are the ones a one-thread walk gives.
    public var jobs = 1
    /// A visitor per file read off the walking thread: `visit` collects on that thread,
    /// `merge` hands what it collected over on the walking thread, in walk order.
    public var parallelVisitor: (@Sendable () -> ParallelVisitor)?
    /// Files read ahead by `prefetch`, by disk path, taken by the walk as it reaches them.
    var prefetched: [String: Prefetched] = [:]

    public init(options: BundleOptions = BundleOptions()) {
        self.options = options
    }

    /// Walks `path`: a directory or any file.
    /// `followsLink`: a link named on the command line is read through (a DVC-managed model
    /// is one); links found inside are never followed.
    public func walk(path: String, followsLink: Bool = false) throws(InputError) -> BundleMember {
        var info = stat()
        guard (followsLink ? stat(path, &info) : lstat(path, &info)) == 0 else { throw InputError(path: path, offset: 0, reason: .cannotOpen(errno: errno)) }
        if info.st_mode & S_IFMT == S_IFDIR { prefetch(directory: path, root: path) }
        defer { prefetched = [:] }
        return try walk(path: path, display: path, info: info, root: path, depth: 0)
    }

    func walk(path: String, display: String, info: stat, root: String, depth: Int) throws(InputError) -> BundleMember {
        try count(display)
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            return try walkDirectory(path: path, display: display, root: root, depth: depth)
        case S_IFLNK:
            // Never followed: a link may point anywhere on the machine.
            var member = BundleMember(path: display, kind: .symlink, storedBytes: 0, bytes: 0)
            member.linkTarget = readLink(path)
            if let target = member.linkTarget {
                let relative = String(path.dropFirst(min(path.count, root.count))).drop { $0 == "/" }
                let entry = ArchiveEntryInfo(path: String(relative), kind: .symlink, size: nil, linkTarget: target)
                if entry.escapesRoot { member.unsafePath = true }
            }
            return member
        case S_IFREG:
            if let done = take(path) {
                done.merge()
                capturedJSON.merge(done.json) { first, _ in first }
                return try done.member.get()
            }
            let file = try FileSource(path: path)
            let size = file.knownLength ?? 0
            return try classify(PeekableSource(file), path: display, storedBytes: size, depth: depth, diskPath: path)
        default:
            var member = BundleMember(path: display, kind: .file, storedBytes: 0, bytes: 0)
            member.note = "not a regular file; not read"
            return member
        }
    }

    private func walkDirectory(path: String, display: String, root: String, depth: Int) throws(InputError) -> BundleMember {
        guard let handle = opendir(path) else { throw InputError(path: path, offset: 0, reason: .cannotOpen(errno: errno)) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(handle)
        names.sort()
        var member = BundleMember(path: display, kind: .directory, storedBytes: 0, bytes: 0)
        for name in names {
            let childPath = path.hasSuffix("/") ? path + name : path + "/" + name
            let childDisplay = display.hasSuffix("/") ? display + name : display + "/" + name
            var info = stat()
            guard lstat(childPath, &info) == 0 else { throw InputError(path: childPath, offset: 0, reason: .cannotOpen(errno: errno)) }
            let child: BundleMember
            do {
                child = try walk(path: childPath, display: childDisplay, info: info, root: root, depth: depth)
            } catch {
                // With a visitor (brine check), a file of a directory that stops at a limit (a
                // bomb) or cannot be read is one unreadable input; its neighbours are still
                // checked. The member count is global: reaching it ends the walk.
                guard let visitor, !error.isMemberLimit else { throw error }
                visitor(.unreadable(path: childDisplay, message: error.description))
                var skipped = BundleMember(path: childDisplay, kind: .file, storedBytes: UInt64(max(0, info.st_size)), bytes: 0)
                skipped.note = "not read: \(error)"
                child = skipped
            }
            member.storedBytes &+= child.storedBytes
            member.bytes &+= child.bytes
            member.children.append(child)
        }
        return member
    }

    /// Decides what a stream is from its first bytes and reads it accordingly.
    func classify(_ source: PeekableSource, path: String, storedBytes: UInt64, depth: Int, diskPath: String? = nil) throws(InputError) -> BundleMember {
        if let handOver, let wanted = handOverPath, Self.samePath(wanted, path) {
            try hand(source, path: path, diskPath: diskPath, to: handOver)
            return BundleMember(path: path, kind: .file, storedBytes: storedBytes, bytes: storedBytes)
        }
        let magic = try source.peek(CompressionFormat.magicLength)
        // A safetensors header length can look like a codec's magic: formats read by
        // content are tried on the raw bytes first.
        if handOver == nil, let layout = try ArtifactReaders.layout(
            source, head: try source.peek(FormatSniffer.headLength), path: path, storedBytes: storedBytes, diskPath: diskPath,
            options: options, visitor: visitor, zips: false) {
            return layout
        }
        if ArtifactReaders.mayBeTorch(magic), let handOver {
            // The whole PyTorch file goes to the disassembler, which opens its zip.
            let spool = diskPath == nil ? try ArtifactReaders.spool(source, name: path) : nil
            defer { spool?.remove() }
            let file = diskPath ?? spool!.path
            if (try? TorchInspector.detect(path: file)) ?? nil != nil {
                // `model.tar.gz!model.pth!archive/data.pkl`: the record is the disassembler's to find.
                if handOverPath.map({ $0.hasPrefix(path + "!") }) ?? true { handed(path, file, handOver) }
                return BundleMember(path: path, kind: .torch, storedBytes: storedBytes, bytes: storedBytes)
            }
            if let spool {
                return try classify(PeekableSource(try FileSource(path: spool.path)), path: path, storedBytes: storedBytes, depth: depth, diskPath: spool.path)
            }
        } else if ArtifactReaders.mayBeTorch(magic) {
            // PyTorch readers need random access: a member inside an archive is spooled to a
            // scratch file first (its bytes count towards the decompression limits as read).
            if let diskPath {
                if let torch = try ArtifactReaders.torch(diskPath: diskPath, path: path, storedBytes: storedBytes, options: options, visitor: visitor) { return torch }
            } else {
                let spool = try ArtifactReaders.spool(source, name: path)
                defer { spool.remove() }
                if let torch = try ArtifactReaders.torch(diskPath: spool.path, path: path, storedBytes: storedBytes, options: options, visitor: visitor) { return torch }
                return try classify(PeekableSource(try FileSource(path: spool.path)), path: path, storedBytes: storedBytes, depth: depth, diskPath: spool.path)
            }
        }
        let stream: PeekableSource
        let codec = magic.withUnsafeBytes { CompressionFormat.detect($0) }
        if let codec {
            stream = PeekableSource(try openDecompressed(source, format: codec, limits: options.decompression))
        } else {
            stream = source
        }
        let head = try stream.peek(ArchiveKind.detectLength)
        var member: BundleMember
        if codec == nil, handOver == nil, let layout = try ArtifactReaders.layout(
            stream, head: head, path: path, storedBytes: storedBytes, diskPath: diskPath, options: options, visitor: visitor) {
            return layout
        }
        if let archive = ArchiveKind.detect(head) {
            member = try walkArchive(stream, kind: archive, path: path, storedBytes: storedBytes, depth: depth + 1)
        } else if try isPickle(stream, head: head, codec: codec, storedBytes: storedBytes) {
            if let handOver {
                if handOverPath == nil { try hand(stream, path: path, diskPath: diskPath, to: handOver) }
                member = BundleMember(path: path, kind: codec == .joblibZF ? .joblib : .pickle, storedBytes: storedBytes, bytes: storedBytes)
            } else {
                member = try inspectArtifact(stream, path: path, storedBytes: storedBytes, compression: codec)
            }
        } else {
            member = BundleMember(path: path, kind: codec == nil ? .file : .compressed, storedBytes: storedBytes, bytes: 0)
            member.format = FormatSniffer.foreign(head: head, size: codec == nil ? storedBytes : nil)?.name
                ?? (Self.looksLikeProtocol0Pickle(head) ? "text" : nil)
            if member.format == "json", codec == nil, storedBytes <= HuggingFaceFolders.maximumJSONBytes, HuggingFaceFolders.wantsJSON(path) {
                capturedJSON[path] = try stream.peek(Int(storedBytes))
            }
            member.bytes = codec == nil ? storedBytes : try drain(stream)
        }
        member.compression = codec?.rawValue
        return member
    }

    /// A stream that starts as a pickle: PROTO 2-5, or protocol 0/1 opcodes unless it is text.
    private func isPickle(_ stream: PeekableSource, head: [UInt8], codec: CompressionFormat?, storedBytes: UInt64) throws(InputError) -> Bool {
        if head.count >= 2, head[0] == 0x80, (2...5).contains(head[1]) { return true }
        guard Self.looksLikeProtocol0Pickle(head) else { return false }
        return try !isProtocol0ShapedText(stream, codec: codec, storedBytes: storedBytes)
    }

    /// A small uncompressed member that looks like a protocol 0 pickle and is text.
    private func isProtocol0ShapedText(_ stream: PeekableSource, codec: CompressionFormat?, storedBytes: UInt64) throws(InputError) -> Bool {
        guard codec == nil, storedBytes > 0, storedBytes <= UInt64(Self.protocol0TextProbeLimit) else { return false }
        let bytes = try stream.peek(Int(storedBytes))
        return bytes.count == Int(storedBytes) && Self.isTextShapedLikeProtocol0(bytes)
    }

    private func walkArchive(_ source: PeekableSource, kind: ArchiveKind, path: String, storedBytes: UInt64, depth: Int) throws(InputError) -> BundleMember {
        guard depth <= options.maximumNesting else {
            throw InputError(path: path, offset: 0, reason: .limitExceeded(
                limit: "bundle nesting limit", value: UInt64(options.maximumNesting), option: "--max-archive-depth"))
        }
        let reader = try ArchiveReader(upstream: source, limits: options.decompression)
        var member = BundleMember(path: path, kind: kind == .tar ? .tar : .zip, storedBytes: storedBytes, bytes: 0)
        while let entry = try reader.nextEntry() {
            let childPath = path + "!" + entry.path
            try count(childPath)
            var child: BundleMember
            if entry.kind == .file {
                let data = PeekableSource(NamedSource(reader.entrySource(named: childPath), name: childPath))
                child = try classify(data, path: childPath, storedBytes: entry.size ?? 0, depth: depth)
                if entry.size == nil { child.storedBytes = data.position + (try drain(data)) }
            } else {
                child = BundleMember(
                    path: childPath, kind: entry.kind == .directory ? .directory : (entry.kind == .file ? .file : .symlink),
                    storedBytes: 0, bytes: 0)
                child.linkTarget = entry.linkTarget
            }
            child.permissions = entry.permissions
            if entry.escapesRoot { child.unsafePath = true }
            member.bytes &+= child.kind == .directory ? 0 : child.bytes
            member.children.append(child)
        }
        // libarchive stops at the end-of-archive blocks; the record padding after them is
        // still part of the stream.
        let archiveBytes = source.position &+ (try drain(source))
        member.archiveBytes = archiveBytes
        if kind == .tar {
            let stored = member.children.reduce(UInt64(0)) { $0 &+ $1.storedBytes }
            member.overheadBytes = archiveBytes >= stored ? archiveBytes - stored : 0
        }
        return member
    }

    private func inspectArtifact(_ stream: PeekableSource, path: String, storedBytes: UInt64, compression: CompressionFormat?) throws(InputError) -> BundleMember {
        var member = BundleMember(path: path, kind: .pickle, storedBytes: storedBytes, bytes: 0)
        do throws(PickleError) {
            let inspection = try Inspector.inspect(
                source: stream, name: path, fileBytes: storedBytes, compression: compression,
                options: options.inspect, maximumWindow: options.maximumWindow)
            let report = ReportBuilder.build(inspection)
            // joblib when its array wrappers were met or the codec is joblib's own (ZF); a
            // bzip2-compressed plain pickle is a pickle (`compression` says the codec).
            member.kind = inspection.format == "joblib" || compression == .joblibZF ? .joblib : .pickle
            member.bytes = inspection.streamBytes
            member.attributes = AttributeSizes.flatten(report, maximumDepth: options.attributeDepth)
            if options.keepsReports { member.report = report }
            member.trainingOnly = report.trainingOnly.isEmpty ? nil : report.trainingOnly
            visitor?(.pickle(path: path, inspection: inspection))
        } catch {
            // A damaged or hostile stream stops the walk; a pickle Brine cannot follow
            // (a legacy torch file's raw storages) is still sized.
            if case .input(let inputError) = error.reason { throw inputError }
            member.note = "not inspected: \(error)"
            visitor?(.unreadable(path: path, diskPath: nil, error: error))
        }
        // Anything after the pickles still counts.
        member.bytes = max(member.bytes, stream.position) &+ (try drain(stream))
        return member
    }

    /// Hands `source` over as a file: `diskPath` itself, or a scratch copy.
    private func hand(_ source: PeekableSource, path: String, diskPath: String?, to handOver: (String, String) -> Void) throws(InputError) {
        if let diskPath { return handed(path, diskPath, handOver) }
        let spool = try ArtifactReaders.spool(source, name: path)
        defer { spool.remove() }
        handed(path, spool.path, handOver)
    }

    private func handed(_ path: String, _ file: String, _ handOver: (String, String) -> Void) {
        handedOver += 1
        handOver(path, file)
    }

    /// Member paths compared as a tar stores them or as typed: `model.tar.gz!./a.pkl` is
    /// `model.tar.gz!a.pkl`.
    static func samePath(_ a: String, _ b: String) -> Bool {
        func normal(_ text: String) -> String {
            var text = text
            while text.hasPrefix("./") { text.removeFirst(2) }
            for separator in ["!", "/"] {
                while text.contains(separator + "./") { text = text.replacing(separator + "./", with: separator) }
            }
            return text
        }
        return a == b || normal(a) == normal(b)
    }

    /// Protocol 0 and 1 pickles have no PROTO header: a GLOBAL (`cos\nsystem\n`) or a MARK,
    /// `]`, `}` or `)` followed by an opcode. Text and code members start otherwise (`import`
    /// lines, `#`, `{`, names), so they are not mistaken for pickles.
    static func looksLikeProtocol0Pickle(_ head: [UInt8]) -> Bool {
        guard let first = head.first else { return false }
        func identifierLine(from start: Int) -> Int? {
            var index = start
            while index < head.count, head[index] != 0x0A {
                let byte = head[index]
                let ok = (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F || byte == 0x2E
                guard ok else { return nil }
                index += 1
            }
            return index < head.count && index > start ? index + 1 : nil
        }
        switch first {
        case UInt8(ascii: "c"):
            guard let next = identifierLine(from: 1) else { return false }
            return identifierLine(from: next) != nil
        case UInt8(ascii: "("), UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: ")"):
            guard head.count >= 2 else { return first != UInt8(ascii: "(") }
            return Array("(]})cSVIJKLMNFGUTXXabdeghijlopqrstu.0123".utf8).contains(head[1]) || head[1] == 0x80
        default:
            return false
        }
    }

    /// Members this small that only look like a protocol 0 pickle are read whole to decide.
    static let protocol0TextProbeLimit = 64 << 10

    /// Text that starts like a protocol 0 pickle and is none: reading it meets a sequence no
    /// pickle can be before any STOP, and nothing before that calls or builds an object (REDUCE, BUILD, INST,
    /// OBJ, NEWOBJ, NEWOBJ_EX). All `pickle.load` could do with it is import modules, look up
    /// names and raise, so it holds no payload: numpy's `lapack_lite/wrapped_routines`
    /// (`ccopy\ncgeev\n…`, a GLOBAL after a GLOBAL until a `d` with no MARK). A file that
    /// reads whole, or calls anything before it fails, stays a pickle (and fails as one).
    static func isTextShapedLikeProtocol0(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty, bytes[0] != 0x80 else { return false }
        let failure: UInt64
        do throws(PickleError) {
            _ = try Inspector.inspect(source: MemorySource(bytes), name: "", fileBytes: UInt64(bytes.count))
            return false
        } catch {
            // Only a sequence no pickle can be (a stack or MARK misuse, a byte or argument no
            // opcode takes): a pickle cut short or past a limit is still a pickle.
            switch error.reason {
            case .malformed, .unknownOpcode, .invalidArgument: failure = error.offset
            case .truncated, .lengthBeyondInput, .limitExceeded, .input: return false
            }
        }
        let reader = PickleReader(source: MemorySource(bytes), maximumWindow: protocol0TextProbeLimit)
        let calls: Set<PickleOpcode> = [.reduce, .build, .inst, .obj, .newobj, .newobjEx, .stop]
        while let instruction = try? reader.readInstruction(), instruction.offset <= failure {
            if calls.contains(instruction.opcode) { return false }
        }
        return true
    }

    /// Reads a stream to its end (counting towards the decompression limits) and returns
    /// how many bytes were left.
    private func drain(_ source: ByteSource) throws(InputError) -> UInt64 {
        try source.skipByReading(.max)
    }

    static let memberLimitOption = "--max-members"

    private func count(_ path: String) throws(InputError) {
        members += 1
        guard members <= options.maximumMembers else {
            throw InputError(path: path, offset: 0, reason: .limitExceeded(
                limit: "bundle member limit", value: UInt64(options.maximumMembers), option: Self.memberLimitOption))
        }
    }

    private func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let count = readlink(path, &buffer, 4096)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension InputError {
    /// The walker's member count was reached (as opposed to a limit of one stream).
    var isMemberLimit: Bool {
        if case .limitExceeded(_, _, let option) = reason { return option == BundleWalker.memberLimitOption }
        return false
    }
}

import BrineIO

/// Why `brine dis` stopped: a line naming the input and where (exit 2), or a `--member`
/// that names nothing in the file (exit 64, with the members it does hold).
public enum DisassemblyError: Error, Sendable, CustomStringConvertible {
    case unreadable(String)
    case unknownMember(String)

    public var description: String {
        switch self {
        case .unreadable(let message), .unknownMember(let message): return message
        }
    }
}

/// `brine dis` of any artifact: a pickle as pickletools prints it; a joblib stream with a
/// line for each array's raw data (found by a symbolic replay first, so the disassembly goes
/// on past it); a PyTorch zip's `data.pkl` (TorchScript: and `constants.pkl`), each after a
/// `==> FILE!MEMBER <==` header; a legacy torch file's pickles, then a line per storage.
public struct ArtifactDisassembler {
    public var options: DisassemblyOptions
    public var inspect: InspectOptions
    public var decompression: DecompressionLimits
    public var zip: ZipLimits
    public var maximumWindow: Int

    public init(options: DisassemblyOptions, inspect: InspectOptions = InspectOptions(), decompression: DecompressionLimits = .default,
                zip: ZipLimits = .default, maximumWindow: Int = 64 << 20) {
        self.options = options
        self.inspect = inspect
        self.decompression = decompression
        self.zip = zip
        self.maximumWindow = maximumWindow
    }

    /// Disassembles the file at `path`, calling it `name` in headers and errors (a bundle
    /// member's scratch copy is named after the member). `member` picks one record of a
    /// PyTorch zip.
    public func disassemble(path: String, name: String, member: String? = nil,
                            to output: inout some TextOutputStream) throws(DisassemblyError) {
        let torch: TorchFormat?
        do {
            try FormatSniffer.refuseForeign(path: path)
            torch = try TorchInspector.detect(path: path)
        } catch {
            throw unreadable(error, path: path, name: name)
        }
        if let member {
            guard torch == .zip || torch == .torchscript else {
                throw .unknownMember("\(name): --member \(member): not a bundle or a PyTorch zip; give the file alone")
            }
            return try disassembleZip(path: path, name: name, only: member, to: &output)
        }
        switch torch {
        case .zip, .torchscript: try disassembleZip(path: path, name: name, only: nil, to: &output)
        case .legacy: try disassembleLegacy(path: path, name: name, to: &output)
        case nil: try disassemblePickles(path: path, name: name, to: &output)
        }
    }

    /// A pickle or joblib file (compressed or not), every pickle in it.
    func disassemblePickles(path: String, name: String, to output: inout some TextOutputStream) throws(DisassemblyError) {
        let arrays = joblibArrays(path: path)
        do {
            let stream = try ArtifactStream.open(path: path, limits: decompression)
            let reader = PickleReader(source: stream.source, maximumWindow: maximumWindow)
            try Disassembler(options: options).disassembleAll(reader, arrays: arrays, to: &output)
        } catch let error as InputError {
            throw unreadable(error, path: path, name: name)
        } catch let error as PickleError {
            throw unreadable(error, path: path, name: name)
        } catch {
            throw .unreadable("\(name): \(error)")
        }
    }

    /// Where joblib wrote arrays into the stream: empty for a plain pickle (told by a first
    /// pass that stops at joblib's wrapper class); for a joblib file, the arrays a symbolic
    /// replay met, up to where it stopped (the disassembly then stops there too, with its
    /// own error).
    func joblibArrays(path: String) -> [JoblibArrayLayout] {
        guard let stream = try? ArtifactStream.open(path: path, limits: decompression) else { return [] }
        let scan = PickleReader(source: stream.source, maximumWindow: maximumWindow)
        guard Self.namesArrayWrapper(scan) else { return [] }
        guard let replay = try? ArtifactStream.open(path: path, limits: decompression) else { return [] }
        let reader = PickleReader(source: replay.source, maximumWindow: maximumWindow)
        let machine = SymbolicMachine(reader: reader, options: inspect)
        do {
            repeat { _ = try machine.runPickle() } while try !reader.isAtEnd()
        } catch {
            // What was found before the damage still lets the disassembly reach it.
        }
        return machine.arrayLayouts
    }

    /// Reads opcodes until joblib's `NumpyArrayWrapper` is named (it is named before the
    /// first array's raw data) or the input ends or stops parsing.
    static func namesArrayWrapper(_ reader: PickleReader) -> Bool {
        let wrapper = Array(JoblibArrayWrapper.inlineClass.utf8)
        do {
            while let instruction = try reader.readInstruction() {
                switch instruction.argument {
                case .linePair(_, let name) where name.count == UInt64(wrapper.count), .data(let name) where name.count == UInt64(wrapper.count):
                    if try reader.withArgumentBytes(name, { $0.elementsEqual(wrapper) }) { return true }
                default:
                    continue
                }
            }
        } catch {
            return false
        }
        return false
    }

    /// The pickles of a PyTorch zip: `data.pkl`, then (TorchScript) `constants.pkl` and any
    /// other `.pkl` record; or the one record `only` names.
    func disassembleZip(path: String, name: String, only: String?, to output: inout some TextOutputStream) throws(DisassemblyError) {
        let archive: ZipArchive
        do { archive = try ZipArchive(source: try FileSource(path: path), limits: zip) } catch let error as InputError {
            throw unreadable(error, path: path, name: name)
        } catch let error as ZipError {
            throw .unreadable("\(name): \(error)")
        } catch {
            throw .unreadable("\(name): \(error)")
        }
        let records: [ZipEntry]
        if let only {
            guard let entry = archive.entry(named: only) else {
                let names = archive.entries.map(\.name).joined(separator: ", ")
                throw .unknownMember("\(name): no member \(only); it holds \(names)")
            }
            records = [entry]
        } else {
            guard let main = TorchInspector.mainPickle(in: archive.entries) else {
                throw .unreadable("\(name): offset 0: a zip without a data.pkl record")
            }
            let rest = archive.entries.filter { $0.name.hasSuffix(".pkl") && $0.name != main.name }
            let constants = rest.filter { $0.name.hasSuffix("/constants.pkl") || $0.name == "constants.pkl" }
            records = [main] + constants + rest.filter { !constants.contains($0) }
        }
        let prefix = String(TorchInspector.mainPickle(in: archive.entries)?.name.dropLast("data.pkl".count) ?? "")
        for entry in records {
            let title = "\(name)!\(entry.name)"
            output.write("==> \(title) <==\n")
            do {
                let source = try archive.open(entry, limits: decompression)
                let peek = PeekableSource(source)
                let head = try peek.peek(FormatSniffer.headLength)
                if !prefix.isEmpty, entry.name.hasPrefix(prefix + "data/") {
                    throw DisassemblyError.unreadable("\(title): a tensor storage record (\(entry.uncompressedSize) bytes of raw data), not a pickle")
                }
                if let foreign = FormatSniffer.foreign(head: head, size: entry.uncompressedSize) {
                    throw DisassemblyError.unreadable("\(title): \(foreign.description)")
                }
                let reader = PickleReader(source: peek, maximumWindow: maximumWindow)
                try Disassembler(options: options).disassembleAll(reader, to: &output)
            } catch let error as DisassemblyError {
                throw error
            } catch let error as PickleError {
                throw .unreadable("\(title): \(error)")
            } catch let error as InputError {
                throw .unreadable("\(title): \(error.descriptionWithoutPath)")
            } catch {
                throw .unreadable("\(title): \(error)")
            }
        }
    }

    /// Five pickles (magic number, protocol, sys info, the object, storage keys), then one
    /// line per storage: its 8-byte element count and raw bytes, not opcodes.
    func disassembleLegacy(path: String, name: String, to output: inout some TextOutputStream) throws(DisassemblyError) {
        // The storages' places come from the inspection; without it the rest is one line.
        let inspection = try? TorchInspector.inspect(path: path, options: inspect, zipLimits: zip, decompression: decompression,
                                                     maximumWindow: maximumWindow)
        let size: UInt64
        do {
            let file = try FileSource(path: path)
            size = file.knownLength ?? 0
            let reader = PickleReader(source: file, maximumWindow: maximumWindow)
            let disassembler = Disassembler(options: options)
            for _ in 0..<5 { try disassembler.disassembleOne(reader, to: &output) }
            var offset = reader.offset
            let storages = (inspection?.legacyStorages ?? [:]).sorted { $0.value.lowerBound < $1.value.lowerBound }
            for (key, range) in storages where range.lowerBound == offset {
                output.write(Disassembler.offsetColumn(offset)
                             + "<storage data: key \(key), 8-byte element count, then \(range.count - 8) bytes>\n")
                offset = range.upperBound
            }
            if offset < size {
                output.write(Disassembler.offsetColumn(offset) + "<\(size - offset) bytes of raw storage data>\n")
            }
        } catch let error as InputError {
            throw unreadable(error, path: path, name: name)
        } catch let error as PickleError {
            throw unreadable(error, path: path, name: name)
        } catch {
            throw .unreadable("\(name): \(error)")
        }
    }

    private func unreadable(_ error: InputError, path: String, name: String) -> DisassemblyError {
        error.path == path ? .unreadable("\(name): \(error.descriptionWithoutPath)") : .unreadable(error.description)
    }

    private func unreadable(_ error: PickleError, path: String, name: String) -> DisassemblyError {
        if case .input(let input) = error.reason { return unreadable(input, path: path, name: name) }
        return .unreadable("\(name): \(error)")
    }
}

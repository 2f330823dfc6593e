import BrineIO

/// The pre-1.6 `torch.save` layout (torch/serialization.py, `_legacy_save`): five pickles —
/// the magic number, the protocol version (1001), a sys-info dict, the object itself, the
/// sorted list of storage keys — then each storage in that order as an 8-byte element count
/// (little-endian on the machines that write it) followed by its raw bytes.
struct LegacyTorchReader {
    let file: FileSource
    let path: String
    let options: InspectOptions
    let maximumWindow: Int

    func read() throws(TorchError) -> TorchInspection {
        let reader = PickleReader(source: file, maximumWindow: maximumWindow)
        let machine = SymbolicMachine(reader: reader, options: options)
        let main: NodeID
        let mainStart: UInt64
        do {
            for _ in 0..<3 { _ = try machine.runPickle() }
            mainStart = reader.offset
            main = try machine.runPickle()
        } catch {
            throw .pickle(record: nil, error)
        }
        let mainEnd = reader.offset
        let keysOffset = reader.offset
        let keys = try storageKeys(reader)
        let rawStart = reader.offset

        var pickle = Inspector.inspection(of: machine, roots: [main], name: path, fileBytes: file.knownLength ?? 0, compression: nil)
        // The tree covers the main pickle only; PROTO/STOP and the like inside it are pickle overhead.
        pickle.streamBytes = mainEnd - mainStart
        pickle.overheadBytes = pickle.streamBytes - machine.graph[main].totalBytes

        // Element sizes come from the storage types the main pickle names for each key.
        var types: [String: TorchStorageID] = [:]
        for storage in machine.torchStorageIDs.values { types[storage.key] = storage }
        var ranges: [String: Range<UInt64>] = [:]
        var storageBytes: [String: UInt64] = [:]
        var offset = rawStart
        let size = file.knownLength ?? 0
        for key in keys {
            guard let storage = types[key] else { throw .layout(offset: offset, "storage \(key) is listed but no object refers to it") }
            guard size >= 8, offset <= size - 8 else { throw .layout(offset: offset, "storage \(key): file ends before its 8-byte element count") }
            let count = try readCount(at: offset)
            let (bytes, overflow) = count.multipliedReportingOverflow(by: TorchDType.itemSize(storage.dtype))
            guard !overflow, bytes <= size - offset - 8 else {
                throw .layout(offset: offset, "storage \(key): \(count) elements of \(storage.dtype) run past the end of the file")
            }
            guard bytes == storage.bytes else {
                throw .layout(offset: offset, "storage \(key): \(bytes) bytes written but its persistent id says \(storage.bytes)")
            }
            ranges[key] = offset..<(offset + 8 + bytes)
            storageBytes[key] = bytes
            offset += 8 + bytes
        }
        guard offset == size else { throw .layout(offset: offset, "\(size - offset) bytes after the last storage") }

        let (tensors, facts) = try TorchTensorList.collect(pickle, storageBytes: storageBytes)
        var overhead = TorchOverhead()
        overhead.pickle = pickle.overheadBytes
        overhead.legacyHeaders = mainStart + (rawStart - keysOffset) + 8 * UInt64(keys.count)
        let charged = Set(tensors.filter { $0.chargedBytes > 0 }.map(\.storageKey))
        overhead.unreferencedStorages = storageBytes.filter { !charged.contains($0.key) }.values.reduce(0, &+)
        return TorchInspection(
            format: .legacy, path: path, fileBytes: size, pickle: pickle, prefix: nil, tensors: tensors, records: [],
            metadata: [:], overhead: overhead, storageBytes: storageBytes, tensorNodes: facts, entries: [], legacyStorages: ranges,
            legacyKeysOffset: keysOffset, legacyMainPickleRange: mainStart..<mainEnd)
    }

    /// The fifth pickle: a list of str keys (protocol 0 builds it with MARK LIST). Read instruction by instruction; it holds
    /// nothing but the list, MARK, the strings and memo stores. Python 2 pickles its str keys as SHORT_BINSTRING or
    /// BINSTRING, which `torch.load` decodes as UTF-8 (its default `encoding`).
    private func storageKeys(_ reader: PickleReader) throws(TorchError) -> [String] {
        var keys: [String] = []
        do {
            while let instruction = try reader.readInstruction() {
                switch instruction.opcode {
                case .stop:
                    return keys
                case .shortBinunicode, .binunicode, .binunicode8, .unicode, .shortBinstring, .binstring:
                    guard case .data(let span) = instruction.argument else { continue }
                    keys.append(try reader.withArgumentBytes(span) { String(decoding: $0, as: UTF8.self) })
                case .proto, .frame, .emptyList, .list, .mark, .appends, .append, .binput, .longBinput, .put, .memoize:
                    continue
                default:
                    throw TorchError.layout(offset: instruction.offset, "the storage key list holds a \(instruction.opcode.name)")
                }
            }
        } catch let error as PickleError {
            throw .pickle(record: nil, error)
        } catch let error as TorchError {
            throw error
        } catch {
            preconditionFailure("unexpected \(error)")
        }
        throw .layout(offset: reader.offset, "the file ends inside the storage key list")
    }

    private func readCount(at offset: UInt64) throws(TorchError) -> UInt64 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 8)
        defer { buffer.deallocate() }
        let got: Int
        do { got = try file.read(at: offset, into: buffer) } catch { throw .pickle(record: nil, PickleError(error)) }
        guard got == 8 else { throw .layout(offset: offset, "file ends inside a storage's element count") }
        return buffer.loadUnaligned(as: UInt64.self).littleEndian
    }
}

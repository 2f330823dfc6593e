import BrineIO

extension Decompiler {
    /// The batches that make artifacts huge (`stop_words_`, `vocabulary_`) once their
    /// container is summarised: inspect's scanner (`SymbolicMachine.scan`) counts whole
    /// scalar items straight from the window's bytes, their memo entries one byte each,
    /// with no instruction, value or string made per item. Anything else ends the scan and
    /// the instruction loop goes on at the same byte. True when it consumed something.
    func scanSummarisedBatch() throws(PickleError) -> Bool {
        guard let mark = marks.last, mark.lazy, mark.index == stack.count, mark.index > 0,
              let container = stack[mark.index - 1].container, container.variable == nil, container.parts.isSummarising,
              memo.acceptsSequentialAppend else { return false }
        let group = container.kind == .dict ? 2 : 1
        // A key held from before a FRAME: its value must pair with it, not start an item.
        guard lazyItems.count % group == 0 else { return false }
        let start = reader.offset
        let memoBase = Int64(memo.count)
        let memoRoom = max(0, options.maximumMemoEntries - memo.count)
        let result: SymbolicMachine.ScanResult
        var padded: [Range<Int>] = []  // check's padded-string ranges: decompile does not ask for them
        do {
            result = try reader.window.withBufferedBytes(minimum: 1 << 16) { bytes in
                memo.withCodes { codes in
                    SymbolicMachine.scan(bytes, group: group, memoKinds: codes, memoBase: memoBase, memoRoom: memoRoom, kinds: &scanKinds,
                                          padded: &padded)
                }
            }
        } catch let error as InputError {
            throw PickleError(error)
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
        guard result.consumed > 0 else { return false }
        memo.appendSequential(scanKinds[..<result.memoEntries])
        reader.window.consume(result.consumed)
        highestProtocol = max(highestProtocol, result.highestProtocol)
        for (index, kinds) in result.kindsOfItems.enumerated() {
            let key = DecompiledValue(kind: DecompiledValue.Kind(kinds.0)).typeName
            let name = group == 2 ? key + ": " + DecompiledValue(kind: DecompiledValue.Kind(kinds.1)).typeName : key
            container.parts.hide(kind: name, count: index == 0 ? result.items : 0, start: start)
        }
        return true
    }
}

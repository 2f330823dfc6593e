@testable import Brine
import BrineIO
import Testing

@Suite struct DisassemblerTests {
    /// `pickle.dumps({'k': x, 'k2': x}, 1)` with `x = [1, 'a', (2.5, None)]`.
    let protocol1: [UInt8] = Array("}q\u{0}(X\u{1}\u{0}\u{0}\u{0}kq\u{1}]q\u{2}(K\u{1}X\u{1}\u{0}\u{0}\u{0}aq\u{3}(G@\u{4}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}Ntq\u{4}eX\u{2}\u{0}\u{0}\u{0}k2q\u{5}h\u{2}u.".utf8)

    @Test func matchesPickletoolsWithMarksAndMemo() throws {
        let result = disassemble(protocol1, chunkLimit: 3)
        #expect(result.error == nil)
        #expect(result.text == (try Repository.golden("dict_p1.dis")))
    }

    @Test func annotatesLikePickletools() throws {
        let bytes: [UInt8] = [0x80, 0x04, 0x95, 0x26, 0, 0, 0, 0, 0, 0, 0, 0x7D, 0x94, 0x28, 0x8C, 0x01, 0x6B, 0x94, 0x5D, 0x94, 0x28,
                              0x4B, 0x01, 0x8C, 0x01, 0x61, 0x94, 0x47, 0x40, 0x04, 0, 0, 0, 0, 0, 0, 0x4E, 0x86, 0x94, 0x65,
                              0x8C, 0x02, 0x6B, 0x32, 0x94, 0x68, 0x02, 0x75, 0x2E]
        let result = disassemble(bytes, options: DisassemblyOptions(annotate: 30))
        #expect(result.error == nil)
        #expect(result.text == (try Repository.golden("dict_p4_annotated.dis")))
    }

    @Test func concatenatedPicklesFollowEachOther() {
        let result = disassemble([0x4E, 0x2E, 0x80, 0x02, 0x88, 0x2E])
        #expect(result.error == nil)
        #expect(result.text == """
                0: N    NONE
                1: .    STOP
            highest protocol among opcodes = 0
                2: \\x80 PROTO      2
                4: \\x88 NEWTRUE
                5: .    STOP
            highest protocol among opcodes = 2

            """)
    }

    @Test func malformedStructureIsReportedAfterItsLine() {
        // GET of a memo key never stored.
        let result = disassemble([0x68, 0x05, 0x2E])
        #expect(result.text == "    0: h    BINGET     5\n")
        #expect(result.error == PickleError(offset: 0, opcode: .binget, reason: .malformed("memo key 5 has never been stored into")))
        // APPENDS without a MARK.
        let noMark = disassemble([0x5D, 0x65, 0x2E])
        #expect(noMark.error?.reason == .malformed("no MARK exists on stack"))
        // Leftover object at STOP.
        let leftover = disassemble([0x4E, 0x4E, 0x2E])
        #expect(leftover.error?.reason == .malformed("stack not empty after STOP"))
        // A MARK where TUPLE1 needs an object.
        let markInTheWay = disassemble([0x4E, 0x28, 0x85, 0x2E])
        #expect(markInTheWay.error?.opcode == .tuple1)
    }

    @Test func nestingBeyondTheLimitIsRefused() {
        let bomb = [UInt8](repeating: 0x28, count: 100) + [0x2E]
        let result = disassemble(bomb, options: DisassemblyOptions(maximumMarkDepth: 50))
        guard case .limitExceeded(_, let value, let option)? = result.error?.reason else {
            Issue.record("expected a limit error, got \(String(describing: result.error))")
            return
        }
        #expect(value == 50)
        #expect(option == "--max-depth")
    }

    /// Cutting a fixture anywhere must end in a PickleError, never a crash or a hang.
    /// The reader is driven directly: formatting reprs would only slow this down, and the
    /// conformance suite runs `brine dis` itself on cut files.
    @Test func everyTruncationOfEveryFixtureFailsCleanly() throws {
        let fixtures = Repository.fixtures(in: "pickle", extensions: ["pkl"])
        #expect(fixtures.count > 10)
        for path in fixtures {
            let bytes = try readFile(path)
            #expect(disassemble(bytes).error == nil, "\(path) does not disassemble")
            let boundaries = try pickleBoundaries(bytes)
            for cut in truncationOffsets(bytes.count) where !boundaries.contains(cut) {
                let reader = PickleReader(window: ByteWindow(source: MemorySource(Array(bytes[..<cut])), initialCapacity: 4096))
                var last: PickleOpcode?
                do {
                    while let instruction = try reader.readInstruction() { last = instruction.opcode }
                    // Every opcode decoded: the cut fell between two instructions, so the
                    // pickle lacks its STOP, which the disassembler reports as truncation.
                    #expect(last != .stop, "\(path) cut at \(cut) looks complete")
                } catch {
                    // The reader refused the cut argument: the outcome this test wants.
                }
            }
        }
    }

    /// Offsets just after each STOP: cutting there leaves whole pickles.
    func pickleBoundaries(_ bytes: [UInt8]) throws -> Set<Int> {
        let reader = PickleReader(source: MemorySource(bytes))
        var ends: Set<Int> = []
        while let instruction = try reader.readInstruction() {
            if instruction.opcode == .stop { ends.insert(Int(instruction.offset) + 1) }
        }
        return ends
    }

    /// Every offset of a small file; for larger ones the first 256 and 1024 spread evenly,
    /// since each cut re-parses the prefix (quadratic in the file size).
    func truncationOffsets(_ count: Int) -> [Int] {
        guard count > 8192 else { return Array(0..<count) }
        let spread = (0..<1024).map { $0 * count / 1024 }
        return Array(Set(Array(0..<256) + spread)).sorted()
    }
}

@Suite struct TruncatedDisassemblyTests {
    @Test func cutBetweenInstructionsIsReportedAsMissingStop() {
        let result = disassemble([0x80, 0x02, 0x4E])
        #expect(result.error?.reason == .truncated(expected: "an opcode (the pickle has no STOP)"))
        #expect(result.error?.offset == 3)
    }
}

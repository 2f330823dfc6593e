import Foundation
import Testing
@testable import Brine
import BrineIO

/// Regressions for what fuzzing and the malformed corpus found (docs/fuzzing.md).
@Suite struct HostileInputTests {
    /// Found by FuzzPickle: LONG_BINPUT 2³¹−2 made the memo allocate 2 GB up to that index
    /// (and spend a minute filling it). It now costs one entry, and GET still finds it.
    @Test func hugeMemoIndexCostsOneEntry() throws {
        // PROTO 4, EMPTY_LIST, LONG_BINPUT 0x7FFFFFFE, LONG_BINGET 0x7FFFFFFE, APPEND, STOP
        let bytes: [UInt8] = [0x80, 0x04, 0x5D, 0x72, 0xFE, 0xFF, 0xFF, 0x7F, 0x6A, 0xFE, 0xFF, 0xFF, 0x7F, 0x61, 0x2E]
        let inspection = try Inspector.inspect(source: MemorySource(bytes), name: "memo", fileBytes: UInt64(bytes.count))
        let root = inspection.graph[inspection.roots[0]]
        #expect(root.kind == .list)
        #expect(root.itemCount == 1)
        #expect(root.edges.first?.isReference == true)
    }

    @Test func sparseAndDenseMemoEntriesDoNotCollide() {
        var memo = MemoTable()
        let storedFar = memo.store(.scalar(.str, bytes: 1, memory: 0), at: 1 << 30)
        let storedNear = memo.store(.scalar(.int, bytes: 1, memory: 0), at: 0)
        #expect(storedFar && storedNear)
        #expect(memo.count == 2)
        #expect(memo.load(1 << 30, bytes: 0, span: ByteSpan(offset: 0, count: 0))?.kind == .str)
        #expect(memo.load(5, bytes: 0, span: ByteSpan(offset: 0, count: 0)) == nil)
        #expect(!memo.acceptsSequentialAppend)
    }

    private func nestedLists(_ depth: Int) -> [UInt8] {
        [0x80, 0x04] + [UInt8](repeating: 0x5D, count: depth) + [UInt8](repeating: 0x61, count: depth - 1) + [0x2E]
    }

    /// Lists nested by the stack (no MARK) used to overflow the report's recursion: a
    /// segfault at depth 10,000 and beyond. Now the depth limit names its option.
    @Test func deepObjectNestingIsALimitNotACrash() throws {
        let path = try temporaryFile(nestedLists(1_000_000))
        let result = runBrine(["inspect", path])
        #expect(result.status == 2)
        #expect(result.errors.contains("nesting depth limit"))
        #expect(result.errors.contains("--max-depth"))
        #expect(result.errors.split(separator: "\n").count == 1)
    }

    /// Just under the ceiling, the recursive report, text and JSON all fit on the command's stack.
    @Test func nestingAtTheCeilingRenders() throws {
        let path = try temporaryFile(nestedLists(9_999))
        let json = runBrine(["inspect", "--format", "json", "--max-depth", "10000", path])
        #expect(json.status == 0)
        let text = runBrine(["inspect", "--depth", "20000", "--max-depth", "10000", path])
        #expect(text.status == 0)
        #expect(runBrine(["inspect", "--max-depth", "10001", path]).status == 64)
    }

    @Test func everyLimitOptionIsNamedInItsError() throws {
        let stack = try temporaryFile([0x80, 0x04] + [UInt8](repeating: 0x4E, count: 200) + [0x2E])
        #expect(runBrine(["inspect", "--max-stack", "100", stack]).errors.contains("raise it with --max-stack"))
        let memo = try temporaryFile([0x80, 0x04, 0x5D] + Array([[0x4E, 0x94, 0x61]].joined()) .repeated(20) + [0x2E])
        #expect(runBrine(["inspect", "--max-memo", "10", memo]).errors.contains("raise it with --max-memo"))
        #expect(runBrine(["dis", "--max-memo", "10", memo]).errors.contains("raise it with --max-memo"))
        let marks = try temporaryFile([UInt8](repeating: 0x28, count: 50) + [0x2E])
        #expect(runBrine(["dis", "--max-depth", "10", marks]).errors.contains("raise it with --max-depth"))
        #expect(runBrine(["strip", "--preset", "deploy", "--dry-run", "--max-depth", "10", marks]).errors.contains("raise it with --max-depth"))
        let line = try temporaryFile([0x56] + [UInt8](repeating: 0x61, count: 10_000) + [0x0A, 0x2E])
        #expect(runBrine(["inspect", "--max-window", "4096", line]).errors.contains("raise it with --max-window"))
    }
}

extension Array {
    fileprivate func repeated(_ count: Int) -> [Element] {
        (0..<count).flatMap { _ in self }
    }
}

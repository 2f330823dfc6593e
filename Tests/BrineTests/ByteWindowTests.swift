import BrineIO
import Testing

@Suite struct ByteWindowTests {
    let bytes: [UInt8] = Array(0..<200).map { UInt8($0) }

    @Test func readsAcrossRefillsOneByteAtATime() throws {
        let window = ByteWindow(source: MemorySource(bytes, chunkLimit: 3), initialCapacity: 16, maximumCapacity: 32)
        var seen: [UInt8] = []
        while let byte = try window.readByte() { seen.append(byte) }
        #expect(seen == bytes)
        #expect(window.offset == 200)
        #expect(try window.isAtEnd())
    }

    @Test func peekDoesNotConsume() throws {
        let window = ByteWindow(source: MemorySource(bytes, chunkLimit: 5), initialCapacity: 16)
        #expect(try window.peekByte(ahead: 10) == 10)
        #expect(window.offset == 0)
        #expect(try window.readLittleEndian(byteCount: 2) == 0x0100)
        #expect(window.offset == 2)
    }

    @Test func findsDelimiterBeyondInitialCapacity() throws {
        var data = [UInt8](repeating: 0x41, count: 100)
        data.append(0x0A)
        let window = ByteWindow(source: MemorySource(data, chunkLimit: 7), initialCapacity: 16, maximumCapacity: 256)
        #expect(try window.peekDistance(to: 0x0A, limit: 256) == 100)
        #expect(try window.peekDistance(to: 0x42, limit: 256) == nil)
    }

    @Test func refusesSpansOverTheLimit() throws {
        let window = ByteWindow(source: MemorySource(bytes), initialCapacity: 16, maximumCapacity: 64)
        #expect(throws: InputError.self) { try window.ensureContiguous(65) }
        #expect(throws: InputError.self) { try window.peekDistance(to: 0xFF, limit: 64) }
    }

    @Test func skipsPastTheWindowAndReportsTheEnd() throws {
        let window = ByteWindow(source: MemorySource(bytes, chunkLimit: 10), initialCapacity: 16)
        #expect(try window.skip(150))
        #expect(try window.readByte() == 150)
        #expect(try !window.skip(100))
    }

    @Test func retainedBytesStayAddressableUntilTheNextRefill() throws {
        let window = ByteWindow(source: MemorySource(bytes), initialCapacity: 64)
        try window.ensureContiguous(8)
        window.consume(8)
        let retained = window.withRetainedBytes(at: 2, count: 3) { Array($0) }
        #expect(retained == [2, 3, 4])
        #expect(window.withRetainedBytes(at: 190, count: 20) { Array($0) } == nil)
    }
}

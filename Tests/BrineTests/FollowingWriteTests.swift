import BrineIO
import Foundation
import Testing

@Suite struct FollowingWriteTests {
    func scratchDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("brine-follow-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func finishWithoutCommitLeavesTheTargetAloneUntilCommitOrDiscard() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let target = directory + "/out.pkl"
        let kept = try AtomicFileSink(path: target)
        kept.commitsOnFinish = false
        try kept.write(Array("hello".utf8))
        try kept.finish()
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(FileManager.default.fileExists(atPath: kept.temporaryPath))
        try kept.commit()
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "hello")

        let dropped = try AtomicFileSink(path: target)
        dropped.commitsOnFinish = false
        try dropped.write(Array("other".utf8))
        try dropped.finish()
        dropped.discard()
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "hello")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["out.pkl"])
    }

    @Test func aFollowerReadsEveryByteWhileTheWriterIsStillWriting() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sink = try AtomicFileSink(path: directory + "/out.bin", bufferSize: 1000)
        sink.commitsOnFinish = false
        let progress = WriteProgress()
        sink.progress = progress
        let expected = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let path = sink.temporaryPath
        let follower = BackgroundThread { () -> [UInt8]? in
            guard let source = try? FollowingFileSource(path: path, shownAs: "out.bin", progress: progress) else { return nil }
            var seen: [UInt8] = []
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 777, alignment: 1)
            defer { buffer.deallocate() }
            while let got = try? source.read(into: buffer), got > 0 { seen += buffer[..<got] }
            return seen
        }
        for start in stride(from: 0, to: expected.count, by: 3000) {
            try sink.write(Array(expected[start..<min(start + 3000, expected.count)]))
        }
        try sink.finish()
        #expect(follower.join() == expected)
        try sink.commit()
    }

    @Test func aFollowerStopsWhenTheWriterGivesUp() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sink = try AtomicFileSink(path: directory + "/out.bin", bufferSize: 10)
        let progress = WriteProgress()
        sink.progress = progress
        let path = sink.temporaryPath
        try sink.write(Array(repeating: 7, count: 100))
        let follower = BackgroundThread { () -> Bool in
            // Opening after the discard removed the file is a clean stop too.
            guard let source = try? FollowingFileSource(path: path, shownAs: "out.bin", progress: progress) else { return true }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
            defer { buffer.deallocate() }
            do {
                while try source.read(into: buffer) > 0 {}
                return false  // a clean end would mean it took a partial file for whole
            } catch {
                return true
            }
        }
        sink.discard()
        #expect(follower.join())
    }
}

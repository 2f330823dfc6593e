import Brine
import BrineIO
import Foundation
import Testing

@Suite struct CompressionTests {
    /// Reads a whole stream through small reads, as parsers do.
    func drain(_ source: ByteSource) throws -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 777)
        while true {
            let got = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            if got == 0 { return result }
            result += chunk[..<got]
        }
    }

    static let codecs: [(String, CompressionFormat)] = [
        ("pipeline.joblib.zlib", .zlib), ("pipeline.joblib.gz", .gzip), ("pipeline.joblib.bz2", .bzip2),
        ("pipeline.joblib.xz", .xz), ("pipeline.joblib.lzma", .lzma), ("pipeline.joblib.lz4", .lz4),
    ]

    @Test(arguments: codecs)
    func joblibCodecsDecompressToTheUncompressedFile(name: String, format: CompressionFormat) throws {
        let plain = try readFile(Repository.path("fixtures/joblib/pipeline.joblib"))
        let stream = try ArtifactStream.open(path: Repository.path("fixtures/joblib/\(name)"))
        #expect(stream.compression == format)
        #expect(try drain(stream.source) == plain)
    }

    @Test func uncompressedFilesAreNotMistakenForCompressedOnes() throws {
        for path in Repository.fixtures(in: "pickle", extensions: ["pkl"]) {
            #expect(try ArtifactStream.open(path: path).compression == nil, "\(path)")
        }
    }

    @Test(arguments: ["pipeline.joblib.gz", "pipeline.joblib.zlib", "pipeline.joblib.xz", "pipeline.joblib.bz2"])
    func damagedStreamsFailWithACodecError(name: String) throws {
        var bytes = try readFile(Repository.path("fixtures/joblib/\(name)"))
        // Flip a byte in the middle of the compressed data, then separately cut the tail.
        bytes[bytes.count / 2] ^= 0xFF
        let flipped = try temporaryFile(bytes, name: name)
        #expect(throws: InputError.self) { _ = try drain(try ArtifactStream.open(path: flipped).source) }
        let cut = try temporaryFile(Array(bytes[..<(bytes.count - 9)]), name: name)
        #expect(throws: InputError.self) { _ = try drain(try ArtifactStream.open(path: cut).source) }
    }

    @Test func decompressionBombStopsAtTheLimit() throws {
        let plain = try readFile(Repository.path("fixtures/joblib/pipeline.joblib"))
        let limits = DecompressionLimits(maximumOutputBytes: UInt64(plain.count / 2))
        let stream = try ArtifactStream.open(path: Repository.path("fixtures/joblib/pipeline.joblib.gz"), limits: limits)
        do {
            _ = try drain(stream.source)
            Issue.record("no limit error")
        } catch let error as InputError {
            #expect(error.description.contains("--max-decompressed"))
        }
    }
}

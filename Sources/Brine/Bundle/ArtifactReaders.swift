import BrineIO

#if canImport(Glibc)
import Glibc
#endif

/// The one place where a member recognised by content is handed to the reader of its
/// format: pickle and joblib streams go to `Inspector` (see `BundleWalker.classify`),
/// PyTorch files (zip, TorchScript, legacy) to `TorchInspector`.
enum ArtifactReaders {
    /// A zip signature or a pickle: possibly a PyTorch file (zip, or legacy magic number).
    static func mayBeTorch(_ head: [UInt8]) -> Bool {
        if head.count >= 4, head[0] == 0x50, head[1] == 0x4B, head[2] == 3, head[3] == 4 { return true }
        return head.count >= 14 && head[0] == 0x80 && Array(head[2..<14]) == TorchInspector.legacyMagic
    }

    /// The PyTorch file at `diskPath` inspected, or nil when it is no PyTorch file.
    static func torch(diskPath: String, path: String, storedBytes: UInt64, options: BundleOptions,
                      visitor: ((ArtifactVisit) -> Void)? = nil) throws(InputError) -> BundleMember? {
        guard let format = try? TorchInspector.detect(path: diskPath) else { return nil }
        var member = BundleMember(path: path, kind: .torch, storedBytes: storedBytes, bytes: storedBytes)
        member.compression = nil
        do {
            let inspection = try TorchInspector.inspect(
                path: diskPath, options: options.inspect, zipLimits: ZipLimits(maximumEntries: options.maximumMembers),
                decompression: options.decompression, maximumWindow: options.maximumWindow)
            var report = TorchReportBuilder.build(inspection)
            // Named after the member, not the scratch copy it was read from.
            report.file = path
            member.bytes = report.streamBytes
            member.attributes = AttributeSizes.flatten(report, maximumDepth: options.attributeDepth)
            if options.keepsReports { member.report = report }
            member.trainingOnly = report.trainingOnly.isEmpty ? nil : report.trainingOnly
            member.note = "PyTorch \(format.rawValue)"
            visitor?(.torch(path: path, inspection: inspection))
        } catch {
            member.note = "PyTorch \(format.rawValue) file, not inspected: \(error)"
            visitor?(.unreadable(path: path, diskPath: diskPath, error: error))
        }
        return member
    }

    /// A member's bytes in a scratch file of the temporary directory, named by Brine.
    final class Spool {
        let path: String
        init(path: String) { self.path = path }
        func remove() { unlink(path) }
    }

    static func spool(_ source: ByteSource, name: String) throws(InputError) -> Spool {
        var template = Array((temporaryDirectory() + "/brine-member-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw InputError(path: name, offset: 0, reason: .cannotOpen(errno: errno)) }
        let path = String(cString: template.map { $0 })
        defer { close(descriptor) }
        let spool = Spool(path: path)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        defer { buffer.deallocate() }
        do throws(InputError) {
            while true {
                let got = try source.read(into: buffer)
                if got == 0 { break }
                var written = 0
                while written < got {
                    let result = write(descriptor, buffer.baseAddress! + written, got - written)
                    guard result > 0 else { throw InputError(path: path, offset: 0, reason: .readFailed(errno: errno)) }
                    written += result
                }
            }
        } catch {
            spool.remove()
            throw error
        }
        return spool
    }

    static func temporaryDirectory() -> String {
        if let value = getenv("TMPDIR"), let text = String(validatingCString: value), !text.isEmpty { return text }
        return "/tmp"
    }
}

/// A source that reports errors under a bundle path (`model.tar.gz!model.pth`).
final class NamedSource: ByteSource {
    let upstream: ByteSource
    let name: String
    var knownLength: UInt64? { upstream.knownLength }
    var position: UInt64 { upstream.position }

    init(_ upstream: ByteSource, name: String) {
        self.upstream = upstream
        self.name = name
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int { try upstream.read(into: buffer) }
    func skip(_ count: UInt64) throws(InputError) -> UInt64 { try upstream.skip(count) }
}

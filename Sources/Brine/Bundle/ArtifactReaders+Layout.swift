import BrineIO

extension ArtifactReaders {
    /// A safetensors, npy, GGUF, ONNX or HDF5 stream (found by `head`), or an npz or Keras
    /// zip on disk, read into a member with its layout; nil for any other content. Only
    /// headers are read: the walker (or the archive's next entry) skips the data.
    static func layout(_ stream: PeekableSource, head: [UInt8], path: String, storedBytes: UInt64, diskPath: String?,
                       options: BundleOptions, visitor: ((ArtifactVisit) -> Void)?, zips: Bool = true) throws(InputError) -> BundleMember? {
        let format: String
        var zipPath: String?
        if let found = FormatReaders.format(head: head, size: storedBytes) {
            format = found
        } else if zips, let diskPath, head.withUnsafeBytes({ ZipArchive.looksLikeZip($0) }), let found = FormatReaders.zipFormat(path: diskPath) {
            format = found
            zipPath = diskPath
        } else {
            return nil
        }
        var member = BundleMember(path: path, kind: .tensors, storedBytes: storedBytes, bytes: storedBytes)
        member.format = format
        let handler: FormatReaders.PickleHandler = { (pickle, source) throws(InputError) in
            let name = pickle.member.map { path + "!" + $0 } ?? path
            var inspect = options.inspect
            inspect.recordsReferences = true
            do throws(PickleError) {
                let inspection = try Inspector.inspect(source: source, name: name, fileBytes: pickle.bytes, options: inspect, maximumWindow: options.maximumWindow,
                                                       onePickle: true)
                visitor?(.pickle(path: name, inspection: inspection))
            } catch {
                if case .input(let inputError) = error.reason { throw inputError }
                visitor?(.unreadable(path: name, diskPath: nil, error: error))
            }
        }
        do throws(InputError) {
            let layout: ArtifactLayout
            if let zipPath {
                layout = try FormatReaders.readZip(path: zipPath, format: format, pickles: handler)
            } else {
                // A file of a directory (not an archive member) has its folder for ONNX external data.
                let directory = diskPath.flatMap { disk in path.contains("!") ? nil : disk.lastIndex(of: "/").map { String(disk[..<$0]) } ?? "." }
                layout = try FormatReaders.read(NamedSource(stream, name: path), format: format, fileBytes: storedBytes, pickles: handler, directory: directory)
            }
            let report = LayoutReportBuilder.build(layout, file: path)
            member.attributes = AttributeSizes.flatten(report, maximumDepth: options.attributeDepth)
            if options.keepsReports { member.report = report }
            visitor?(.layout(path: path, layout: layout))
        } catch {
            // A hostile header is this member's problem: it is noted (and, in check, one
            // unreadable input), the walk goes on.
            if error.isMemberLimit { throw error }
            member.note = "\(format) file, not inspected: \(error.description.replacing(diskPath ?? "\u{0}", with: path))"
            visitor?(.unreadable(path: path, diskPath: diskPath, error: error))
        }
        return member
    }
}

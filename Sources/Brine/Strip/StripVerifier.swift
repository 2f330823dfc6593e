import BrineIO

/// Reads a rewritten file back and checks its structure is the original's minus the cuts:
/// the same objects, types, counts, shapes and scalar values at the same paths.
enum StripVerifier {
    /// Inspects the file at `path` on a second thread while it is being written.
    static func follow(
        _ path: String, shownAs name: String, progress: WriteProgress, options: StripOptions
    ) -> BackgroundThread<Result<Inspection, PickleError>> {
        BackgroundThread {
            do throws(PickleError) {
                let stream: ArtifactStream
                do throws(InputError) {
                    let source = try FollowingFileSource(path: path, shownAs: name, progress: progress)
                    stream = try ArtifactStream.open(file: source, fileSize: 0, limits: options.decompression)
                } catch { throw PickleError(error) }
                return .success(try Inspector.inspect(
                    source: stream.source, name: name, fileBytes: 0, compression: stream.compression,
                    options: options.inspect, maximumWindow: options.maximumWindow))
            } catch {
                return .failure(error)
            }
        }
    }

    static func verify(original: Inspection, cuts: [StripCut], setNone: Bool, rewritten read: Result<Inspection, PickleError>) throws(StripError) {
        let rewritten: Inspection
        switch read {
        case .success(let inspection): rewritten = inspection
        case .failure(let error): throw .verificationFailed("it does not parse: \(error)")
        }
        try compare(original: original, rewritten: rewritten, cuts: cuts, setNone: setNone)
    }

    /// Checks `rewritten` is `original` minus the cuts: same paths, types, counts, shapes, scalars.
    static func compare(original: Inspection, rewritten: Inspection, cuts: [StripCut], setNone: Bool) throws(StripError) {
        try compare(original: ReportBuilder.build(original).root, rewritten: ReportBuilder.build(rewritten).root, cuts: cuts, setNone: setNone)
    }

    /// The same check on report trees (PyTorch reports, whose tensors are leaves).
    static func compare(original: ReportNode, rewritten: ReportNode, cuts: [StripCut], setNone: Bool) throws(StripError) {
        let removed = Set(cuts.map(\.path))
        var expected: [String: Shape] = [:]
        collect(original, into: &expected, removed: removed, setNone: setNone, sampled: false)
        var actual: [String: Shape] = [:]
        collect(rewritten, into: &actual, removed: [], setNone: false, sampled: false)
        if let difference = firstDifference(expected, actual) { throw .verificationFailed(difference) }
    }

    /// What must survive a rewrite at one path.
    struct Shape: Equatable {
        var type: String
        var count: UInt64?
        var array: ArrayReport?
        var value: String?
        var otherCount: UInt64?
        /// Under a summarised container, which keeps only its largest parts: the choice
        /// follows byte sizes, and those change with the width of memo indices (BINPUT or
        /// LONG_BINPUT, PUT's decimal digits) once a cut renumbers the memo at protocols 0-3.
        /// Such a part may be kept on one side and folded on the other; the container's
        /// count and folded count still have to match.
        var sampled = false
    }

    private static func collect(_ node: ReportNode, into shapes: inout [String: Shape], removed: Set<String>, setNone: Bool,
                                sampled: Bool) {
        if removed.contains(node.path) {
            if setNone { shapes[node.path] = Shape(type: "NoneType", value: "None", sampled: sampled) }
            return
        }
        // A removed entry of a dict is one item fewer; set to None it still counts.
        let gone = setNone ? 0 : UInt64(node.children.filter { removed.contains($0.path) }.count)
        shapes[node.path] = Shape(type: node.type, count: node.count.map { $0 - min($0, gone) }, array: node.array,
                                  value: node.reference == true ? nil : node.value, otherCount: node.other?.count, sampled: sampled)
        let childrenSampled = sampled || node.other != nil
        for child in node.children { collect(child, into: &shapes, removed: removed, setNone: setNone, sampled: childrenSampled) }
    }

    private static func firstDifference(_ expected: [String: Shape], _ actual: [String: Shape]) -> String? {
        for path in expected.keys.sorted() {
            var wanted = expected[path]!
            guard let found = actual[path] else {
                if wanted.sampled { continue }
                return "\(path.isEmpty ? "(root)" : path) is missing"
            }
            // A memo reference in the input may be written out as the value itself.
            if wanted.value == nil { wanted.value = found.value }
            wanted.sampled = found.sampled
            if wanted != found { return "\(path.isEmpty ? "(root)" : path) changed: \(wanted) became \(found)" }
        }
        if let extra = actual.keys.sorted().first(where: { expected[$0] == nil && !actual[$0]!.sampled }) { return "\(extra) appeared" }
        return nil
    }
}

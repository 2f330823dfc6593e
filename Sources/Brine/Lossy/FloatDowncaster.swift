import BrineIO

#if canImport(Glibc)
import Glibc
#endif

/// What a float64→float32 rewrite did.
public struct DowncastResult: Sendable, Equatable {
    public var arrays: Int
    public var float64Bytes: UInt64
    /// The largest converted arrays by their inspect path, with their float64 size.
    public var largest: [(path: String, bytes: UInt64)]
    public var notes: [String]

    public static func == (a: DowncastResult, b: DowncastResult) -> Bool {
        a.arrays == b.arrays && a.float64Bytes == b.float64Bytes && a.notes == b.notes
            && a.largest.map(\.path) == b.largest.map(\.path) && a.largest.map(\.bytes) == b.largest.map(\.bytes)
    }
}

/// The lossy step of `brine repack --allow-lossy`: stores a joblib file's float64 arrays as
/// float32 (see `DowncastPlan` for which ones), streaming, in the input's codec, read back and
/// checked (every converted array now float32 with half the bytes, nothing else changed)
/// before it is moved into place.
public enum FloatDowncaster {
    /// Plans only: what `downcast` would convert in `input`.
    public static func plan(input: String, options: StripOptions) throws(StripError) -> (Inspection, DowncastPlan) {
        let inspection: Inspection
        do {
            inspection = try Inspector.inspect(path: input, options: options.inspect, decompression: options.decompression,
                                               maximumWindow: options.maximumWindow, recordsResumePoints: true)
        } catch { throw .input(error) }
        return (inspection, DowncastPlan.plan(for: inspection))
    }

    /// Writes `output`; nil when there is nothing to convert (nothing is written then).
    public static func downcast(input: String, output: String, options: StripOptions) throws(StripError) -> DowncastResult? {
        let (inspection, plan) = try plan(input: input, options: options)
        return try downcast(input: input, output: output, inspection: inspection, plan: plan, options: options)
    }

    /// The same with the inspection and plan `plan(input:options:)` already made.
    public static func downcast(input: String, output: String, inspection: Inspection, plan: DowncastPlan,
                                options: StripOptions) throws(StripError) -> DowncastResult? {
        guard !plan.isEmpty else { return nil }
        var needed: Set<Int64> = []
        _ = try Stripper.writeVerified(input, inspection, [], options, to: output, needed: &needed,
                                       downcast: plan, expected: expectedOutput(of: inspection, plan: plan))
        return DowncastResult(arrays: plan.arrayNodes.count, float64Bytes: plan.float64Bytes,
                              largest: largestArrays(inspection, plan), notes: plan.notes)
    }

    /// The input's inspection as the output must read: converted arrays float32, half the data.
    static func expectedOutput(of inspection: Inspection, plan: DowncastPlan) -> Inspection {
        var expected = inspection
        for node in plan.arrayNodes {
            guard var array = expected.graph.nodes[node.index].array else { continue }
            array.dtype = array.dtype.hasPrefix("<") ? "<f4" : "f4"
            array.dataBytes /= 2
            expected.graph.nodes[node.index].array = array
        }
        return expected
    }

    /// Converted arrays are the ones whose dtype differs between the input's report and the
    /// expected output's, path by path.
    private static func largestArrays(_ inspection: Inspection, _ plan: DowncastPlan) -> [(path: String, bytes: UInt64)] {
        var before: [String: ArrayReport] = [:]
        func collect(_ node: ReportNode, into arrays: inout [String: ArrayReport]) {
            if let array = node.array { arrays[node.path.isEmpty ? "(root)" : node.path] = array }
            for child in node.children { collect(child, into: &arrays) }
        }
        collect(ReportBuilder.build(inspection).root, into: &before)
        var after: [String: ArrayReport] = [:]
        collect(ReportBuilder.build(expectedOutput(of: inspection, plan: plan)).root, into: &after)
        let converted = before.compactMap { path, array in after[path]?.dtype != array.dtype ? (path: path, bytes: array.dataBytes) : nil }
        return Array(converted.sorted { $0.bytes > $1.bytes || ($0.bytes == $1.bytes && $0.path < $1.path) }.prefix(5))
    }
}

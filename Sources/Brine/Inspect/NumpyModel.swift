/// A numpy dtype as far as sizing needs it.
struct DTypeInfo: Sendable, Equatable {
    /// The type string numpy pickles (`f8`, `U10`, `O8`), with the byte order when known.
    var descr: String
    var itemSize: Int64?
    var hasObject: Bool
}

/// numpy's pickle forms: `_reconstruct` + state (all protocols), `_frombuffer` (protocol 5),
/// and `dtype(...)` + state. Source: numpy/core/src/multiarray/methods.c
/// (`array_reduce`, `array_reduce_ex_picklebuffer`) and descriptor.c (`arraydescr_reduce`).
enum NumpyModel {
    static func isReconstructor(_ name: String) -> Bool {
        name == "numpy.core.multiarray._reconstruct" || name == "numpy._core.multiarray._reconstruct"
    }

    static func isFromBuffer(_ name: String) -> Bool {
        name == "numpy.core.numeric._frombuffer" || name == "numpy._core.numeric._frombuffer"
    }

    /// `dtype('f8', False, True)`: the type string is the first argument.
    static func dtype(fromArguments edges: [Edge]) -> DTypeInfo {
        let text = edges.first.flatMap { unquote($0.preview) } ?? "?"
        return DTypeInfo(descr: text, itemSize: sizeFromTypeString(text), hasObject: text.hasPrefix("O"))
    }

    /// dtype state `(version, byteorder, subdescr, names, fields, elsize, alignment, flags,
    /// datetime metadata)`. The descr becomes what numpy's `dtype.str` prints: `<f8`, `|O`,
    /// `<M8[D]`.
    static func dtype(_ base: DTypeInfo?, withState edges: [Edge], graph: ObjectGraph) -> DTypeInfo {
        var info = base ?? DTypeInfo(descr: "?", itemSize: nil, hasObject: false)
        if info.descr.hasPrefix("O") { info.descr = "O" }
        if edges.count > 1, let order = unquote(edges[1].preview), ["<", ">", "|", "="].contains(order) {
            info.descr = order + info.descr
        }
        if info.descr.dropFirst().hasPrefix("M8") || info.descr.dropFirst().hasPrefix("m8"),
           edges.count > 8, let metadata = edges[8].child {
            // (metadata dict, (unit, multiple, 1, 1)) in numpy ≥ 1.7's version-4 state.
            let inner = graph[metadata].edges.last { $0.kind == .tuple }?.child ?? metadata
            let parts = graph[inner].edges
            if let unitPreview = parts.first?.preview, unitPreview.hasPrefix("b") {
                let unit = unquote(String(unitPreview.dropFirst())) ?? ""
                let multiple = parts.count > 1 ? parts[1].integer ?? 1 : 1
                info.descr += "[" + (multiple > 1 ? String(multiple) : "") + unit + "]"
            }
        }
        if edges.count > 5, let size = edges[5].integer, size > 0 { info.itemSize = size }
        if edges.count > 7, let flags = edges[7].integer, flags & 1 != 0 { info.hasObject = true }
        return info
    }

    /// `_reconstruct` state: `(version, shape, dtype, is_fortran, data)`.
    static func reconstructState(_ edges: [Edge], dtypes: [Int: DTypeInfo], graph: ObjectGraph) -> ArrayInfo? {
        guard edges.count >= 5 else { return nil }
        let shape = integers(of: edges[1], graph: graph)
        let dtype = edges[2].child.flatMap { dtypes[$0.index] }
        let objects = dtype?.hasObject ?? false
        return ArrayInfo(shape: shape, dtype: dtype.map { nativeOrder($0.descr) } ?? "?", dataBytes: dataBytes(shape: shape, dtype: dtype),
                         storage: objects ? "objects" : "pickle")
    }

    /// `ndarray.__setstate__` swaps the bytes of a big-endian array into the machine's order
    /// (numpy 1.26 and 2.x: a `>i4` array pickled at protocols 0-4 loads as `<i4`; protocol 5's
    /// `_frombuffer` keeps `>i4`). Brine reports what loading builds on the little-endian
    /// machines it is for (x86_64, arm64). Structured and other dtypes are left as written.
    static func nativeOrder(_ descr: String) -> String {
        guard descr.hasPrefix(">"), descr.count > 2, descr.dropFirst().allSatisfy({ $0.isLetter || $0.isNumber }) else { return descr }
        return "<" + descr.dropFirst()
    }

    /// `_frombuffer(buffer, dtype, shape, order)`.
    static func fromBuffer(_ edges: [Edge], dtypes: [Int: DTypeInfo], graph: ObjectGraph) -> ArrayInfo? {
        guard edges.count >= 3 else { return nil }
        let shape = integers(of: edges[2], graph: graph)
        let dtype = edges[1].child.flatMap { dtypes[$0.index] }
        return ArrayInfo(shape: shape, dtype: dtype?.descr ?? "?", dataBytes: dataBytes(shape: shape, dtype: dtype),
                         storage: edges[0].kind == .buffer ? "out-of-band buffer" : "pickle")
    }

    /// Element count × item size, or nil when either is unknown or overflows.
    static func dataBytes(shape: [Int64], dtype: DTypeInfo?) -> UInt64 {
        guard let count = elementCount(shape), let size = dtype?.itemSize, size >= 0 else { return 0 }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: UInt64(size))
        return overflow ? 0 : bytes
    }

    static func elementCount(_ shape: [Int64]) -> UInt64? {
        var count: UInt64 = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: UInt64(dimension))
            if overflow { return nil }
            count = product
        }
        return count
    }

    /// The ints of a shape tuple (a tuple node, or an empty tuple scalar for 0-d arrays).
    static func integers(of edge: Edge, graph: ObjectGraph) -> [Int64] {
        guard let child = edge.child else { return [] }
        return graph[child].edges.compactMap(\.integer)
    }

    /// `f8` → 8, `U10` → nil (its size comes from the state), `b1` → 1.
    static func sizeFromTypeString(_ text: String) -> Int64? {
        let digits = text.drop { !$0.isNumber }
        guard !digits.isEmpty, digits.allSatisfy(\.isNumber) else { return nil }
        let letter = text.first { $0.isLetter }
        if letter == "U" { return nil }
        return Int64(digits)
    }

    static func unquote(_ preview: String?) -> String? {
        guard let preview, preview.count >= 2, let first = preview.first, first == "'" || first == "\"",
              preview.last == first else { return preview }
        return String(preview.dropFirst().dropLast())
    }
}

/// Which float64 arrays of a joblib file can be stored as float32, and what to rewrite.
///
/// numpy pickles a dtype as `numpy.dtype('f8', False, True)` plus a state; the arrays joblib
/// writes name that object (the first by building it, the others through the memo), and
/// their raw data follows each wrapper. Rewriting the two-character `'f8'` argument to
/// `'f4'` keeps every instruction's length, so memo indices and frames stay as they are;
/// only the raw data halves. A dtype object is converted only when every use of it is a
/// joblib array's `dtype`: one held by anything else (an estimator's `dtype_` attribute,
/// an array inside an object array's nested pickle) would silently change meaning.
public struct DowncastPlan: Sendable, Equatable {
    /// Stream offsets of the `'f8'` string instructions to rewrite as `'f4'`, ascending.
    public var dtypePatches: [UInt64] = []
    /// Raw-span offsets of the arrays whose data is converted.
    public var arrays: Set<UInt64> = []
    /// Their nodes (to name them and to know what the verification expects).
    public var arrayNodes: [NodeID] = []
    /// float64 bytes that become float32 bytes (half of them are saved).
    public var float64Bytes: UInt64 = 0
    /// Why some float64 arrays stay as they are.
    public var notes: [String] = []

    public var isEmpty: Bool { arrays.isEmpty }
    public var savedBytes: UInt64 { float64Bytes / 2 }

    /// The plan for `inspection` (a joblib file's).
    public static func plan(for inspection: Inspection) -> DowncastPlan {
        var plan = DowncastPlan()
        let byDType = Dictionary(grouping: inspection.joblibArrays.filter { Self.isLittleEndianFloat64($0.descr) }, by: \.dtypeNode)
        for (dtypeNode, arrays) in byDType.sorted(by: { ($0.value.first?.rawOffset ?? 0) < ($1.value.first?.rawOffset ?? 0) }) {
            let bytes = arrays.reduce(UInt64(0)) { $0 &+ $1.dataBytes }
            guard let dtypeNode, let facts = inspection.dtypeFacts[dtypeNode], let start = facts.argumentsStart else {
                plan.notes.append("\(arrays.count) float64 array(s) keep their type: their dtype is not built in the usual way")
                continue
            }
            // Uses of the dtype object: the one that built it plus every memo fetch.
            let uses = 1 + facts.memoUses
            guard uses == arrays.count else {
                plan.notes.append("\(arrays.count) float64 array(s) (\(ByteFormat.human(bytes))) keep their type: "
                                  + "their numpy dtype object is also used by \(uses - arrays.count) other value(s)")
                continue
            }
            plan.dtypePatches.append(start)
            for array in arrays {
                plan.arrays.insert(array.rawOffset)
                plan.arrayNodes.append(array.node)
            }
            plan.float64Bytes &+= bytes
        }
        plan.dtypePatches.sort()
        return plan
    }

    static func isLittleEndianFloat64(_ descr: String) -> Bool {
        descr == "<f8" || descr == "f8"
    }
}

@testable import Brine
import Foundation
import Testing

/// Issue 26, inspect fidelity: divergences D1-D5, D7, D8 and D13 of the differential oracle
/// (paths, values, counts and `elements` as CPython's unpickler builds them). The files are
/// fixtures/fidelity/generate.py's (pickle.dumps at protocols 0-5, and hand-written streams
/// pickle.loads accepts); Tests/conformance/test_issue26_fidelity.py compares the same files
/// with pickle.loads in its run. The expectations here are Python's reprs of those objects.
@Suite struct Issue26FidelityTests {
    static let folder = "fixtures/fidelity/"

    static func report(_ name: String, fastPath: Bool = true) throws -> InspectReport {
        var options = InspectOptions()
        options.usesFastPath = fastPath
        return ReportBuilder.build(try Inspector.inspect(path: Repository.path(folder + name), options: options))
    }

    static func child(_ node: ReportNode, _ path: String) -> ReportNode? {
        node.children.first { $0.path == path }
    }

    static let protocols = Array(0...5)

    // One semantics: the fast paths change nothing on any of these files.
    @Test func everyFixtureGivesTheSameReportWithoutTheFastPath() throws {
        let names = Repository.fixtures(in: "fidelity", extensions: ["pkl"]).map { ($0 as NSString).lastPathComponent }
        #expect(names.count >= 80)
        for name in names {
            #expect(try Self.report(name) == Self.report(name, fastPath: false), "\(name)")
        }
    }

    // D1: every key of a summarised dict counts, kept before it was large or valued by an object.
    @Test(arguments: protocols) func summarisedDictCountsEveryKey(version: Int) throws {
        let root = try Self.report("d1_str_keys_p\(version).pkl").root
        #expect(root.count == 65)
        #expect(root.other?.elements == ["int": 65, "str": 65])
        #expect(root.other?.count == 130)
        let objects = try Self.report("d1_object_values_p\(version).pkl").root
        let other = try #require(objects.other)
        #expect(other.elements["int"] == 200)
        #expect(other.count + UInt64(objects.children.count) == 400)
    }

    // D2: keys that are not str/int print as Python's repr; True is not the string '1'.
    @Test(arguments: protocols) func keysPrintAsTheirRepr(version: Int) throws {
        let root = try Self.report("d2_keys_p\(version).pkl").root
        let paths = Set(root.children.map(\.path))
        let expected: Set = ["[None]", "[1.5]", "[(1, 2)]", "[b'k']", "[True]", "[frozenset({7})]", "[()]",
                             "[1180591620717411303424]", "[-18446744073709551616]", "[('a', (None, False))]", "[(1,)]", "[0.0]"]
        #expect(paths == expected, "\(paths.sorted())")
        #expect(Self.child(root, "[True]")?.value == "5")
    }

    // D3: lone surrogates as Python's repr spells them, in values and in paths.
    @Test(arguments: protocols) func loneSurrogatesKeepTheirCodePoints(version: Int) throws {
        let root = try Self.report("d3_surrogates_p\(version).pkl").root
        let list = try #require(Self.child(root, "['x\\ud800y']"), "\(root.children.map(\.path))")
        #expect(list.children.compactMap(\.value).sorted() == ["'\\udfff'", "'a😀\\udc80'", "'x\\ud800y'"].sorted())
    }

    // D4: long bytes get a shortened value, big ints their exact decimal.
    @Test(arguments: protocols) func longBytesAndBigIntsHaveValues(version: Int) throws {
        let root = try Self.report("d4_long_values_p\(version).pkl").root
        func value(_ index: Int) -> String? { Self.child(root, "[\(index)]")?.value }
        #expect(value(0) == "b'" + String(repeating: "y", count: 57) + "...'")
        #expect(value(1) == "b'\\x00\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\t\\n\\x0b\\x0c\\r\\x0e\\x0f\\x10\\x11\\x12\\x13\\x14\\x15\\x16\\x17\\x18\\x19\\x1a\\x1b\\x1c\\x1d\\x1e\\x1f !\"#$%&\\'()*+,-./012345678...'")
        #expect(value(2) == "b\"" + String(repeating: "'", count: 57) + "...\"")
        #expect(value(3) == "b'\\'\"" + String(repeating: "z", count: 55) + "...'")
        #expect(value(4) == "9223372036854775808")
        #expect(value(5) == "-9223372036854775809")
        #expect(value(6) == "18446744073709551616")
        // -(2**200): 61 characters, shortened.
        #expect(value(7) == "-16069380442589902755419620923411626025222029937827928353...")
        #expect(value(8) == "1" + String(repeating: "0", count: 59))
        #expect(value(9) == "1" + String(repeating: "0", count: 56) + "...")
        #expect(value(10) == "1" + String(repeating: "0", count: 56) + "...")
        #expect(value(11)?.hasSuffix("...") == true)
        #expect(value(12) == "-1")
        #expect(value(14) == "9223372036854775807")
    }

    // D5: a root scalar has a value.
    @Test(arguments: protocols) func rootScalarsHaveValues(version: Int) throws {
        #expect(try Self.report("d5_root_int_p\(version).pkl").root.value == "-1")
        #expect(try Self.report("d5_root_str_p\(version).pkl").root.value == "'root'")
        #expect(try Self.report("d5_root_big_p\(version).pkl").root.value == "1267650600228229401496703205376")
        #expect(try Self.report("d5_root_none_p\(version).pkl").root.value == "None")
    }

    // D7: an empty tuple is a container of 0 items.
    @Test(arguments: protocols) func emptyTuplesCountZero(version: Int) throws {
        let root = try Self.report("d7_empty_tuple_p\(version).pkl").root
        #expect(Self.child(root, "[0]")?.count == 0)
        let nested = try #require(Self.child(root, "[2]"))
        #expect(nested.count == 1)
        #expect(Self.child(nested, "[2][0]")?.count == 0)
        #expect(try Self.report("d7_root_empty_tuple_p\(version).pkl").root.count == 0)
    }

    // D8: a key set twice is one entry holding the last value; repeated set elements count once.
    @Test func keysSetTwiceKeepTheLastValue() throws {
        for name in ["raw_d8_setitems_twice.pkl", "raw_d8_setitem_twice.pkl"] {
            let report = try Self.report(name)
            #expect(report.root.count == 1, "\(name)")
            #expect(report.root.children.map(\.path) == ["['a']"], "\(name)")
            #expect(report.root.children.first?.value == "2", "\(name)")
            // Every byte still counted once.
            #expect(report.root.bytes + report.overheadBytes == report.streamBytes, "\(name)")
        }
        let bool = try Self.report("raw_d8_int_then_bool.pkl").root
        #expect(bool.count == 1)
        #expect(bool.children.map(\.path) == ["[1]"])
        #expect(bool.children.first?.value == "'b'")
        let object = try Self.report("raw_d8_build_twice.pkl").root
        #expect(object.children.map(\.path) == ["x"])
        #expect(object.children.first?.value == "2")
    }

    @Test func repeatedSetElementsCountOnce() throws {
        #expect(try Self.report("raw_d8_frozenset_repeat.pkl").root.count == 1)
        let set = try Self.report("raw_d8_set_repeat.pkl").root
        #expect(set.count == 3)
        #expect(set.children.compactMap(\.value).sorted() == ["'a'", "1", "None"])
        #expect(set.bytes + (try Self.report("raw_d8_set_repeat.pkl").overheadBytes) == (try Self.report("raw_d8_set_repeat.pkl").streamBytes))
        #expect(try Self.report("raw_d8_set_list_repeat.pkl").root.count == 2)
        // 1.0 == 1 in Python: {1.0} (D15).
        #expect(try Self.report("raw_d8_float_int.pkl").root.count == 1)
    }

    // D13: a shortened str keeps the quote repr chooses for the whole string.
    @Test(arguments: protocols) func shortenedStringsQuoteAsTheWholeString(version: Int) throws {
        let root = try Self.report("d13_quotes_p\(version).pkl").root
        func value(_ index: Int) -> String? { Self.child(root, "[\(index)]")?.value }
        let a = String(repeating: "a", count: 56), b = String(repeating: "b", count: 56)
        #expect(value(0) == "'\\'" + a + "...'")
        #expect(value(1) == "\"'" + b + "...\"")
        // The ' is past the part shown: still double quotes.
        #expect(value(2) == "\"" + String(repeating: "c", count: 57) + "...\"")
        #expect(value(3) == "'\"" + String(repeating: "d", count: 56) + "...'")
        #expect(value(4) == "'" + String(repeating: "e", count: 57) + "...'")
    }

    // Strip selects by the paths inspect prints.
    @Test(arguments: protocols) func stripRemovesTheKeyInspectPrints(version: Int) throws {
        let source = Repository.path(Self.folder + "d2_keys_p\(version).pkl")
        for step in ["[None]", "[True]", "[(1, 2)]", "[1.5]", "[b'k']"] {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("fidelity-\(UUID().uuidString).pkl").path
            defer { try? FileManager.default.removeItem(atPath: output) }
            let result = runBrine(["strip", "--remove", step, "-o", output, source])
            #expect(result.status == 0 || result.status == 1, "\(step): \(result.errors)")
            let stripped = ReportBuilder.build(try Inspector.inspect(path: output)).root
            #expect(!stripped.children.contains { $0.path == step }, "\(step)")
            #expect(stripped.children.count == 11, "\(step)")
        }
    }
}

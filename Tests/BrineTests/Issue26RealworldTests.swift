import Foundation
import Testing
@testable import Brine

/// Issue 26's real-world corpus: R6, a text file in numpy's sdist that starts like a protocol 0
/// pickle (numpy 1.26.4, `numpy/linalg/lapack_lite/wrapped_routines`). Before the fix `brine
/// check` of the sdist exited 2 on it. The lines below are the file's first ones.
@Suite struct Issue26RealworldTests {
    static let routineNames = Array("ccopy\ncgeev\ncgelsd\ncgemm\ncgesdd\ncgesv\ncgetrf\ncheevd\ncpotrf\ndcopy\ndgeev\ndgelsd\n".utf8)

    @Test func textShapedLikeProtocol0IsText() {
        #expect(BundleWalker.looksLikeProtocol0Pickle(Self.routineNames))
        #expect(BundleWalker.isTextShapedLikeProtocol0(Self.routineNames))
    }

    /// Fail closed: a pickle that calls something before it breaks stays a pickle (CPython has
    /// run the call by then), and so does one that reads whole.
    @Test func aBrokenPickleThatCallsStaysAPickle() {
        let truncated = Array("cos\nsystem\n(S'echo canary'\ntR".utf8)
        #expect(!BundleWalker.isTextShapedLikeProtocol0(truncated))
        let broken = Array("cos\nsystem\n(S'echo canary'\ntR0d".utf8)
        #expect(!BundleWalker.isTextShapedLikeProtocol0(broken))
        // A pickle cut short stays one (its reader says where it ends), as does one past a limit.
        #expect(!BundleWalker.isTextShapedLikeProtocol0(Array("(lp0\nI1\na".utf8)))
        let whole = Array("ccollections\nOrderedDict\n.".utf8)
        #expect(!BundleWalker.isTextShapedLikeProtocol0(whole))
    }

    @Test func aBundleWithTheTextChecksClean() throws {
        let file = try temporaryFile(Self.routineNames, name: "wrapped_routines")
        let directory = (file as NSString).deletingLastPathComponent
        let pickle = try temporaryFile(Array("(lp0\nI1\na.".utf8), name: "model.pkl")
        try FileManager.default.moveItem(atPath: pickle, toPath: directory + "/model.pkl")
        let check = runBrine(["check", directory])
        #expect(check.status == 0, "\(check.errors)")
        #expect(check.output.contains("1 file checked"), "\(check.output)")
        let inspect = runBrine(["inspect", "--format", "json", directory])
        #expect(inspect.status == 0, "\(inspect.errors)")
        // Named on the command line, it is refused as text in one line, not as a broken pickle.
        let alone = runBrine(["inspect", file])
        #expect(alone.status == 2)
        #expect(alone.errors.contains("a text file, not a pickle"), "\(alone.errors)")
        // Its hostile twin in a bundle is still unreadable: the scan says so.
        let hostile = try temporaryFile(Array("cos\nsystem\n(S'echo canary'\ntR".utf8), name: "notes.txt")
        let twin = runBrine(["check", (hostile as NSString).deletingLastPathComponent])
        #expect(twin.status == 2)
        #expect(twin.output.contains("1 unreadable"), "\(twin.output)")
    }
}

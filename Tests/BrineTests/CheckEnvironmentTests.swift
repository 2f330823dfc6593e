@testable import Brine
import Foundation
import Testing

/// What `--app-dir` and `--requirements` are read into: version specifiers, requirement
/// files of every syntax, the application's top-level names, the standard library by version.
@Suite struct CheckEnvironmentTests {
    func directory(_ files: [String: String]) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("brine-env-\(UUID().uuidString)")
        for (name, text) in files {
            let url = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return root.path
    }

    @Test func specifiersFollowPEP440() {
        let v = { PackageVersion($0)! }
        #expect(VersionSpecifier(">=1.3,<1.5").allows(v("1.4.2")))
        #expect(!VersionSpecifier(">=1.3,<1.5").allows(v("1.5.0")))
        #expect(VersionSpecifier("==1.4.*").allows(v("1.4.9")) && !VersionSpecifier("==1.4.*").allows(v("1.5")))
        #expect(VersionSpecifier("~=1.4.2").allows(v("1.4.9")) && !VersionSpecifier("~=1.4.2").allows(v("1.5.0")))
        #expect(VersionSpecifier("!=1.4.2").allows(v("1.4.1")) && !VersionSpecifier("!=1.4.2").allows(v("1.4.2")))
        #expect(VersionSpecifier("==2").allows(v("2.0.0")))
        #expect(VersionSpecifier("==1.4.2").exactPin == v("1.4.2"))
        #expect(VersionSpecifier(">=1.4").exactPin == nil)
        #expect(!VersionSpecifier("<2").allowsSome(atLeast: v("2")))
        #expect(VersionSpecifier("<2.1").allowsSome(atLeast: v("2")))
        #expect(VersionSpecifier("").allowsSome(atLeast: v("2")))
        #expect(PackageVersion("2.0.0rc1")?.release == [2, 0, 0])
    }

    @Test func requirementsTextWithIncludesExtrasMarkersAndURLs() throws {
        let root = try directory([
            "requirements.txt": "# serving\n-r base.txt\nscikit-learn[alldeps]==1.4.2 ; python_version >= '3.9'  # pinned\n-e git+https://example.org/x.git#egg=Private_Lib\n--index-url https://pypi.org/simple\nopencv-python-headless>=4\n",
            "base.txt": "numpy==1.26.4\nPyYAML\n",
        ])
        var declared = DeclaredDependencies()
        try declared.read(file: root + "/requirements.txt")
        #expect(declared.requirement(for: "scikit-learn")?.specifier.text == "==1.4.2")
        #expect(declared.requirement(for: "numpy")?.specifier.exactPin == PackageVersion("1.26.4"))
        #expect(declared.requirement(for: "pyyaml") != nil)
        #expect(declared.requirement(for: "private-lib") != nil)
        #expect(declared.requirement(for: "opencv_python_headless")?.specifier.text == ">=4")
        #expect(declared.sources.count == 2)
    }

    @Test func pyprojectPEP621AndPoetryAndPipfile() throws {
        let root = try directory([
            "a/pyproject.toml": "[project]\nname = \"x\"\ndependencies = [\n  \"scikit-learn>=1.3,<1.5\",\n  'pandas==2.2.2',\n]\n\n[tool.poetry.dependencies]\npython = \"^3.11\"\nnumpy = \"^1.26.4\"\nlightgbm = { version = \"~4.7\", optional = true }\n",
            "b/Pipfile": "[packages]\nscikit-learn = \"==1.4.2\"\nnumpy = {version = \"==1.26.4\"}\njoblib = \"*\"\n\n[requires]\npython_version = \"3.11\"\n",
        ])
        var project = DeclaredDependencies()
        try project.read(file: root + "/a/pyproject.toml")
        #expect(project.requirement(for: "scikit-learn")?.specifier.text == ">=1.3,<1.5")
        #expect(project.requirement(for: "pandas")?.specifier.exactPin == PackageVersion("2.2.2"))
        #expect(project.requirement(for: "numpy")?.specifier.text == ">=1.26.4,<2")
        #expect(project.requirement(for: "lightgbm")?.specifier.allows(PackageVersion("4.7.1")!) == true)
        #expect(project.requirement(for: "lightgbm")?.specifier.allows(PackageVersion("4.8")!) == false)
        #expect(project.requirement(for: "python") == nil)
        var pipfile = DeclaredDependencies()
        try pipfile.read(file: root + "/b/Pipfile")
        #expect(pipfile.requirement(for: "numpy")?.specifier.exactPin == PackageVersion("1.26.4"))
        #expect(pipfile.requirement(for: "joblib")?.specifier.isEmpty == true)
        #expect(pipfile.requirement(for: "python-version") == nil)
    }

    @Test func importNamesMapToDistributionsAndDependenciesComeAlong() {
        #expect(Distributions.candidates(forImport: "sklearn") == ["scikit-learn"])
        #expect(Distributions.candidates(forImport: "PIL").first == "pillow")
        #expect(Distributions.candidates(forImport: "cv2").contains("opencv-python-headless"))
        #expect(Distributions.candidates(forImport: "Some_Thing") == ["some-thing"])
        let covered = Distributions.covering(["scikit-learn", "pandas"])
        #expect(covered.isSuperset(of: ["numpy", "scipy", "joblib", "threadpoolctl", "python-dateutil", "six"]))
    }

    @Test func appSourcesSeeDefinitionsReExportsAndGuardedImports() throws {
        let root = try directory([
            "pkg/__init__.py": "from .impl import *\nfrom .other import (\n    Cleaner as PublicCleaner,\n    helper,\n)\n",
            "pkg/impl.py": "import re\n\ndef tokenize(text):\n    return text.split()\n\nclass Model:\n    pass\n\nTHRESHOLD: float = 0.5\n",
            "pkg/other.py": "try:\n    from fast import helper\nexcept ImportError:\n    def helper(x):\n        return x\n\nclass Cleaner:\n    def method(self):\n        inner = 1\n",
            "lazy.py": "def __getattr__(name):\n    return name\n",
            "src/srcpkg/__init__.py": "VALUE = 1\n",
            "nsdir/mod.py": "def f():\n    pass\n",
            ".venv/pyvenv.cfg": "home = /usr/bin\n",
            ".venv/lib/site.py": "def g(): pass\n",
        ])
        let app = AppSources(root: root)
        #expect(app.hasModule("pkg") && app.hasModule("pkg.impl") && app.hasModule("srcpkg") && app.hasModule("nsdir.mod"))
        #expect(app.hasModule("nsdir"))
        #expect(app.defines("tokenize", in: "pkg"))            // through `from .impl import *`
        #expect(app.defines("Model.Inner", in: "pkg.impl"))     // qualnames resolve by their first part
        #expect(app.defines("THRESHOLD", in: "pkg.impl"))
        #expect(app.defines("PublicCleaner", in: "pkg") && app.defines("helper", in: "pkg"))
        #expect(!app.defines("Cleaner", in: "pkg"))
        #expect(app.defines("helper", in: "pkg.other"))          // guarded by try/except
        #expect(!app.defines("inner", in: "pkg.other"))          // a local, not module level
        #expect(app.defines("impl", in: "pkg"))                  // a submodule is an attribute once imported
        #expect(app.defines("anything", in: "lazy"))             // module __getattr__
        #expect(!app.hasModule("lib.site"))                      // virtual environments are skipped
        #expect(app.moduleDefining("tokenize") == "pkg.impl")
    }

    @Test func standardLibraryByVersion() {
        #expect(StandardLibrary.contains("pickle", minor: 11) && StandardLibrary.contains("copy_reg", minor: 12))
        #expect(StandardLibrary.contains("imp", minor: 11) && !StandardLibrary.contains("imp", minor: 12))
        #expect(StandardLibrary.contains("telnetlib", minor: 12) && !StandardLibrary.contains("telnetlib", minor: 13))
        #expect(!StandardLibrary.contains("tomllib", minor: 10))
        #expect(!StandardLibrary.contains("sklearn", minor: 11))
    }

    @Test func padding() {
        func padded(_ text: String) -> Bool { Array(text.utf8).withUnsafeBytes { Padding.isPadded($0) } }
        #expect(padded(" red") && padded("blue ") && padded("x\t") && padded("\u{00A0}nbsp") && padded("ideo\u{3000}"))
        #expect(!padded("new york") && !padded("") && !padded("é") && !padded("日本"))
    }
}

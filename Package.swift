// swift-tools-version: 6.0
import PackageDescription

// The parsers touch class state once per opcode. Swift's dynamic exclusivity checks cost
// a quarter of the run time there, and the code never holds overlapping accesses.
let hotPathSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "Brine",
    products: [
        .library(name: "Brine", targets: ["Brine"]),
        .executable(name: "brine", targets: ["brine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // brine.toml (Config/TOMLDocument.swift): TOML 1.0 through toml++.
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // SHA-256 of artifacts (Digest/SHA256Digest.swift).
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"4.0.0"),
    ],
    targets: [
        // C libraries, imported only by BrineIO.
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CArchive",
            path: "Sources/CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]
        ),
        // libdeflate sizes `brine budget`'s gzip measure: whole-buffer deflate, ~5x zlib's speed
        // at level 6 for a size within 0.5 % (docs/budgets.md, "How exact").
        .systemLibrary(
            name: "CDeflate",
            path: "Sources/CDeflate",
            pkgConfig: "libdeflate",
            providers: [.apt(["libdeflate-dev"])]
        ),
        // Byte sources: files and decompressors. The only importer of the C modules.
        .target(
            name: "BrineIO",
            dependencies: ["CZlib", "CArchive", "CDeflate"],
            swiftSettings: hotPathSettings
        ),
        // onnx.proto's messages, generated once by fixtures/tools/gen_onnx_proto.sh (no build plugin).
        .target(
            name: "BrineONNX",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        // The engine: byte sources, pickle reader, disassembler, reports.
        .target(
            name: "Brine",
            dependencies: [
                "BrineIO", "BrineONNX", .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: hotPathSettings
        ),
        // Commands, testable in process; the executable only calls into it.
        .target(
            name: "BrineCLI",
            dependencies: [
                "Brine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "brine",
            dependencies: ["BrineCLI"]
        ),
        .testTarget(
            name: "BrineTests",
            dependencies: ["Brine", "BrineCLI", "BrineIO"],
            path: "Tests/BrineTests",
            exclude: ["Golden"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Brine",
    products: [
        .library(name: "Brine", targets: ["Brine"]),
        .executable(name: "brine", targets: ["brine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
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
        // Byte sources: files and decompressors. The only importer of the C modules.
        .target(
            name: "BrineIO",
            dependencies: ["CZlib", "CArchive"]
        ),
        // The engine: byte sources, pickle reader, disassembler, reports.
        .target(
            name: "Brine",
            dependencies: ["BrineIO"]
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

// swift-tools-version: 6.0
import Foundation
import PackageDescription

// libFuzzer harnesses, kept out of the main package so `swift build` there never sees
// sanitizer flags. Build and run through `make fuzz` (see docs/fuzzing.md).
//
// Every directory under Targets/ is one fuzz target: adding a target is adding
// Targets/<Name>/Harness.swift, which defines `<Name>_main` (SwiftPM links an executable's
// entry point under that name) by calling `runFuzzer`.
let targetsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Targets")
let names = ((try? FileManager.default.contentsOfDirectory(atPath: targetsDirectory.path)) ?? [])
    .filter { !$0.hasPrefix(".") }
    .sorted()

let package = Package(
    name: "BrineFuzz",
    dependencies: [
        .package(name: "Brine", path: ".."),
    ],
    targets: [
        .target(
            name: "FuzzSupport",
            dependencies: [.product(name: "Brine", package: "Brine")]
        ),
    ] + names.map { name in
        .executableTarget(
            name: name,
            dependencies: ["FuzzSupport", .product(name: "Brine", package: "Brine")],
            path: "Targets/\(name)",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    },
    swiftLanguageModes: [.v6]
)

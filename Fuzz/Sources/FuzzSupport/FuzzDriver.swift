/// The libFuzzer driver, entered from each target's `<Name>_main`.
///
/// SwiftPM links an executable's entry point as `<Target>_main` and aliases `main` to it,
/// so libFuzzer's own `main` never runs; the harness calls `LLVMFuzzerRunDriver` instead.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The body of the running target; set once before the driver starts.
nonisolated(unsafe) private var currentBody: ((UnsafeRawBufferPointer) -> Void)?

/// libFuzzer's `main` (linked in but never entered) refers to this symbol.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    currentBody?(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// Runs libFuzzer with the process's arguments, calling `body` with each input.
/// `body` must accept any bytes: an error thrown by the engine is fine, a trap is a finding.
public func runFuzzer(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ body: @escaping (UnsafeRawBufferPointer) -> Void
) -> CInt {
    currentBody = body
    var count = argc
    var vector = argv
    return withUnsafeMutablePointer(to: &vector) { pointer in
        LLVMFuzzerRunDriver(&count, UnsafeMutablePointer(OpaquePointer(pointer))) { data, size in
            fuzzerTestOneInput(data, size)
        }
    }
}

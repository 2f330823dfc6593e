import BrineIO

/// Writes one tensor's elements in C order from its storage in the file, by its shape,
/// strides and storage offset (elements), with bounded memory whatever the tensor's size:
/// the longest contiguous run of the view is copied through one window; runs shorter than
/// the window are read through it (one read serves every run it covers), so a small
/// transposed or sliced view costs one read of the span it touches.
final class StridedCopy {
    /// Bytes of storage held at once.
    let windowBytes: Int
    private var window: UnsafeMutableRawBufferPointer
    /// Storage bytes `[windowStart, windowStart + windowCount)` are in `window`.
    private var windowStart: UInt64 = 0
    private var windowCount = 0
    private var staged: UnsafeMutableRawBufferPointer
    private var stagedCount = 0

    init(windowBytes: Int = 16 << 20) {
        self.windowBytes = max(windowBytes, 4096)
        window = .allocate(byteCount: self.windowBytes, alignment: 64)
        staged = .allocate(byteCount: 1 << 20, alignment: 64)
    }

    deinit {
        window.deallocate()
        staged.deallocate()
    }

    struct View {
        var shape: [Int64]
        var stride: [Int64]
        var offset: Int64
        var itemSize: Int

        var elementCount: UInt64? { NumpyModel.elementCount(shape) }

        /// Bytes of storage from the view's first element to the end of its last, checked.
        func storageEnd() -> UInt64? {
            guard offset >= 0, stride.count == shape.count, let count = elementCount else { return nil }
            if count == 0 { return 0 }
            var last = UInt64(offset)
            for (size, step) in zip(shape, stride) {
                guard step >= 0 else { return nil }
                let (span, o1) = UInt64(size - 1).multipliedReportingOverflow(by: UInt64(step))
                let (sum, o2) = last.addingReportingOverflow(span)
                guard !o1, !o2 else { return nil }
                last = sum
            }
            let (end, o3) = (last + 1).multipliedReportingOverflow(by: UInt64(itemSize))
            return o3 ? nil : end
        }

        /// The first dimension from which the view is C-contiguous (dimensions of size 1 never
        /// break contiguity), and the run length in elements.
        func contiguousSuffix() -> (start: Int, run: Int64) {
            var expected: Int64 = 1
            var start = shape.count
            for index in shape.indices.reversed() {
                if shape[index] != 1 {
                    guard stride[index] == expected else { break }
                    expected *= shape[index]
                }
                start = index
            }
            return (start, expected)
        }
    }

    /// Copies `view`'s elements (storage of `storageBytes` starting at `base` in `file`) to `sink`.
    /// The caller has checked `view.storageEnd() <= storageBytes`.
    func copy(_ view: View, from file: FileSource, base: UInt64, storageBytes: UInt64, to sink: ByteSink) throws(ConvertError) {
        windowCount = 0
        guard let count = view.elementCount, count > 0 else { return }
        let (start, run) = view.contiguousSuffix()
        let runBytes = UInt64(run) * UInt64(view.itemSize)
        let outer = Array(view.shape[..<start]), steps = Array(view.stride[..<start])
        var index = [Int64](repeating: 0, count: outer.count)
        var element = view.offset
        while true {
            let at = UInt64(element) * UInt64(view.itemSize)
            if runBytes >= UInt64(windowBytes) {
                try flush(to: sink)
                try stream(file, from: base + at, count: runBytes, to: sink)
            } else {
                try stage(file, base: base, at: at, count: Int(runBytes), storageBytes: storageBytes, to: sink)
            }
            // The next outer index, odometer style (the last dimension fastest).
            var dimension = outer.count - 1
            while dimension >= 0 {
                index[dimension] += 1
                element += steps[dimension]
                if index[dimension] < outer[dimension] { break }
                element -= steps[dimension] * outer[dimension]
                index[dimension] = 0
                dimension -= 1
            }
            if dimension < 0 { break }
        }
        try flush(to: sink)
    }

    /// A run shorter than the window: from the window, refilled at `at` when it does not hold it.
    private func stage(_ file: FileSource, base: UInt64, at: UInt64, count: Int, storageBytes: UInt64, to sink: ByteSink) throws(ConvertError) {
        if at < windowStart || at + UInt64(count) > windowStart + UInt64(windowCount) {
            let want = Int(min(UInt64(windowBytes), storageBytes - at))
            try readExactly(file, at: base + at, into: UnsafeMutableRawBufferPointer(rebasing: window[..<want]))
            windowStart = at
            windowCount = want
        }
        if count > staged.count - stagedCount { try flush(to: sink) }
        let from = Int(at - windowStart)
        if count >= staged.count {
            do { try sink.write(UnsafeRawBufferPointer(rebasing: window[from..<(from + count)])) } catch { throw .output(error) }
            return
        }
        UnsafeMutableRawBufferPointer(rebasing: staged[stagedCount..<(stagedCount + count)])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: window[from..<(from + count)]))
        stagedCount += count
    }

    private func flush(to sink: ByteSink) throws(ConvertError) {
        guard stagedCount > 0 else { return }
        do { try sink.write(UnsafeRawBufferPointer(rebasing: staged[..<stagedCount])) } catch { throw .output(error) }
        stagedCount = 0
    }

    /// A long contiguous run: straight through the window, chunk by chunk.
    private func stream(_ file: FileSource, from offset: UInt64, count: UInt64, to sink: ByteSink) throws(ConvertError) {
        var done: UInt64 = 0
        windowCount = 0
        while done < count {
            let chunk = Int(min(UInt64(windowBytes), count - done))
            let part = UnsafeMutableRawBufferPointer(rebasing: window[..<chunk])
            try readExactly(file, at: offset + done, into: part)
            do { try sink.write(UnsafeRawBufferPointer(part)) } catch { throw .output(error) }
            done += UInt64(chunk)
        }
    }

    private func readExactly(_ file: FileSource, at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(ConvertError) {
        var done = 0
        while done < buffer.count {
            let got: Int
            do { got = try file.read(at: offset + UInt64(done), into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...])) } catch {
                throw .input(error)
            }
            guard got > 0 else { throw .layout(offset: offset + UInt64(done), "the file ends inside tensor data (\(buffer.count - done) bytes missing)") }
            done += got
        }
    }
}

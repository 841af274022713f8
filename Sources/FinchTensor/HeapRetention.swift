/// Keeps freed activation buffers in the process heap instead of returning them to the kernel.
///
/// A training step frees and reallocates the same large activation and gradient buffers. With glibc's
/// defaults a buffer of more than 128 KiB is its own mmap (or sits at the top of the heap, which free trims),
/// so every step faults its pages in again and the kernel zero-fills them: ~10^5 page faults per epoch of
/// the Marv job. Raising the mmap threshold to glibc's maximum (32 MiB) and the trim threshold keeps them
/// for reuse; the process holds on to its peak heap instead, which the next step needs anyway.
public enum HeapRetention {
    private static let applied: Bool = {
        #if os(Linux)
        _ = glibcMallopt(mallocMmapThreshold, 32 << 20)
        _ = glibcMallopt(mallocTrimThreshold, 1 << 30)
        #endif
        return true
    }()

    /// Applies the settings once per process (idempotent).
    public static func enable() { _ = applied }
}

#if os(Linux)
// glibc's <malloc.h>, which the Glibc module does not export: int mallopt(int param, int value).
@_silgen_name("mallopt")
private func glibcMallopt(_ param: Int32, _ value: Int32) -> Int32
private let mallocTrimThreshold: Int32 = -1  // M_TRIM_THRESHOLD
private let mallocMmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
#endif

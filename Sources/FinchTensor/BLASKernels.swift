import CBLAS

/// Which OpenBLAS kernel set ("core") runs our GEMMs, for logs and benchmark reports.
///
/// OpenBLAS built with DYNAMIC_ARCH (Debian's is) picks its kernels from the CPU at load time, unless the
/// environment forces a core with `OPENBLAS_CORETYPE` (this workplace's machines export
/// `OPENBLAS_CORETYPE=Haswell`, the AVX2 kernels, which run sgemm at half the speed of the AVX-512 ones the
/// CPU supports). Finch leaves that choice to OpenBLAS and the environment, and reports it.
public enum BLASKernels {
    /// The kernel set in use, e.g. "Cooperlake" or "Haswell".
    public static var coreName: String {
        Threads.configureBLAS()
        return openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    }
}

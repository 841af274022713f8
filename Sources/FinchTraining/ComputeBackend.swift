import FinchTensor

/// What the engine computes with, for logs and benchmark reports: "OpenBLAS Cooperlake kernels, 2 threads".
public enum ComputeBackend {
    public static var summary: String { "OpenBLAS \(BLASKernels.coreName) kernels, \(Threads.count) threads" }
}

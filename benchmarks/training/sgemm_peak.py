#!/usr/bin/env python3
"""fp32 sgemm peak of this machine, for model-FLOP utilisation: GFLOP/s of the best of several 1024^3
products with the given thread count (OPENBLAS_NUM_THREADS / OMP_NUM_THREADS).

Measured twice: through the system OpenBLAS that Finch links (libopenblas.so.0, called with ctypes, so the
same kernels and the same OPENBLAS_CORETYPE as Finch) and through numpy (its own bundled OpenBLAS)."""
import ctypes
import ctypes.util
import json
import time

import numpy as np

n = 1024


def best_of(run, times=10):
    run()
    best = 1e9
    for _ in range(times):
        t = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e9


a = np.random.rand(n, n).astype(np.float32)
b = np.random.rand(n, n).astype(np.float32)
c = np.zeros((n, n), dtype=np.float32)
numpy_gflops = best_of(lambda: a @ b)

blas = ctypes.CDLL(ctypes.util.find_library("openblas") or "libopenblas.so.0")
blas.openblas_get_corename.restype = ctypes.c_char_p
f32 = ctypes.POINTER(ctypes.c_float)
pa, pb, pc = (m.ctypes.data_as(f32) for m in (a, b, c))
RowMajor, NoTrans = 101, 111
blas.cblas_sgemm.argtypes = [ctypes.c_int] * 6 + [ctypes.c_float, f32, ctypes.c_int, f32, ctypes.c_int,
                                                   ctypes.c_float, f32, ctypes.c_int]
system_gflops = best_of(lambda: blas.cblas_sgemm(RowMajor, NoTrans, NoTrans, n, n, n, 1.0, pa, n, pb, n, 0.0, pc, n))
assert np.allclose(c, a @ b, rtol=1e-3, atol=1e-2)
print(json.dumps({"sgemm_gflops": max(system_gflops, numpy_gflops),
                  "system_openblas_gflops": system_gflops,
                  "system_openblas_core": blas.openblas_get_corename().decode(),
                  "numpy_gflops": numpy_gflops}))

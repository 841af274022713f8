#!/usr/bin/env python3
"""fp32 sgemm peak of this machine, for model-FLOP utilisation, with the given thread count
(OPENBLAS_NUM_THREADS / OMP_NUM_THREADS), two ways:

- burst: GFLOP/s of the fastest of ten 1024^3 products (a few milliseconds each: the clock at its best);
- sustained: GFLOP/s of back-to-back 1024^3 products for SUSTAIN_S seconds (default 5), which is what a
  training run that lasts tens of seconds can get from the same cores (this machine is a shared VM whose
  speed drifts by several percent from minute to minute; burst and sustained differ by 5-15 %).

Each is measured through the system OpenBLAS that Finch links (libopenblas.so.0, called with ctypes, so the
same kernels and the same OPENBLAS_CORETYPE as Finch) and through numpy (its own bundled OpenBLAS); the
higher of the two is the peak."""
import ctypes
import ctypes.util
import json
import os
import time

import numpy as np

n = 1024
sustain_s = float(os.environ.get("SUSTAIN_S", "5"))


def best_of(run, times=10):
    run()
    best = 1e9
    for _ in range(times):
        t = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e9


def sustained(run):
    run()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < sustain_s:
        run()
        count += 1
    return 2 * n ** 3 * count / (time.perf_counter() - start) / 1e9


a = np.random.rand(n, n).astype(np.float32)
b = np.random.rand(n, n).astype(np.float32)
c = np.zeros((n, n), dtype=np.float32)
numpy_gflops = best_of(lambda: a @ b)
numpy_sustained = sustained(lambda: a @ b)

blas = ctypes.CDLL(ctypes.util.find_library("openblas") or "libopenblas.so.0")
blas.openblas_get_corename.restype = ctypes.c_char_p
f32 = ctypes.POINTER(ctypes.c_float)
pa, pb, pc = (m.ctypes.data_as(f32) for m in (a, b, c))
RowMajor, NoTrans = 101, 111
blas.cblas_sgemm.argtypes = [ctypes.c_int] * 6 + [ctypes.c_float, f32, ctypes.c_int, f32, ctypes.c_int,
                                                   ctypes.c_float, f32, ctypes.c_int]
system_product = lambda: blas.cblas_sgemm(RowMajor, NoTrans, NoTrans, n, n, n, 1.0, pa, n, pb, n, 0.0, pc, n)
system_gflops = best_of(system_product)
system_sustained = sustained(system_product)
assert np.allclose(c, a @ b, rtol=1e-3, atol=1e-2)
print(json.dumps({"sgemm_gflops": max(system_gflops, numpy_gflops),
                  "sustained_gflops": max(system_sustained, numpy_sustained),
                  "system_openblas_gflops": system_gflops,
                  "system_openblas_sustained_gflops": system_sustained,
                  "system_openblas_core": blas.openblas_get_corename().decode(),
                  "numpy_gflops": numpy_gflops,
                  "numpy_sustained_gflops": numpy_sustained}))

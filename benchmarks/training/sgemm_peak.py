#!/usr/bin/env python3
"""fp32 sgemm peak of this machine (numpy -> OpenBLAS), for model-FLOP utilisation: GFLOP/s of the best of
several 1024^3 products with the given thread count (OPENBLAS_NUM_THREADS / OMP_NUM_THREADS)."""
import json
import sys
import time

import numpy as np

n = 1024
a = np.random.rand(n, n).astype(np.float32)
b = np.random.rand(n, n).astype(np.float32)
a @ b
best = 1e9
for _ in range(10):
    t = time.perf_counter()
    a @ b
    best = min(best, time.perf_counter() - t)
print(json.dumps({"sgemm_gflops": 2 * n ** 3 / best / 1e9}))

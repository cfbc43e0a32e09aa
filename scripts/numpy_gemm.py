#!/usr/bin/env python3
"""numpy's sgemm (OpenBLAS) on the prefill shapes `./spikestream bench` measures: tokens x [out, in] float32.

usage: numpy_gemm.py TOKENS OUT:IN [OUT:IN ...]   (threads: OPENBLAS_NUM_THREADS, set by the caller)
prints one line per shape, "NAME GFLOPS", then "all GFLOPS" (total flops / total best time).
"""
import sys
import time

import numpy as np


def main(argv):
    tokens = int(argv[1])
    rng = np.random.default_rng(1)
    total_flops = 0.0
    total_seconds = 0.0
    for spec in argv[2:]:
        out, inp = (int(v) for v in spec.split(":"))
        w = rng.standard_normal((out, inp), dtype=np.float32)
        x = rng.standard_normal((tokens, inp), dtype=np.float32)
        y = x @ w.T
        best = float("inf")
        for _ in range(max(3, int(2e9 / (2.0 * tokens * out * inp)))):
            start = time.perf_counter()
            y = x @ w.T
            best = min(best, time.perf_counter() - start)
        flops = 2.0 * tokens * out * inp
        total_flops += flops
        total_seconds += best
        print(f"{spec} {flops / best / 1e9:.1f}", flush=True)
    print(f"all {total_flops / total_seconds / 1e9:.1f}")


if __name__ == "__main__":
    main(sys.argv)

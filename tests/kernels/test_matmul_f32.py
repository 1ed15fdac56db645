"""FP32 matmul micro-kernels on every board against the float64 reference, at shapes with tails
and uneven splits over the cores.

The kernels compute C in 4x4 register blocks with 4x1, 1x4 and 1x1 edge blocks and share the
4-row (or, when M is small and N large, the 4-column) blocks over the team; fixed-stride fast
paths run when the leading dimensions are 64 (nn, nt) or 32 (tn). The shapes below reach every
block kind, both splits, empty shares (M < cores and N < 4), K = 1, K tails of the 4-deep
unrolled loop (K % 4 = 1, 2, 3) and the fast paths with and without K tails.

Tolerance (compare.f32_atol): k_terms = K products of magnitude <= 1 (inputs uniform in
[-1, 1)) plus one for the bias or the C value accumulate=1 adds to.
"""

from __future__ import annotations

import numpy as np
import pytest
from compare import assert_f32_close
from mem_fill import filled_inputs

from qlr.kernels.registry import get_op

# (m, n, k): tails of every block kind; M < cores and N < 4 (empty shares); K = 1; column split
# (m small, n large).
SHAPES = [(1, 1, 1), (3, 7, 11), (11, 3, 7), (9, 16, 5), (17, 13, 33), (2, 3, 1), (3, 70, 6), (5, 2, 9)]
# Fast paths (the op passes lda = k or m, ldb = n or k): nn with k = n = 64, nt with k = 64, tn
# with m = n = 32. The fixed-stride kernels share one macro whose K tail (K % 4) the tn cases
# reach (K = 6 and 3); M and N edges around the full blocks use the edge kernels.
FAST = {"nn": [(9, 64, 64)], "nt": [(10, 7, 64)], "tn": [(32, 32, 6), (32, 32, 3)]}


def core_counts(kernels) -> list[int]:
    return sorted({1, min(3, kernels.team_max), kernels.team_max})


@pytest.mark.parametrize("kind", ["nn", "nt", "tn"])
def test_matmul_matches_reference(kernels, kind):
    spec = get_op(f"matmul_f32_{kind}")
    rng = np.random.default_rng(7)
    host = kernels.board == "host"
    # Off the host the simulators are the cost: small shapes, one accumulate mode per shape.
    shapes = SHAPES + FAST[kind] if host else [s for s in SHAPES if s[0] * s[1] * s[2] <= 4096]
    for i, (m, n, k) in enumerate(shapes):
        for acc in (0, 1) if host else (i % 2,):
            p = {"m": m, "n": n, "k": k, "accumulate": acc}
            if host:
                arrays = spec.make_inputs(p, rng)
                run = lambda cores: kernels.run(spec, arrays, {"accumulate": acc}, cores=cores)
            else:  # inputs generated on the device: the link (a UART) is the slow part
                arrays = filled_inputs(spec, p, 100 + i)
                run = lambda cores: kernels.run(spec, None, p, cores=cores, fill_seed=100 + i)
            ref = spec.golden(dict(arrays), p)["c"]
            for cores in core_counts(kernels):
                got = run(cores).outputs["c"]
                assert_f32_close(got, ref, k_terms=k + 1, what=f"{spec.name} {m}x{n}x{k} acc={acc} cores={cores}")


def test_matmul_fast_paths_on_every_board(kernels):
    """One fast-path shape per kind at the full team on every board (off the host the main test
    keeps only small shapes), inputs generated on the device (mem_fill: no link transfer)."""
    for kind, cases in FAST.items():
        spec = get_op(f"matmul_f32_{kind}")
        m, n, k = cases[0]
        p = {"m": m, "n": n, "k": k, "accumulate": 0}
        got = kernels.run(spec, None, p, cores=kernels.team_max, fill_seed=5).outputs["c"]
        ref = spec.golden(filled_inputs(spec, p, 5), p)["c"]
        assert_f32_close(got, ref, k_terms=k + 1, what=f"{spec.name} fast path {m}x{n}x{k}")

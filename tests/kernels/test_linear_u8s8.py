"""int8 linear layer on every board against the golden model, bit-exact: one row and odd row
counts, input lengths with SIMD tails, odd output counts, both zero points, ReLU, saturation."""

from __future__ import annotations

import numpy as np
from int8_cases import act, run_and_compare, slow

from qlr.kernels.registry import get_op

# n, in_f, out_f, in_zp, w_zp, rq, act
CASES = [
    (1, 11, 7, 0, 0, "c", "none"),
    (3, 33, 11, 3, -2, 1, "relu"),
    (7, 1, 3, 128, 5, "c", "none"),
    (1, 64, 50, 0, 0, "c", "none"),
    (1, 101, 23, 9, -1, "c", "none"),  # one row: PULP's 1x4 blocks, 3 channels and 1 tap left
]
SLOW_CASES = [CASES[1], CASES[3], CASES[4]]


def _params(case) -> dict:
    n, i, o, zx, zw, rq, a = case
    return {"n": n, "in_f": i, "out_f": o, "in_zp": zx, "w_zp": zw, "rq_channels": o if rq == "c" else 1, **act(a)}


def test_linear_u8s8_matches_golden(kernels):
    spec = get_op("linear_u8s8")
    rng = np.random.default_rng(41)
    for case in SLOW_CASES if slow(kernels) else CASES:
        p = _params(case)
        run_and_compare(kernels, spec, p, rng, f"linear case {case}", spread=p["n"] * p["out_f"] >= 8)


def test_linear_u8s8_saturates(kernels):
    spec = get_op("linear_u8s8")
    p = _params((2, 19, 9, 0, 0, "c", "relu6"))
    run_and_compare(kernels, spec, p, np.random.default_rng(42), "linear saturating", gain_shift=6,
                    cores=[kernels.team_max])

"""int8 pointwise conv on every board against the golden model, bit-exact: odd pixel counts (the
2-pixel blocks leave one), odd channel counts (the 2-channel blocks leave one; PULP's 4-channel
blocks leave 1..3), input lengths that leave 1..3 taps after the 4-tap SIMD steps (and rows at
every alignment), strides 1 and 2, both zero points, per-layer and per-channel requantization,
ReLU/ReLU6, saturation; split by pixels and by channels."""

from __future__ import annotations

import numpy as np
from int8_cases import act, run_and_compare, slow

from qlr.kernels.registry import get_op

# n, in_h, in_w, in_c, out_c, (stride_h, stride_w), in_zp, w_zp, rq, act
CASES = [
    (1, 3, 3, 7, 11, (1, 1), 0, 0, "c", "relu6"),
    (2, 7, 3, 11, 3, (2, 2), 5, -7, 1, "none"),
    (1, 1, 1, 13, 7, (1, 1), 0, 3, "c", "none"),          # one pixel: split by channels
    (1, 11, 1, 1, 8, (1, 1), 250, 0, "c", "relu"),        # in_c 1: no SIMD step at all
    (1, 4, 5, 32, 9, (1, 2), 0, 0, 1, "none"),
    (1, 5, 3, 23, 14, (1, 1), 7, -3, "c", "none"),      # 4-channel blocks + 2 left, 1x4 last pixel
    (1, 1, 2, 20, 37, (1, 1), 0, 4, "c", "relu"),       # 2 pixels: channels split, blocks and tails per core
]
SLOW_CASES = [CASES[1], CASES[2], CASES[4], CASES[5], CASES[6]]


def _params(case) -> dict:
    n, h, w, cin, cout, (sh, sw), zx, zw, rq, a = case
    return {"n": n, "in_h": h, "in_w": w, "in_c": cin, "out_c": cout, "stride_h": sh, "stride_w": sw,
            "in_zp": zx, "w_zp": zw, "rq_channels": cout if rq == "c" else 1, **act(a)}


def test_pwconv_u8s8_matches_golden(kernels):
    spec = get_op("pwconv_u8s8")
    rng = np.random.default_rng(31)
    for case in SLOW_CASES if slow(kernels) else CASES:
        run_and_compare(kernels, spec, _params(case), rng, f"pwconv case {case}")


def test_pwconv_u8s8_saturates(kernels):
    spec = get_op("pwconv_u8s8")
    p = _params((1, 3, 3, 9, 5, (1, 1), 0, 0, "c", "relu6"))
    run_and_compare(kernels, spec, p, np.random.default_rng(32), "pwconv saturating", gain_shift=6,
                    cores=[kernels.team_max])

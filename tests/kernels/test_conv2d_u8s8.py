"""int8 conv2d on every board against the golden model, bit-exact: odd sizes, 1x1 / 3x3 /
non-square kernels, strides 1 and 2, asymmetric padding, windows wholly in the padding, both
zero points, per-layer and per-channel requantization, none/ReLU/ReLU6, saturation."""

from __future__ import annotations

import numpy as np
from int8_cases import act, run_and_compare, slow

from qlr.kernels.registry import get_op

# n, in_h, in_w, in_c, out_c, (k_h, k_w), (stride_h, stride_w), (top, bottom, left, right),
# in_zp, w_zp, rq_channels ("c" = per channel), activation
CASES = [
    (1, 7, 7, 3, 5, (3, 3), (1, 1), (1, 1, 1, 1), 0, 0, "c", "none"),
    (2, 11, 7, 3, 7, (3, 3), (2, 2), (1, 0, 0, 1), 3, -5, 1, "relu"),
    (1, 3, 11, 7, 11, (1, 1), (1, 1), (0, 0, 0, 0), 128, 7, "c", "relu6"),
    (1, 7, 11, 1, 3, (2, 3), (2, 1), (0, 2, 1, 0), 17, 0, "c", "none"),
    (1, 1, 1, 11, 1, (1, 1), (1, 1), (1, 1, 0, 2), 9, 3, 1, "none"),   # border outputs see only padding
    (1, 3, 3, 4, 8, (3, 3), (2, 2), (1, 1, 1, 1), 0, 0, "c", "relu"),
]
SLOW_CASES = [CASES[1], CASES[3], CASES[4]]


def _params(case) -> dict:
    n, h, w, cin, cout, (kh, kw), (sh, sw), (pt, pb, pl, pr), zx, zw, rq, a = case
    return {"n": n, "in_h": h, "in_w": w, "in_c": cin, "out_c": cout, "k_h": kh, "k_w": kw, "stride_h": sh,
            "stride_w": sw, "pad_top": pt, "pad_bottom": pb, "pad_left": pl, "pad_right": pr, "in_zp": zx,
            "w_zp": zw, "rq_channels": cout if rq == "c" else 1, **act(a)}


def test_conv2d_u8s8_matches_golden(kernels):
    spec = get_op("conv2d_u8s8")
    rng = np.random.default_rng(11)
    for case in SLOW_CASES if slow(kernels) else CASES:
        p = _params(case)
        # case 4 has a single output channel on a 1x1 input: too few outputs for the spread check
        run_and_compare(kernels, spec, p, rng, f"conv2d case {case}", spread=p["out_c"] * p["n"] > 2)


def test_conv2d_u8s8_saturates(kernels):
    spec = get_op("conv2d_u8s8")
    p = _params((1, 5, 5, 3, 6, (3, 3), (1, 1), (1, 1, 1, 1), 5, 0, "c", "relu6"))
    run_and_compare(kernels, spec, p, np.random.default_rng(12), "conv2d saturating", gain_shift=6,
                    cores=[kernels.team_max])

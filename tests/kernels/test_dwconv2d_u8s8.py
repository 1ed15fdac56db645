"""int8 depthwise conv2d on every board against the golden model, bit-exact: channel counts that
leave a partial block of four (1, 3, 7, 11), 3x3 and non-square kernels, strides 1 and 2,
asymmetric padding (the padded taps hold in_zp), both zero points, ReLU/ReLU6, saturation, and
splits by rows and by channels."""

from __future__ import annotations

import numpy as np
from int8_cases import act, run_and_compare, slow

from qlr.kernels.registry import get_op

# n, in_h, in_w, c, (k_h, k_w), (stride_h, stride_w), (top, bottom, left, right), in_zp, w_zp, rq, act
CASES = [
    (1, 7, 7, 11, (3, 3), (1, 1), (1, 1, 1, 1), 0, 0, "c", "relu6"),
    (2, 11, 3, 7, (3, 3), (2, 2), (1, 0, 0, 1), 5, -3, 1, "none"),
    (1, 3, 11, 8, (3, 3), (1, 2), (0, 2, 2, 0), 200, 9, "c", "relu"),
    (1, 4, 4, 13, (3, 3), (1, 1), (1, 1, 1, 1), 0, 0, "c", "none"),     # 4 rows: split by channels on 8 cores
    (1, 7, 5, 3, (2, 3), (2, 1), (3, 1, 0, 2), 33, 0, 1, "none"),      # whole rows in the padding
    (1, 1, 1, 12, (1, 1), (1, 1), (0, 0, 0, 0), 7, 4, "c", "none"),
]
SLOW_CASES = [CASES[1], CASES[3], CASES[4]]


def _params(case) -> dict:
    n, h, w, c, (kh, kw), (sh, sw), (pt, pb, pl, pr), zx, zw, rq, a = case
    return {"n": n, "in_h": h, "in_w": w, "c": c, "k_h": kh, "k_w": kw, "stride_h": sh, "stride_w": sw,
            "pad_top": pt, "pad_bottom": pb, "pad_left": pl, "pad_right": pr, "in_zp": zx, "w_zp": zw,
            "rq_channels": c if rq == "c" else 1, **act(a)}


def test_dwconv2d_u8s8_matches_golden(kernels):
    spec = get_op("dwconv2d_u8s8")
    rng = np.random.default_rng(21)
    for case in SLOW_CASES if slow(kernels) else CASES:
        run_and_compare(kernels, spec, _params(case), rng, f"dwconv2d case {case}")


def test_dwconv2d_u8s8_saturates(kernels):
    spec = get_op("dwconv2d_u8s8")
    p = _params((1, 5, 5, 6, (3, 3), (1, 1), (1, 1, 1, 1), 5, 0, "c", "relu"))
    run_and_compare(kernels, spec, p, np.random.default_rng(22), "dwconv2d saturating", gain_shift=6,
                    cores=[kernels.team_max])

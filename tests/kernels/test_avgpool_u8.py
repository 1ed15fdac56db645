"""uint8 average pooling on every board against the golden model, bit-exact: global pooling
(one pixel per image: split by channels), windows with stride and count-include-pad padding,
non-square windows, a non-zero input zero point, per-layer and per-channel multipliers."""

from __future__ import annotations

import numpy as np
from compare import assert_exact
from int8_cases import act, core_counts, run_and_compare, slow

from qlr.kernels.registry import get_op

# n, in_h, in_w, c, (k_h, k_w), (stride_h, stride_w), (top, bottom, left, right), in_zp, rq, act
CASES = [
    (2, 4, 4, 11, (0, 0), (0, 0), (0, 0, 0, 0), 0, 1, "none"),     # global
    (1, 7, 7, 3, (2, 2), (2, 2), (0, 1, 0, 1), 9, 1, "none"),
    (1, 7, 11, 7, (3, 2), (1, 2), (1, 0, 2, 1), 100, "c", "relu"),
    (1, 1, 1, 13, (0, 0), (0, 0), (0, 0, 0, 0), 3, 1, "none"),     # global over one pixel
]
SLOW_CASES = [CASES[0], CASES[2]]


def _params(case) -> dict:
    n, h, w, c, (kh, kw), (sh, sw), (pt, pb, pl, pr), zx, rq, a = case
    return {"n": n, "in_h": h, "in_w": w, "c": c, "k_h": kh, "k_w": kw, "stride_h": sh, "stride_w": sw,
            "pad_top": pt, "pad_bottom": pb, "pad_left": pl, "pad_right": pr, "in_zp": zx,
            "rq_channels": c if rq == "c" else 1, **act(a)}


def test_avgpool_u8_matches_golden(kernels):
    spec = get_op("avgpool_u8")
    rng = np.random.default_rng(51)
    for case in SLOW_CASES if slow(kernels) else CASES:
        p = _params(case)
        # the mean of uniform bytes is narrow: mostly unclamped but with few distinct values
        run_and_compare(kernels, spec, p, rng, f"avgpool case {case}", spread=False)


def test_avgpool_u8_saturates(kernels):
    spec = get_op("avgpool_u8")
    p = _params((1, 5, 5, 6, (3, 3), (1, 1), (1, 1, 1, 1), 50, 1, "relu6"))
    run_and_compare(kernels, spec, p, np.random.default_rng(52), "avgpool saturating", gain_shift=3,
                    cores=[kernels.team_max])


def test_avgpool_u8_exact_mean(kernels):
    """S_y = S_x and a 2x2 window: the multiplier is exactly 1/4; the output is the mean of each
    window rounded half up, computed here independently of the golden code."""
    spec = get_op("avgpool_u8")
    rng = np.random.default_rng(53)
    x = rng.integers(0, 256, size=(1, 6, 6, 5), dtype=np.uint8)
    arrays = {"x": x, "mult": np.array([2**30], np.int32), "shift": np.array([32], np.uint8)}
    p = {"k_h": 2, "k_w": 2, "stride_h": 2, "stride_w": 2, "out_zp": 0, "act_min": 0, "act_max": 255}
    s = x.astype(np.int64).reshape(1, 3, 2, 3, 2, 5).sum(axis=(2, 4))
    ref = ((s + 2) // 4).astype(np.uint8)
    for c in core_counts(kernels):
        assert_exact(kernels.run(spec, arrays, p, cores=c).outputs["y"], ref, f"avgpool 2x2 mean cores={c}")

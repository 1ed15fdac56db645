"""uint8 residual add on every board against the golden model, bit-exact: element counts that
split unevenly, zero points, scale ratios below and above 1, ReLU/ReLU6 clamps, saturation."""

from __future__ import annotations

import numpy as np
from compare import assert_exact
from int8_cases import act, assert_spread, core_counts

from qlr.golden.int8 import add_requant
from qlr.kernels.registry import get_op

# shape, (S_a, S_b, S_y), a_zp, b_zp, act
CASES = [
    ((1, 3, 7, 11), (0.02, 0.03, 0.04), 0, 0, "none"),
    ((2, 1, 1, 7), (0.05, 0.01, 0.03), 128, 3, "relu"),
    ((1, 11, 3, 1), (0.1, 0.1, 0.02), 7, 200, "relu6"),   # outputs mostly saturated: ratio 5
]


def test_add_u8_matches_golden(kernels):
    spec = get_op("add_u8")
    rng = np.random.default_rng(61)
    for shape, (sa, sb, sy), za, zb, a in CASES:
        ap = act(a)
        rq = add_requant(sa, sb, sy, ap["out_zp"], {"none": "none", "relu": "relu", "relu6": "none"}[a])
        p = {"a_zp": za, "b_zp": zb, "mult_a": rq.mult_a, "mult_b": rq.mult_b, "shift": rq.shift, **ap}
        arrays = {"a": rng.integers(0, 256, size=shape, dtype=np.uint8),
                  "b": rng.integers(0, 256, size=shape, dtype=np.uint8)}
        ref = spec.golden(dict(arrays), {**p, "n": shape[0], "h": shape[1], "w": shape[2], "c": shape[3]})["y"]
        if sa / sy < 2:
            assert_spread(ref, p, f"add {shape}")
        for c in core_counts(kernels):
            assert_exact(kernels.run(spec, arrays, p, cores=c).outputs["y"], ref, f"add {shape} cores={c}")


def test_add_u8_rounds_half_up(kernels):
    """m_a = m_b = 1, shift 1: y = floor((a - z_a + b - z_b + 1) / 2) + z_y, written out here:
    sums of +-odd values land exactly on .5 and must round towards +infinity."""
    spec = get_op("add_u8")
    a = np.arange(256, dtype=np.uint8).reshape(1, 4, 8, 8)
    b = np.full_like(a, 0)
    p = {"a_zp": 101, "b_zp": 0, "mult_a": 1, "mult_b": 1, "shift": 1, "out_zp": 128, "act_min": 0, "act_max": 255}
    s = a.astype(np.int64) - 101
    ref = np.clip(np.floor_divide(s + 1, 2) + 128, 0, 255).astype(np.uint8)
    assert_exact(kernels.run(spec, {"a": a, "b": b}, p, cores=kernels.team_max).outputs["y"], ref, "add ties")

"""Tiled FP32 layers (the tiled op family: L1 tiles, double-buffered copies from L2) on every board
against the golden model evaluated in float64.

Shapes have remainders everywhere: the tile counts do not divide the dimensions (odd pixel
counts, channel counts that are not multiples of 4, K not a multiple of the K step). Each shape
runs with the default budget (half of the free L1: few, large tiles) and with a small forced
`l1_budget`, so that even on the boards with a large L1 the executor walks many tiles, edge tiles
and several K steps (and, on pulp-open, many DMA copies in flight); see BUDGET_NOTES.

Tolerances (compare.f32_atol): k_terms = the products summed into one output, each at most 1 in
magnitude (inputs uniform in [-1, 1)), plus one for a bias or the value accumulate=1 adds to:
fw: cin (+1), bw_input: cout, bw_weight: the rows (+1); depthwise: kh*kw (+1).
"""

from __future__ import annotations

import numpy as np
import pytest
from compare import assert_f32_close
from mem_fill import filled_inputs

from qlr.errors import QlrError
from qlr.kernels.registry import get_op
from qlr.kernels.run import complete_params

SLOW_BOARDS = ("pulp-open", "qemu-m4")

# BUDGET_NOTES: a 300-byte set holds at most 75 floats of A, B and C tiles together (e.g. a 4x4 C
# tile and K steps of 7), so every matmul shape below runs in many steps, with edge tiles.
SMALL_BUDGET = 300


def core_counts(kernels) -> list[int]:
    return sorted({1, min(3, kernels.team_max), kernels.team_max})


def run_and_compare(kernels, op: str, p: dict, k_terms: dict[str, int], seed: int) -> None:
    """Inputs generated on the device (mem_fill: the link is the slow part off the host), the
    reference from the same values on the host."""
    spec = get_op(op)
    full = complete_params(spec, p)
    ref = spec.golden(filled_inputs(spec, full, seed), full)
    for cores in core_counts(kernels):
        got = kernels.run(spec, None, full, cores=cores, fill_seed=seed).outputs
        for name, k in k_terms.items():
            assert_f32_close(got[name], ref[name], k_terms=k, what=f"{op} {name} {p} cores={cores}")


# (n, height, width, cin, cout): 15 and 18 pixels, channels 37/13/11/6 (K not a multiple of 4).
PW = [(1, 3, 5, 37, 11), (2, 3, 3, 13, 6)]
# (n, in_features, out_features)
LIN = [(9, 70, 13), (5, 11, 29)]


def budgets(kernels) -> list[int]:
    return [0, SMALL_BUDGET]


@pytest.mark.parametrize("pass_", ["fw", "bw_input", "bw_weight"])
def test_pwconv_tiled(kernels, pass_):
    cases = PW[:1] if kernels.board in SLOW_BOARDS else PW
    for i, (n, h, w, cin, cout) in enumerate(cases):
        for budget in budgets(kernels):
            p = {"n": n, "height": h, "width": w, "cin": cin, "cout": cout, "l1_budget": budget}
            if pass_ == "fw":
                p["use_bias"] = i % 2 ^ 1
                k = {"y": cin + 1}
            elif pass_ == "bw_input":
                k = {"dx": cout}
            else:
                p.update(use_bias=1, accumulate=budget > 0)
                k = {"dw": n * h * w + 1, "db": n * h * w + 1}
            run_and_compare(kernels, f"pwconv_f32_{pass_}_tiled", p, k, seed=10 * i + budget)


@pytest.mark.parametrize("pass_", ["fw", "bw_input", "bw_weight"])
def test_linear_tiled(kernels, pass_):
    cases = LIN[:1] if kernels.board in SLOW_BOARDS else LIN
    for i, (n, fin, fout) in enumerate(cases):
        for budget in budgets(kernels):
            p = {"n": n, "in_features": fin, "out_features": fout, "l1_budget": budget}
            if pass_ == "fw":
                p["use_bias"] = 1
                k = {"y": fin + 1}
            elif pass_ == "bw_input":
                k = {"dx": fout}
            else:
                p.update(use_bias=1, accumulate=budget == 0)
                k = {"dw": n + 1, "db": n + 1}
            run_and_compare(kernels, f"linear_f32_{pass_}_tiled", p, k, seed=20 + 10 * i + budget)


def test_linear_bw_weight_tiled_without_bias_leaves_db(kernels):
    """use_bias=0: db is not written (it comes back as it was filled)."""
    spec = get_op("linear_f32_bw_weight_tiled")
    p = {"n": 6, "in_features": 9, "out_features": 5, "use_bias": 0, "accumulate": 0, "l1_budget": SMALL_BUDGET}
    arrays = filled_inputs(spec, p, 3)
    got = kernels.run(spec, None, p, cores=kernels.team_max, fill_seed=3).outputs
    np.testing.assert_array_equal(got["db"], arrays["db"])
    ref = spec.golden({k: v.copy() for k, v in arrays.items()}, p)
    assert_f32_close(got["dw"], ref["dw"], k_terms=6, what="linear bw_weight tiled, use_bias=0")


# (n, height, width, c, kh, kw, sh, sw, (top, bottom, left, right))
DW = [(2, 5, 6, 13, 3, 3, 1, 1, (1, 1, 1, 1)), (1, 7, 5, 10, 3, 3, 2, 2, (1, 0, 1, 1)),
      (1, 4, 4, 6, 3, 2, 1, 1, (0, 0, 0, 0))]


def test_dwconv2d_fw_tiled(kernels):
    cases = DW[:2] if kernels.board in SLOW_BOARDS else DW
    for i, (n, h, w, c, kh, kw, sh, sw, pads) in enumerate(cases):
        # the forced budget holds about two channels' planes of the first shape: many channel groups
        for budget in (0, 700):
            p = {"n": n, "height": h, "width": w, "c": c, "kh": kh, "kw": kw, "sh": sh, "sw": sw,
                 "pad_top": pads[0], "pad_bottom": pads[1], "pad_left": pads[2], "pad_right": pads[3],
                 "use_bias": 1 - i % 2, "l1_budget": budget}
            run_and_compare(kernels, "dwconv2d_f32_fw_tiled", p, {"y": kh * kw + 1}, seed=40 + i + budget)


def test_tiled_budget_errors_name_the_parameter(kernels):
    spec = get_op("pwconv_f32_fw_tiled")
    p = {"n": 1, "height": 2, "width": 2, "cin": 3, "cout": 2, "use_bias": 1}
    arrays = spec.make_inputs({**p, "l1_budget": 0}, np.random.default_rng(0))
    with pytest.raises(QlrError, match="l1_budget must be 0..") as e:
        kernels.run(spec, arrays, {**p, "l1_budget": 1 << 30}, cores=1)
    assert "half of the free L1" in str(e.value)
    with pytest.raises(QlrError, match="l1_budget .* too small"):
        kernels.run(spec, arrays, {**p, "l1_budget": 8}, cores=1)
    dspec = get_op("dwconv2d_f32_fw_tiled")
    dp = {"n": 1, "height": 6, "width": 6, "c": 3, "kh": 3, "kw": 3, "use_bias": 1}
    darrays = dspec.make_inputs({q.name: dp.get(q.name, q.default) for q in dspec.params}, np.random.default_rng(0))
    with pytest.raises(QlrError, match="l1_budget is too small for one channel"):
        kernels.run(dspec, darrays, {**dp, "l1_budget": 64}, cores=1)

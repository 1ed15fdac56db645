"""FP32 layer kernels (conv2d, depthwise, pointwise, linear: fw, bw_input, bw_weight) on every
board against the golden model evaluated in float64, at shapes with loop tails and uneven splits
over the cores: sizes 1, 3, 7, 11; channel counts that are not multiples of 4 or 8; stride 2 and
3; asymmetric padding; padding wider than the kernel (windows wholly in the padding); input rows
no window reaches; batch 1 and 3; im2col in several chunks with a short last chunk.

Tolerances (compare.f32_atol): k_terms = the number of products summed into one output, each
at most 1 in magnitude (inputs uniform in [-1, 1)), plus one term for a bias or for the value
accumulate=1 adds to:
  conv2d fw: cin*kh*kw (+1);  bw_input: cout*kh*kw (an upper bound on cout times the taps that
  reach a pixel);  bw_weight: n*ho*wo (+1).  Depthwise: kh*kw, kh*kw, n*ho*wo.  Pointwise and
  linear: cin, cout, rows.
"""

from __future__ import annotations

import numpy as np
import pytest
from compare import assert_f32_close, inputs_of

from qlr.kernels.ops_f32 import ho, wo
from qlr.kernels.registry import get_op

SLOW_BOARDS = ("pulp-open",)  # GVSoC runs ~60 MIPS: fewer, smaller cases there


def core_counts(kernels, case: int) -> list[int]:
    """Team sizes for the case-th case of a kernel: the first case on 1, 3 and all the cores, the
    others on all the cores or on 3 in turn (uneven splits either way), so each kernel meets every
    team size without running every case three times: every tensor crosses the link (~10 KB/s
    to QEMU's emulated UART, semihosting files on GVSoC), which is also why the shapes are small."""
    sizes = {1, 3, kernels.team_max} if case == 0 else {(kernels.team_max, 3)[case % 2]}
    return sorted({min(c, kernels.team_max) for c in sizes})


def window(n, h, w, c, kh, kw, sh, sw, pads, cname="c"):
    pt, pb, pl, pr = pads
    return {"n": n, "height": h, "width": w, cname: c, "kh": kh, "kw": kw, "sh": sh, "sw": sw,
            "pad_top": pt, "pad_bottom": pb, "pad_left": pl, "pad_right": pr}


def run_and_compare(kernels, op: str, p: dict, k_terms: dict[str, int], seed: int, case: int) -> None:
    spec = get_op(op)
    rng = np.random.default_rng(seed)
    arrays = inputs_of(spec)(p, rng)
    ref = spec.golden({k: v.copy() for k, v in arrays.items()}, p)
    for cores in core_counts(kernels, case):
        got = kernels.run(spec, arrays, p, cores=cores).outputs
        for name, k in k_terms.items():
            assert_f32_close(got[name], ref[name], k_terms=k, what=f"{op} {name} {p} cores={cores}")


# ---- conv2d ---------------------------------------------------------------------------------------

# (n, h, w, cin, cout, kh, kw, sh, sw, (top, bottom, left, right), chunk_rows)
CONV = [
    (1, 1, 1, 1, 1, 1, 1, 1, 1, (0, 0, 0, 0), 0),      # direct path (1x1, stride 1, no padding), all sizes 1
    (3, 7, 11, 3, 5, 3, 3, 2, 2, (1, 0, 2, 1), 0),     # stride 2, asymmetric padding, batch 3
    (1, 11, 7, 5, 7, 3, 2, 1, 2, (0, 2, 1, 0), 5),     # 5-row chunks: 6 chunks plus a short one
    (3, 3, 3, 13, 14, 1, 1, 1, 1, (0, 0, 0, 0), 0),    # direct, batch 3, cin 13; cout 14 on 3 cores: 5+5+4
    (1, 7, 7, 3, 9, 5, 5, 3, 1, (2, 2, 2, 2), 7),      # kernel 5, stride (3, 1), 7-row chunks
    (1, 3, 3, 2, 3, 3, 3, 1, 1, (3, 3, 3, 3), 1),      # padding wider than the kernel; 1-row chunks
    (1, 7, 7, 3, 4, 1, 1, 2, 2, (0, 0, 0, 0), 0),      # 1x1 stride 2: im2col, rows/cols no window reaches
]
CONV_SLOW = [CONV[0], CONV[1], CONV[2]]


def conv_params(case) -> dict:
    n, h, w, cin, cout, kh, kw, sh, sw, pads, chunk = case
    p = window(n, h, w, cin, kh, kw, sh, sw, pads, cname="cin")
    p.update(cout=cout, chunk_rows=chunk)
    return p


def conv_cases(kernels):
    return CONV_SLOW if kernels.board in SLOW_BOARDS else CONV


def test_conv2d_fw(kernels):
    for i, case in enumerate(conv_cases(kernels)):
        p = conv_params(case)
        p["use_bias"] = 0 if i == 2 else 1
        run_and_compare(kernels, "conv2d_f32_fw", p, {"y": p["cin"] * p["kh"] * p["kw"] + 1}, seed=100 + i, case=i)


def test_conv2d_bw_input(kernels):
    for i, case in enumerate(conv_cases(kernels)):
        p = conv_params(case)
        run_and_compare(kernels, "conv2d_f32_bw_input", p, {"dx": p["cout"] * p["kh"] * p["kw"]}, seed=200 + i, case=i)


def test_conv2d_bw_weight(kernels):
    for i, case in enumerate(conv_cases(kernels)):
        p = conv_params(case)
        p.update(accumulate=i % 2, use_bias=0 if i == 4 else 1)
        k = p["n"] * ho(p) * wo(p) + 1
        run_and_compare(kernels, "conv2d_f32_bw_weight", p, {"dw": k, "db": k}, seed=300 + i, case=i)


# ---- depthwise conv2d ---------------------------------------------------------------------------

# (n, h, w, c, kh, kw, sh, sw, pads)
DW = [
    (1, 1, 1, 1, 1, 1, 1, 1, (0, 0, 0, 0)),
    (3, 7, 11, 3, 3, 3, 2, 2, (1, 0, 2, 1)),     # stride 2, asymmetric padding, batch 3, C < 4
    (1, 5, 7, 13, 3, 3, 1, 1, (1, 1, 1, 1)),     # C = 13: three groups of 4 and a tail of 1
    (1, 3, 7, 9, 5, 3, 1, 2, (2, 2, 0, 1)),      # kernel 5x3
    (1, 2, 2, 5, 3, 3, 1, 1, (3, 3, 3, 3)),      # windows wholly in the padding
    (2, 7, 7, 6, 3, 3, 3, 3, (0, 0, 0, 0)),      # stride 3: input row/column 6 reached by no window
]
DW_SLOW = [DW[0], DW[1], DW[2]]


def dw_cases(kernels):
    return DW_SLOW if kernels.board in SLOW_BOARDS else DW


def test_dwconv2d_fw(kernels):
    for i, case in enumerate(dw_cases(kernels)):
        p = window(*case)
        p["use_bias"] = 0 if i == 3 else 1
        run_and_compare(kernels, "dwconv2d_f32_fw", p, {"y": p["kh"] * p["kw"] + 1}, seed=400 + i, case=i)


def test_dwconv2d_bw_input(kernels):
    for i, case in enumerate(dw_cases(kernels)):
        p = window(*case)
        run_and_compare(kernels, "dwconv2d_f32_bw_input", p, {"dx": p["kh"] * p["kw"]}, seed=500 + i, case=i)


def test_dwconv2d_bw_weight(kernels):
    for i, case in enumerate(dw_cases(kernels)):
        p = window(*case)
        p.update(accumulate=i % 2, use_bias=0 if i == 2 else 1)
        k = p["n"] * ho(p) * wo(p) + 1
        run_and_compare(kernels, "dwconv2d_f32_bw_weight", p, {"dw": k, "db": k}, seed=600 + i, case=i)


# ---- pointwise and linear -------------------------------------------------------------------------

PW = [(1, 1, 1, 1, 1), (3, 3, 7, 5, 11), (1, 11, 3, 13, 3), (3, 1, 1, 9, 14)]  # n, h, w, cin, cout
LIN = [(1, 1, 1), (3, 11, 13), (7, 13, 10), (1, 37, 3)]                        # n, in, out


def pw_params(case) -> dict:
    n, h, w, cin, cout = case
    return {"n": n, "height": h, "width": w, "cin": cin, "cout": cout}


def test_pwconv(kernels):
    cases = PW[:2] if kernels.board in SLOW_BOARDS else PW
    for i, case in enumerate(cases):
        p = pw_params(case)
        rows = p["n"] * p["height"] * p["width"]
        run_and_compare(kernels, "pwconv_f32_fw", {**p, "use_bias": i % 2}, {"y": p["cin"] + 1}, seed=700 + i, case=i)
        run_and_compare(kernels, "pwconv_f32_bw_input", p, {"dx": p["cout"]}, seed=710 + i, case=i)
        run_and_compare(kernels, "pwconv_f32_bw_weight", {**p, "use_bias": 1 - i % 2, "accumulate": i % 2},
                        {"dw": rows + 1, "db": rows + 1}, seed=720 + i, case=i)


def test_linear(kernels):
    cases = LIN[:2] if kernels.board in SLOW_BOARDS else LIN
    for i, (n, fin, fout) in enumerate(cases):
        p = {"n": n, "in_features": fin, "out_features": fout}
        run_and_compare(kernels, "linear_f32_fw", {**p, "use_bias": 1 - i % 2}, {"y": fin + 1}, seed=800 + i, case=i)
        run_and_compare(kernels, "linear_f32_bw_input", p, {"dx": fout}, seed=810 + i, case=i)
        run_and_compare(kernels, "linear_f32_bw_weight", {**p, "use_bias": 1, "accumulate": i % 2},
                        {"dw": n + 1, "db": n + 1}, seed=820 + i, case=i)


# ---- the checks are live -------------------------------------------------------------------------

def test_nan_input_propagates_and_fails_the_comparison(kernels):
    """A NaN in one input row of linear fw must come out as NaN in that output row on the device,
    and assert_f32_close must reject it (NaN never passes)."""
    spec = get_op("linear_f32_fw")
    p = {"n": 3, "in_features": 5, "out_features": 4, "use_bias": 1}
    arrays = inputs_of(spec)(p, np.random.default_rng(9))
    ref = spec.golden({k: v.copy() for k, v in arrays.items()}, p)["y"]
    arrays["x"][1, 2] = np.nan
    got = kernels.run(spec, arrays, p, cores=kernels.team_max).outputs["y"]
    assert np.isnan(got[1]).all(), f"row 1 should be NaN, got {got[1]}"
    assert np.isfinite(np.delete(got, 1, axis=0)).all()
    assert_f32_close(np.delete(got, 1, axis=0), np.delete(ref, 1, axis=0), k_terms=6, what="finite rows")
    with pytest.raises(AssertionError, match="NaN"):
        assert_f32_close(got, ref, k_terms=6, what="linear with a NaN input")

"""FP32 activations, average pooling, softmax cross-entropy and SGD on every board against the
golden model (float64, rounded once), plus the op checks' messages.

Tolerances:
- ReLU/ReLU6 select values without arithmetic: bit-exact (the inputs include the kinks 0 and 6).
- Average pooling: k_terms = window size + 1 (the sum, then the scaling), each term at most
  scale = 1/(kh*kw) after the scaling (inputs in [-1, 1)); global: H*W + 1 terms of 1/(H*W).
- Softmax cross-entropy (logits in [-4, 4), so |z - max| <= 8): each probability carries the
  rounding of z - max (relative <= 8u), of expf and of logf (measured on picolibc's expf/logf
  under QEMU rv32 and M4: <= 0.85 and 0.81 ulp over [-20, 0] and [1, 1000]; glibc's are
  tighter), of the sum of K exponentials (<= (K-1)u relative) and 3 products: under (K + 12)u
  relative, on a value <= 1/N. We take k_terms = K + 16 at scale 1/N for dlogits and K + 16 at
  scale 1 for a row loss (log s <= log K plus z - max <= 8, relative rounding covered by rtol);
  the mean loss adds N terms of at most its largest row loss.
- SGD: v = m v + g + wd w is 3 terms of magnitude <= 1, w - lr v one more: k_terms = 4.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from compare import assert_exact, assert_f32_close, inputs_of

from qlr.errors import QlrError
from qlr.kernels.ops_f32 import ho, wo
from qlr.kernels.registry import get_op

SLOW_BOARDS = ("pulp-open",)


def core_counts(kernels, case: int) -> list[int]:
    """Team sizes for the case-th case of a kernel: the first case on 1, 3 and all the cores, the
    others on all the cores or on 3 in turn (uneven splits either way), so each kernel meets every
    team size without running every case three times: every tensor crosses the link (~10 KB/s
    to QEMU's emulated UART, semihosting files on GVSoC), which is also why the shapes are small."""
    sizes = {1, 3, kernels.team_max} if case == 0 else {(kernels.team_max, 3)[case % 2]}
    return sorted({min(c, kernels.team_max) for c in sizes})


def window(n, h, w, c, kh, kw, sh, sw, pads):
    pt, pb, pl, pr = pads
    return {"n": n, "height": h, "width": w, "c": c, "kh": kh, "kw": kw, "sh": sh, "sw": sw,
            "pad_top": pt, "pad_bottom": pb, "pad_left": pl, "pad_right": pr}


def run_all_cores(kernels, op: str, p: dict, seed: int, check, case: int) -> None:
    """Runs op on the team sizes of core_counts(case); check(got, ref, cores) compares every output."""
    spec = get_op(op)
    arrays = inputs_of(spec)(p, np.random.default_rng(seed))
    ref = spec.golden({k: v.copy() for k, v in arrays.items()}, p)
    for cores in core_counts(kernels, case):
        check(kernels.run(spec, arrays, p, cores=cores).outputs, ref, cores)


# ---- activations ------------------------------------------------------------------------------

@pytest.mark.parametrize("act", ["relu", "relu6"])
def test_activation_exact(kernels, act):
    for case, count in enumerate((1, 7, 203)):
        for pass_ in ("fw", "bw"):
            out = "y" if pass_ == "fw" else "dx"

            def check(got, ref, cores):
                assert_exact(got[out], ref[out], f"{act}_f32_{pass_} count={count} cores={cores}")

            run_all_cores(kernels, f"{act}_f32_{pass_}", {"count": count}, seed=count, check=check, case=case)


def test_activation_forward_keeps_nan(kernels):
    """The golden's maximum/clip propagate NaN; so must the firmware (a diverged run must show)."""
    for act in ("relu", "relu6"):
        spec = get_op(f"{act}_f32_fw")
        x = np.array([np.nan, -1.0, 3.0, 7.0, np.nan], np.float32)
        got = kernels.run(spec, {"x": x}, cores=kernels.team_max).outputs["y"]
        ref = spec.golden({"x": x}, {"count": 5})["y"]
        assert np.array_equal(got, ref, equal_nan=True), f"{act}: got {got}, golden {ref}"
        assert np.isnan(got[[0, 4]]).all()


# ---- average pooling ------------------------------------------------------------------------------

POOL = [
    (1, 1, 1, 1, 1, 1, 1, 1, (0, 0, 0, 0)),
    (3, 7, 11, 3, 3, 3, 2, 2, (1, 0, 2, 1)),    # stride 2, asymmetric padding
    (1, 7, 5, 13, 2, 2, 2, 2, (0, 0, 0, 0)),    # C = 13, stride = kernel; row 6 reached by no window
    (1, 7, 7, 5, 3, 2, 1, 2, (2, 0, 0, 1)),
    (2, 7, 7, 6, 3, 3, 3, 3, (0, 0, 0, 0)),     # input row/column 6 reached by no window
]


def test_avgpool(kernels):
    cases = POOL[:3] if kernels.board in SLOW_BOARDS else POOL
    for i, case in enumerate(cases):
        p = window(*case)
        taps = p["kh"] * p["kw"]

        def check_fw(got, ref, cores):
            assert_f32_close(got["y"], ref["y"], k_terms=taps + 1, scale=1 / taps, what=f"avgpool fw {p} cores={cores}")

        def check_bw(got, ref, cores):
            assert_f32_close(got["dx"], ref["dx"], k_terms=taps + 1, scale=1 / taps,
                             what=f"avgpool bw {p} cores={cores}")

        run_all_cores(kernels, "avgpool_f32_fw", p, seed=900 + i, check=check_fw, case=i)
        run_all_cores(kernels, "avgpool_f32_bw", p, seed=910 + i, check=check_bw, case=i)
        assert ho(p) >= 1 and wo(p) >= 1


@pytest.mark.parametrize("case,shape", enumerate([(1, 1, 1, 1), (3, 7, 11, 3), (1, 3, 3, 13)]))
def test_global_avgpool(kernels, case, shape):
    n, h, w, c = shape
    p = {"n": n, "height": h, "width": w, "c": c}

    def check_fw(got, ref, cores):
        assert_f32_close(got["y"], ref["y"], k_terms=h * w + 1, scale=1 / (h * w), what=f"global fw {shape} {cores}")

    def check_bw(got, ref, cores):
        assert_f32_close(got["dx"], ref["dx"], k_terms=1, scale=1 / (h * w), what=f"global bw {shape} {cores}")

    run_all_cores(kernels, "global_avgpool_f32_fw", p, seed=h * w, check=check_fw, case=case)
    run_all_cores(kernels, "global_avgpool_f32_bw", p, seed=h * w + 1, check=check_bw, case=case)


# ---- softmax cross-entropy ------------------------------------------------------------------------

@pytest.mark.parametrize("case,n,classes", [(0, 1, 1), (1, 3, 7), (2, 11, 50), (3, 7, 3)])
def test_softmax_xent(kernels, case, n, classes):
    p = {"n": n, "classes": classes}

    def check(got, ref, cores):
        what = f"softmax_xent n={n} K={classes} cores={cores}"
        assert_f32_close(got["dlogits"], ref["dlogits"], k_terms=classes + 16, scale=1 / n, what=what + " dlogits")
        assert_f32_close(got["row_loss"], ref["row_loss"], k_terms=classes + 16, what=what + " row_loss")
        worst = max(1.0, float(np.abs(ref["row_loss"]).max()))
        assert_f32_close(got["loss"], ref["loss"], k_terms=n + classes + 16, scale=worst, what=what + " loss")

    run_all_cores(kernels, "softmax_xent_f32", p, seed=n * 100 + classes, check=check, case=case)


def test_softmax_xent_is_stable_for_large_logits(kernels):
    """Logits of +-1000 overflow exp() without the max subtraction; the kernel must stay finite."""
    spec = get_op("softmax_xent_f32")
    logits = np.array([[1000.0, 999.0, -1000.0], [-1000.0, -1001.0, -999.5]], np.float32)
    labels = np.array([1, 2], np.int32)
    arrays = {"logits": logits, "labels": labels}
    ref = spec.golden(dict(arrays), {"n": 2, "classes": 3})
    got = kernels.run(spec, arrays, cores=kernels.team_max).outputs
    assert_f32_close(got["dlogits"], ref["dlogits"], k_terms=3 + 16, scale=0.5, what="large logits dlogits")
    # The loss of a row is log(s) + (max - z_label): max - z_label is exact here, log(s) ~ 1.
    assert_f32_close(got["row_loss"], ref["row_loss"], k_terms=3 + 16, what="large logits row_loss")


# ---- SGD ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("lr,momentum,wd", [(0.1, 0.9, 5e-4), (1e-3, 0.0, 0.0), (0.05, 0.9, 0.0)])
def test_sgd(kernels, lr, momentum, wd):
    for case, count in enumerate((1, 11, 203)):
        p = {"count": count, "lr": lr, "momentum": momentum, "weight_decay": wd}

        def check(got, ref, cores):
            assert_f32_close(got["v"], ref["v"], k_terms=4, what=f"sgd v {p} cores={cores}")
            assert_f32_close(got["w"], ref["w"], k_terms=4, what=f"sgd w {p} cores={cores}")

        run_all_cores(kernels, "sgd_f32", p, seed=count, check=check, case=case)


def test_sgd_two_steps_follow_the_golden(kernels):
    """The momentum buffer carries over: two device steps equal two golden steps."""
    spec = get_op("sgd_f32")
    p = {"count": 37, "lr": 0.1, "momentum": 0.9, "weight_decay": 5e-4}
    rng = np.random.default_rng(5)
    a = inputs_of(spec)(p, rng)
    a["v"][:] = 0
    g2 = rng.uniform(-1, 1, 37).astype(np.float32)
    ref1 = spec.golden({k: v.copy() for k, v in a.items()}, p)
    ref2 = spec.golden({"w": ref1["w"], "g": g2, "v": ref1["v"]}, p)
    got1 = kernels.run(spec, a, p, cores=kernels.team_max).outputs
    got2 = kernels.run(spec, {"w": got1["w"], "g": g2, "v": got1["v"]}, p, cores=kernels.team_max).outputs
    assert_f32_close(got2["w"], ref2["w"], k_terms=8, what="sgd w after two steps")
    assert_f32_close(got2["v"], ref2["v"], k_terms=8, what="sgd v after two steps")


# ---- the op checks name the parameter or tensor at fault --------------------------------------------

def _expect_device_error(kernels, op: str, arrays: dict, params: dict, needle: str) -> None:
    with pytest.raises(QlrError, match=needle):
        kernels.run(get_op(op), arrays, params, cores=1)


def test_checks_name_the_fault(kernels):
    rng = np.random.default_rng(3)
    # conv2d: a chunk of rows larger than L1 and the free L2 together
    spec = get_op("conv2d_f32_fw")
    p = {"n": 1, "height": 3, "width": 3, "cin": 2, "cout": 2, "kh": 3, "kw": 3, "sh": 1, "sw": 1, "pad_top": 1,
         "pad_bottom": 1, "pad_left": 1, "pad_right": 1, "use_bias": 1, "chunk_rows": 1 << 24}
    _expect_device_error(kernels, "conv2d_f32_fw", inputs_of(spec)(p, rng), p, "fits neither L1")
    # a flag out of range
    p2 = dict(p, chunk_rows=0, use_bias=2)
    _expect_device_error(kernels, "conv2d_f32_fw", spec.make_inputs(p2, rng), p2,
                         re.escape("parameter use_bias = 2 is outside [0, 1]"))
    # a negative padding: the host computes the shapes, the device names the parameter
    p3 = dict(p, chunk_rows=0, pad_left=-1, pad_right=3)
    _expect_device_error(kernels, "conv2d_f32_fw", spec.make_inputs(p3, rng), p3,
                         re.escape("parameter pad_left = -1 is outside [0, 65535]"))
    # average pooling with padding as wide as the window
    pp = window(1, 4, 4, 2, 2, 2, 1, 1, (2, 0, 0, 0))
    _expect_device_error(kernels, "avgpool_f32_fw", get_op("avgpool_f32_fw").make_inputs(pp, rng), pp,
                         "padding smaller than the window")
    # a label out of range
    xp = {"n": 3, "classes": 4}
    xa = get_op("softmax_xent_f32").make_inputs(xp, rng)
    xa["labels"][2] = 4
    _expect_device_error(kernels, "softmax_xent_f32", xa, xp, r"labels\[2\] = 4")

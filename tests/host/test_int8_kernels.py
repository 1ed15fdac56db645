"""int8 front-end kernels against (a) straightforward integer loops written here, bit for bit, and
(b) a float64 simulation of the real-valued layer, within 1 LSB.

The loop references use Python ints and exact rationals, so they share no code with the NumPy
kernels; the float references never touch the integer requantization at all.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from qlr.golden.int8_add import AddRequant, add_requant, qlr_add_u8
from qlr.golden.int8_conv import (
    conv2d_u8s8_accumulate,
    conv2d_u8s8_fold_bias,
    qlr_conv2d_u8s8,
    qlr_pwconv_u8s8,
)
from qlr.golden.int8_dwconv import dwconv2d_u8s8_fold_bias, qlr_dwconv2d_u8s8
from qlr.golden.int8_linear import linear_u8s8_accumulate, qlr_linear_u8s8
from qlr.golden.int8_pool import avgpool_requant, qlr_avgpool_u8
from qlr.golden.requant import Requant, quantize_multiplier

# ----------------------------------------------------------------------------- loop references


def rq_ref(acc: int, mult: int, shift: int, zp: int, lo: int, hi: int) -> int:
    """Round half up of acc * mult / 2**shift (exact rationals), add zp, clamp."""
    v = math.floor(Fraction(acc * mult, 2**shift) + Fraction(1, 2)) + zp
    return min(max(v, lo), hi)


def pad4(p) -> tuple[int, int, int, int]:
    if isinstance(p, int):
        return (p, p, p, p)
    if len(p) == 2:
        return (p[0], p[0], p[1], p[1])
    return tuple(p)


def loop_conv_acc(x, w, bias, zx, zw, stride, pad, depthwise=False):
    """Python-int accumulators of a conv (w [Cout,Kh,Kw,Cin]) or depthwise conv (w [Kh,Kw,C])."""
    n_, h, wd, cin = x.shape
    if depthwise:
        kh, kw, cout = w.shape
    else:
        cout, kh, kw, _ = w.shape
    sh, sw = stride
    t, b, l, r = pad4(pad)
    ho = (h + t + b - kh) // sh + 1
    wo = (wd + l + r - kw) // sw + 1
    out = np.zeros((n_, ho, wo, cout), dtype=object)
    for n in range(n_):
        for i in range(ho):
            for j in range(wo):
                for c in range(cout):
                    acc = int(bias[c])
                    for a in range(kh):
                        for bb in range(kw):
                            yy, xx = i * sh + a - t, j * sw + bb - l
                            chans = [c] if depthwise else range(cin)
                            for ci in chans:
                                xv = int(x[n, yy, xx, ci]) if 0 <= yy < h and 0 <= xx < wd else zx
                                wv = int(w[a, bb, c]) if depthwise else int(w[c, a, bb, ci])
                                acc += (xv - zx) * (wv - int(zw[c]))
                    out[n, i, j, c] = acc
    return out


def loop_requant(acc, rq: Requant):
    out = np.zeros(acc.shape, dtype=np.int64)
    c_ = acc.shape[-1]
    for idx in np.ndindex(acc.shape):
        c = idx[-1] if rq.channels == c_ else 0
        out[idx] = rq_ref(int(acc[idx]), int(rq.mult[c]), int(rq.shift[c]), rq.out_zp, rq.act_min, rq.act_max)
    return out


def assert_bit_exact(got: np.ndarray, ref: np.ndarray, what: str) -> None:
    got = np.asarray(got).astype(np.int64)
    ref = np.asarray(ref).astype(np.int64)
    assert got.shape == ref.shape, (what, got.shape, ref.shape)
    bad = np.argwhere(got != ref)
    assert bad.size == 0, (
        f"{what}: {len(bad)} of {got.size} differ; first at {bad[:5].tolist()}: "
        f"got {[int(got[tuple(i)]) for i in bad[:5]]} want {[int(ref[tuple(i)]) for i in bad[:5]]}"
    )


def not_saturated(y: np.ndarray, lo: int = 0, hi: int = 255) -> None:
    """Guard against vacuous tests: most outputs must be strictly inside the clamp range."""
    inside = np.mean((y > lo) & (y < hi))
    assert inside > 0.5, f"only {inside:.0%} of outputs inside ({lo}, {hi}): test data too extreme"


# ----------------------------------------------------------------------------- float layers


def quantize_weights(wf: np.ndarray, per_channel: bool, ch_axis: int, rng):
    """Weights float -> int8: per output channel symmetric, or per layer affine (paper's scheme)."""
    if per_channel:
        red = tuple(a for a in range(wf.ndim) if a != ch_axis)
        s = np.abs(wf).max(axis=red) / 127.0
        shape = [1] * wf.ndim
        shape[ch_axis] = -1
        q = np.clip(np.floor(wf / s.reshape(shape) + 0.5), -127, 127).astype(np.int8)
        return q, s, np.zeros_like(s, dtype=np.int64)
    lo, hi = min(wf.min(), 0.0), max(wf.max(), 0.0)
    s = (hi - lo) / 255.0
    zw = int(np.clip(np.floor(-128 - lo / s + 0.5), -128, 127))
    q = np.clip(np.floor(wf / s + 0.5) + zw, -128, 127).astype(np.int8)
    cout = wf.shape[ch_axis]
    return q, np.full(cout, s), np.full(cout, zw, dtype=np.int64)


def float_out(y_real: np.ndarray, s_y: float, z_y: int, lo: int, hi: int) -> np.ndarray:
    return np.clip(np.floor(y_real / s_y + 0.5) + z_y, lo, hi).astype(np.int64)


def float_conv(xr, wr, br, stride, pad, depthwise=False):
    """Real-valued conv (float64) on already padded-with-real-zero input; straightforward windows."""
    t, b, l, r = pad4(pad)
    xp = np.pad(xr, ((0, 0), (t, b), (l, r), (0, 0)))
    if depthwise:
        kh, kw, cout = wr.shape
    else:
        cout, kh, kw, _ = wr.shape
    sh, sw = stride
    ho = (xp.shape[1] - kh) // sh + 1
    wo = (xp.shape[2] - kw) // sw + 1
    out = np.zeros((xr.shape[0], ho, wo, cout))
    for i in range(ho):
        for j in range(wo):
            win = xp[:, i * sh : i * sh + kh, j * sw : j * sw + kw, :]
            if depthwise:
                out[:, i, j, :] = np.einsum("nabc,abc->nc", win, wr)
            else:
                out[:, i, j, :] = np.einsum("nabc,oabc->no", win, wr)
    return out + br


CONV_CASES = [
    # N, H, W, Cin, Cout, Kh, Kw, stride, padding, z_x, per_channel, activation
    (2, 7, 5, 3, 5, 3, 3, (2, 1), (1, 2, 0, 1), 0, True, "relu"),
    (1, 6, 6, 4, 3, 1, 1, (1, 1), 0, 17, False, "none"),
    (3, 5, 8, 2, 4, 5, 3, (1, 3), 2, 200, False, "relu6"),
    (1, 4, 4, 1, 2, 4, 4, (1, 1), 0, 0, True, "relu6"),
    (1, 3, 3, 2, 3, 3, 3, (2, 2), (0, 1), 5, True, "none"),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: f"{c[1]}x{c[2]}x{c[3]}-k{c[5]}{c[6]}-s{c[7]}")
def test_conv2d_bit_exact_and_float(case) -> None:
    n, h, w, cin, cout, kh, kw, stride, pad, zx, per_ch, act = case
    rng = np.random.default_rng(hash(case) % 2**32)
    s_x = 0.02
    x = rng.integers(0, 256, size=(n, h, w, cin), dtype=np.uint8)
    wf = rng.normal(0, 0.3, size=(cout, kh, kw, cin))
    bf = rng.normal(0, 0.5, size=cout)
    wq, s_w, zw = quantize_weights(wf, per_ch, 0, rng)
    bq = np.floor(bf / (s_x * s_w) + 0.5).astype(np.int32)
    # real output range from the float layer, so outputs spread over the u8 range
    w_real = s_w[:, None, None, None] * (wq.astype(np.float64) - zw[:, None, None, None])
    yr = float_conv(s_x * (x.astype(np.float64) - zx), w_real, bf, stride, pad)
    if act == "none":
        s_y = (yr.max() - yr.min()) / 255.0
        z_y = int(np.clip(np.floor(-yr.min() / s_y + 0.5), 0, 255))
    else:
        s_y = yr.max() / 255.0 if act == "relu" else 6.0 / 255.0 * max(1.0, yr.max() / 8.0)
        z_y = 0
    rq = Requant.from_real(s_x * s_w / s_y, out_zp=z_y, activation=act, out_scale=s_y)
    got = qlr_conv2d_u8s8(x, wq, bq, rq, in_zp=zx, w_zp=zw if per_ch else int(zw[0]), stride=stride, padding=pad)
    # (a) bit-exact against the loop reference
    ref_acc = loop_conv_acc(x, wq, bq, zx, zw, stride, pad)
    assert_bit_exact(conv2d_u8s8_accumulate(x, wq, bq, in_zp=zx, w_zp=zw, stride=stride, padding=pad), ref_acc, "conv2d acc")
    assert_bit_exact(got, loop_requant(ref_acc, rq), "conv2d out")
    # (b) within 1 LSB of the float-simulated layer (quantization of bias and multiplier
    # contribute far less than 1 LSB before the final rounding, so rounded values differ by <= 1)
    ref_f = float_out(yr, s_y, z_y, rq.act_min, rq.act_max)
    assert np.abs(got.astype(np.int64) - ref_f).max() <= 1
    if act != "relu6":
        not_saturated(got.astype(np.int64), rq.act_min - 1, rq.act_max + 1)


DW_CASES = [
    # N, H, W, C, Kh, Kw, stride, padding, z_x, per_channel
    (2, 7, 6, 5, 3, 3, (1, 1), 1, 0, True),
    (1, 9, 5, 3, 3, 3, (2, 2), (0, 1, 0, 1), 9, False),
    (2, 5, 5, 7, 5, 2, (1, 2), (2, 0), 128, True),
]


@pytest.mark.parametrize("case", DW_CASES, ids=lambda c: f"{c[1]}x{c[2]}x{c[3]}-k{c[4]}{c[5]}-s{c[6]}")
def test_dwconv2d_bit_exact_and_float(case) -> None:
    n, h, w, c, kh, kw, stride, pad, zx, per_ch = case
    rng = np.random.default_rng(hash(case) % 2**32)
    s_x = 0.05
    x = rng.integers(0, 256, size=(n, h, w, c), dtype=np.uint8)
    wf = rng.normal(0, 0.5, size=(kh, kw, c))
    bf = rng.normal(0, 0.2, size=c)
    wq, s_w, zw = quantize_weights(wf, per_ch, 2, rng)
    bq = np.floor(bf / (s_x * s_w) + 0.5).astype(np.int32)
    yr = float_conv(s_x * (x.astype(np.float64) - zx), s_w * (wq.astype(np.float64) - zw), bf, stride, pad, depthwise=True)
    s_y = max(yr.max(), 1e-3) / 255.0
    rq = Requant.from_real(s_x * s_w / s_y, out_zp=0, activation="relu", out_scale=s_y)
    got = qlr_dwconv2d_u8s8(x, wq, bq, rq, in_zp=zx, w_zp=zw if per_ch else int(zw[0]), stride=stride, padding=pad)
    ref_acc = loop_conv_acc(x, wq, bq, zx, zw, stride, pad, depthwise=True)
    assert_bit_exact(got, loop_requant(ref_acc, rq), "dwconv2d out")
    assert np.abs(got.astype(np.int64) - float_out(yr, s_y, 0, rq.act_min, rq.act_max)).max() <= 1
    assert np.mean(got > 0) > 0.2  # some positive outputs; ReLU zeros the rest


def test_pwconv_equals_loop_and_accepts_4d_weight() -> None:
    rng = np.random.default_rng(7)
    x = rng.integers(0, 256, size=(2, 3, 5, 11), dtype=np.uint8)
    w = rng.integers(-128, 128, size=(9, 11), dtype=np.int8)
    b = rng.integers(-(2**18), 2**18, size=9).astype(np.int32)
    mult, shift = quantize_multiplier(rng.uniform(1e-5, 3e-5, size=9))
    rq = Requant(mult, shift, out_zp=3, act_min=0, act_max=255)
    zw = rng.integers(-128, 128, size=9)
    got = qlr_pwconv_u8s8(x, w, b, rq, in_zp=4, w_zp=zw)
    ref = loop_requant(loop_conv_acc(x, w[:, None, None, :], b, 4, zw, (1, 1), 0), rq)
    assert_bit_exact(got, ref, "pwconv")
    assert_bit_exact(qlr_pwconv_u8s8(x, w.reshape(9, 1, 1, 11), b, rq, in_zp=4, w_zp=zw), ref, "pwconv 4-D weight")
    # strided pointwise conv (MobileNet never uses it, the kernel allows it)
    got2 = qlr_pwconv_u8s8(x, w, b, rq, in_zp=4, w_zp=zw, stride=2)
    ref2 = loop_requant(loop_conv_acc(x, w[:, None, None, :], b, 4, zw, (2, 2), 0), rq)
    assert_bit_exact(got2, ref2, "pwconv stride 2")
    not_saturated(got.astype(np.int64), -1, 256)


@pytest.mark.parametrize("n_in,n_out,zx,per_layer", [(1, 1, 0, False), (13, 7, 0, False), (29, 3, 77, True)])
def test_linear_bit_exact_and_float(n_in: int, n_out: int, zx: int, per_layer: bool) -> None:
    rng = np.random.default_rng(n_in * 100 + n_out)
    s_x = 0.03
    x = rng.integers(0, 256, size=(5, n_in), dtype=np.uint8)
    wf = rng.normal(0, 0.2, size=(n_out, n_in))
    bf = rng.normal(0, 0.3, size=n_out)
    wq, s_w, zw = quantize_weights(wf, not per_layer, 0, rng)
    bq = np.floor(bf / (s_x * s_w) + 0.5).astype(np.int32)
    yr = (s_x * (x.astype(np.float64) - zx)) @ (s_w[:, None] * (wq.astype(np.float64) - zw[:, None])).T + bf
    s_y = (yr.max() - yr.min()) / 255.0 + 1e-9
    z_y = int(np.clip(np.floor(-yr.min() / s_y + 0.5), 0, 255))
    rq = Requant.from_real(s_x * s_w / s_y, out_zp=z_y, activation="none", out_scale=s_y)
    got = qlr_linear_u8s8(x, wq, bq, rq, in_zp=zx, w_zp=int(zw[0]) if per_layer else zw)
    ref_acc = np.zeros((5, n_out), dtype=object)
    for i in range(5):
        for o in range(n_out):
            ref_acc[i, o] = int(bq[o]) + sum((int(x[i, k]) - zx) * (int(wq[o, k]) - int(zw[o])) for k in range(n_in))
    assert_bit_exact(got, loop_requant(ref_acc, rq), "linear")
    assert np.abs(got.astype(np.int64) - float_out(yr, s_y, z_y, 0, 255)).max() <= 1


def test_linear_large_fan_in_is_exact() -> None:
    # 60000 taps: partial sums up to ~2e9, far above float32 precision; must stay exact
    rng = np.random.default_rng(11)
    k = 60000
    x = rng.integers(0, 256, size=(3, k), dtype=np.uint8)
    w = rng.integers(-128, 128, size=(2, k), dtype=np.int8)
    acc = linear_u8s8_accumulate(x, w)
    assert_bit_exact(acc, x.astype(np.int64) @ w.astype(np.int64).T, "large fan-in")
    xs = np.full((1, k), 255, dtype=np.uint8)
    ws = np.full((1, k), -128, dtype=np.int8)
    assert int(linear_u8s8_accumulate(xs, ws)[0, 0]) == -k * 255 * 128


# ----------------------------------------------------------------------------- saturation


def test_accumulator_at_int32_extremes_and_overflow_rejected() -> None:
    k = 1000
    x = np.full((1, k), 255, dtype=np.uint8)
    w = np.full((1, k), 127, dtype=np.int8)  # affine zero point -128: centered weight 255
    top = 2**31 - 1 - k * 255 * 255
    b = np.array([top], dtype=np.int32)
    acc = linear_u8s8_accumulate(x, w, b, in_zp=0, w_zp=-128)
    assert int(acc[0, 0]) == 2**31 - 1
    rq = Requant(np.array([2**30]), np.array([31 + 23]))  # acc * 2^-24
    y = qlr_linear_u8s8(x, w, b, rq, in_zp=0, w_zp=-128)
    assert int(y[0, 0]) == 128  # (2^31 - 1) / 2^24 = 127.99999994 -> 128
    # the most negative reachable accumulator
    wneg = np.full((1, k), -128, dtype=np.int8)  # zero point 127: centered -255
    acc = linear_u8s8_accumulate(x, wneg, -b, in_zp=0, w_zp=127)
    assert int(acc[0, 0]) == -(2**31 - 1)
    assert int(qlr_linear_u8s8(x, wneg, -b, rq, in_zp=0, w_zp=127)[0, 0]) == 0  # clamps at 0
    # one more unit of bias makes the worst case exceed int32: rejected before computing
    with pytest.raises(ValueError, match="overflow"):
        linear_u8s8_accumulate(x, w, b + 1, in_zp=0, w_zp=-128)
    # a non-zero input zero point widens the firmware's folded partial sums: bound includes it
    with pytest.raises(ValueError, match="overflow"):
        linear_u8s8_accumulate(x, w, b, in_zp=1, w_zp=-128)


def test_output_clamping_none_relu_relu6() -> None:
    x = np.array([[200], [1], [0]], dtype=np.uint8)
    w = np.array([[127], [-127]], dtype=np.int8)
    big = Requant(np.array([2**30]), np.array([31]), out_zp=128, act_min=0, act_max=255)
    y = qlr_linear_u8s8(x, w, None, big).astype(int).tolist()
    # acc = 25400 / -25400 -> 12700 + 128 clamps to 255, -12700 + 128 clamps to 0
    assert y[0] == [255, 0]
    assert y[1] == [192, 65]  # acc 127 * 0.5 = 63.5 -> 64, -63.5 -> -63 (half up); + 128
    relu6 = Requant.from_real(0.5, out_zp=0, activation="relu6", out_scale=6.0 / 100.0)
    assert relu6.act_max == 100
    y6 = qlr_linear_u8s8(x, w, None, relu6).astype(int).tolist()
    assert y6[0] == [100, 0]  # capped at round(6 / S_y) = 100, negative side at 0


def test_fold_bias_firmware_form_equals_golden() -> None:
    rng = np.random.default_rng(5)
    x = rng.integers(0, 256, size=(2, 6, 5, 3), dtype=np.uint8)
    w = rng.integers(-128, 128, size=(4, 3, 3, 3), dtype=np.int8)
    b = rng.integers(-1000, 1000, size=4).astype(np.int32)
    zx, zw = 31, np.array([0, -5, 17, 127])
    golden = conv2d_u8s8_accumulate(x, w, b, in_zp=zx, w_zp=zw, stride=2, padding=1)
    beff = conv2d_u8s8_fold_bias(w, b, in_zp=zx, w_zp=zw)
    assert beff.dtype == np.int32
    # firmware form: raw uint8 inputs, padding = z_x, acc = b_eff + sum x * (w - z_w)
    xp = np.pad(x.astype(np.int64), ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=zx)
    wc = w.astype(np.int64) - zw[:, None, None, None]
    fw = np.zeros_like(golden)
    for i in range(golden.shape[1]):
        for j in range(golden.shape[2]):
            win = xp[:, 2 * i : 2 * i + 3, 2 * j : 2 * j + 3, :].reshape(2, -1)
            fw[:, i, j, :] = win @ wc.reshape(4, -1).T + beff
    assert_bit_exact(fw, golden, "folded conv")
    wd = rng.integers(-128, 128, size=(3, 3, 5), dtype=np.int8)
    bd = dwconv2d_u8s8_fold_bias(wd, None, in_zp=zx, w_zp=3)
    assert_bit_exact(bd, -zx * (wd.astype(np.int64) - 3).sum(axis=(0, 1)), "folded dw bias")


# ----------------------------------------------------------------------------- pooling / add


@pytest.mark.parametrize(
    "shape,kernel,stride,pad,zx",
    [((2, 7, 5, 3), 3, 2, 1, 0), ((1, 6, 6, 4), 2, None, 0, 9), ((3, 4, 4, 5), None, None, 0, 0), ((1, 5, 3, 2), None, None, 0, 100)],
)
def test_avgpool_bit_exact_and_float(shape, kernel, stride, pad, zx) -> None:
    rng = np.random.default_rng(sum(shape))
    x = rng.integers(0, 256, size=shape, dtype=np.uint8)
    n, h, w, c = shape
    kh, kw = (h, w) if kernel is None else (kernel, kernel)
    sh, sw = (kh, kw) if stride is None else (stride, stride)
    s_x, s_y = 0.1, 0.1
    rq = avgpool_requant(s_x, s_y, kh * kw, out_zp=zx)
    got = qlr_avgpool_u8(x, rq, in_zp=zx, kernel=kernel, stride=stride, padding=pad)
    ho = (h + 2 * pad - kh) // sh + 1
    wo = (w + 2 * pad - kw) // sw + 1
    ref = np.zeros((n, ho, wo, c), dtype=np.int64)
    fref = np.zeros((n, ho, wo, c), dtype=np.int64)
    for idx in np.ndindex(n, ho, wo, c):
        b, i, j, ch = idx
        tot = 0
        for a in range(kh):
            for d in range(kw):
                yy, xx = i * sh + a - pad, j * sw + d - pad
                tot += (int(x[b, yy, xx, ch]) if 0 <= yy < h and 0 <= xx < w else zx) - zx
        ref[idx] = rq_ref(tot, int(rq.mult[0]), int(rq.shift[0]), zx, 0, 255)
        fref[idx] = min(255, max(0, math.floor(s_x * tot / (kh * kw) / s_y + 0.5) + zx))
    assert_bit_exact(got, ref, "avgpool")
    assert np.abs(got.astype(np.int64) - fref).max() <= 1
    if kernel is None:
        assert got.shape == (n, 1, 1, c)


def test_avgpool_power_of_two_window_is_exact_mean_rounded_half_up() -> None:
    x = np.array([1, 2, 2, 2, 0, 0, 0, 3], dtype=np.uint8).reshape(1, 2, 4, 1)
    rq = avgpool_requant(1.0, 1.0, 4)
    # 2x2 windows: (1+2+0+0)/4 = 0.75 -> 1 ; (2+2+0+3)/4 = 1.75 -> 2
    assert qlr_avgpool_u8(x, rq, kernel=2).ravel().tolist() == [1, 2]
    x2 = np.array([1, 1, 0, 0], dtype=np.uint8).reshape(1, 2, 2, 1)  # mean 0.5 -> 1 (half up)
    assert qlr_avgpool_u8(x2, rq).ravel().tolist() == [1]


@pytest.mark.parametrize("sa,sb,sy,za,zb,zy,act", [(0.1, 0.05, 0.12, 0, 0, 0, "relu"),
                                                   (0.02, 0.3, 0.2, 128, 3, 100, "none"),
                                                   (1.0, 1.0, 2.0, 0, 0, 0, "none")])
def test_add_bit_exact_and_float(sa, sb, sy, za, zb, zy, act) -> None:
    rng = np.random.default_rng(int(sa * 1000 + sb * 100))
    a = rng.integers(0, 256, size=(2, 3, 5, 7), dtype=np.uint8)
    b = rng.integers(0, 256, size=(2, 3, 5, 7), dtype=np.uint8)
    rq = add_requant(sa, sb, sy, out_zp=zy, activation=act)
    assert 0 <= rq.mult_a < 2**21 and 0 <= rq.mult_b < 2**21 and 1 <= rq.shift <= 31
    got = qlr_add_u8(a, b, rq, a_zp=za, b_zp=zb)
    ref = np.zeros(a.shape, dtype=np.int64)
    fref = np.zeros(a.shape, dtype=np.int64)
    for idx in np.ndindex(a.shape):
        acc = (int(a[idx]) - za) * rq.mult_a + (int(b[idx]) - zb) * rq.mult_b
        assert -(2**31) <= acc + (1 << (rq.shift - 1)) < 2**31  # int32 on the device
        ref[idx] = min(max(math.floor(Fraction(acc, 2**rq.shift) + Fraction(1, 2)) + zy, rq.act_min), rq.act_max)
        real = sa * (int(a[idx]) - za) + sb * (int(b[idx]) - zb)
        fref[idx] = min(max(math.floor(real / sy + 0.5) + zy, rq.act_min), rq.act_max)
    assert_bit_exact(got, ref, "add")
    assert np.abs(got.astype(np.int64) - fref).max() <= 1


def test_add_exact_halves_and_int32_extremes() -> None:
    # S_a = S_b = 1, S_y = 2: y = (a + b) / 2, halves round up, exactly
    rq = add_requant(1.0, 1.0, 2.0)
    a = np.array([1, 0, 255, 254], dtype=np.uint8)
    b = np.array([0, 0, 255, 255], dtype=np.uint8)
    assert qlr_add_u8(a, b, rq).tolist() == [1, 0, 255, 255]
    # negative halves with zero points z_a = 1, z_b = 255, z_y = 50:
    # (0-1) + (255-255) = -1 -> -0.5 -> 0 -> 50 ; (0-1) + (253-255) = -3 -> -1.5 -> -1 -> 49
    rq2 = AddRequant(rq.mult_a, rq.mult_b, rq.shift, out_zp=50)
    got = qlr_add_u8(np.array([0, 0], np.uint8), np.array([255, 253], np.uint8), rq2, a_zp=1, b_zp=255)
    assert got.tolist() == [50, 49]
    # worst case for int32: largest multipliers and shift, inputs at the far ends
    big = AddRequant(2**21 - 1, 2**21 - 1, 31)
    ext = np.array([255], np.uint8)
    assert qlr_add_u8(ext, ext, big).tolist() == [0]  # (2*255*(2^21-1)) / 2^31 = 0.498 -> 0
    with pytest.raises(ValueError):
        AddRequant(2**21, 1, 5)
    with pytest.raises(ValueError):
        add_requant(2.0**21, 1.0, 1.0)


# ----------------------------------------------------------------------------- argument checks


def test_kernels_reject_bad_arguments() -> None:
    x = np.zeros((1, 4, 4, 2), np.uint8)
    w = np.zeros((3, 3, 3, 2), np.int8)
    rq = Requant(np.array([1]), np.array([1]))
    with pytest.raises(TypeError):
        qlr_conv2d_u8s8(x.astype(np.int16), w, None, rq)
    with pytest.raises(TypeError):
        qlr_conv2d_u8s8(x, w.astype(np.int16), None, rq)
    with pytest.raises(ValueError, match="input channels"):
        qlr_conv2d_u8s8(x, np.zeros((3, 3, 3, 5), np.int8), None, rq)
    with pytest.raises(ValueError, match="does not fit"):
        qlr_conv2d_u8s8(x, np.zeros((3, 5, 5, 2), np.int8), None, rq)
    with pytest.raises(ValueError, match="zero point"):
        qlr_conv2d_u8s8(x, w, None, rq, in_zp=256)
    with pytest.raises(ValueError, match="zero point"):
        qlr_conv2d_u8s8(x, w, None, rq, w_zp=200)
    with pytest.raises(TypeError, match="bias"):
        qlr_conv2d_u8s8(x, w, np.zeros(3, np.int64), rq)
    with pytest.raises(ValueError, match="channels"):
        qlr_conv2d_u8s8(x, w, None, Requant(np.array([1, 1]), np.array([1, 1])))
    with pytest.raises(ValueError, match="stride"):
        qlr_dwconv2d_u8s8(x, np.zeros((3, 3, 2), np.int8), None, rq, stride=0)
    with pytest.raises(ValueError, match="padding"):
        qlr_dwconv2d_u8s8(x, np.zeros((3, 3, 2), np.int8), None, rq, padding=(1, 2, 3))  # type: ignore[arg-type]  # a 3-tuple on purpose
    with pytest.raises(ValueError, match="shapes differ"):
        qlr_add_u8(x, np.zeros((1, 4, 4, 3), np.uint8), add_requant(1.0, 1.0, 1.0))

"""int8 inference kernels: standard 2-D convolution and pointwise (1x1) convolution.

Conventions: batch-first NHWC activations (uint8), weights ``[Cout][Kh][Kw][Cin]`` (int8), pointwise
weights ``[Cout][Cin]`` (``[Cout][1][1][Cin]`` is accepted too), int32 bias ``[Cout]``.

For output element ``(n, i, j, c)`` the int32 accumulator is::

    acc = bias[c] + sum_{kh, kw, ci} (x[n, i*sh + kh - pt, j*sw + kw - pl, ci] - z_x) * (w[c, kh, kw, ci] - z_w[c])

where input positions outside the image (padding) hold ``z_x``, i.e. contribute exactly zero.
The output is ``requantize(acc)`` (`qlr.golden.requant`: one int64 multiply, round half up by
adding ``1 << (shift-1)`` and shifting right arithmetically, add ``z_y``, clamp to the activation
range). ``z_w`` is 0 for symmetric per-channel weights, or the layer's zero point for the paper's
per-layer affine weights. int32 overflow is excluded up front by `check_accumulator_bound`.
"""

from __future__ import annotations

import numpy as np

from qlr.golden.int8_common import (
    Padding,
    as_padding,
    as_pair,
    bias_vector,
    check_accumulator_bound,
    check_s8,
    check_u8,
    check_zp_u8,
    fold_bias,
    out_size,
    pad_u8,
    to_int64_exact,
    weight_zp_vector,
)
from qlr.golden.requant import Requant, requantize

# Rows of the float64 working set per chunk (keeps memory bounded on big batches).
_CHUNK_ELEMS = 1 << 22


def conv2d_u8s8_accumulate(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | None = None,
    *,
    in_zp: int = 0,
    w_zp: int | np.ndarray = 0,
    stride: int | tuple[int, int] = 1,
    padding: Padding = 0,
) -> np.ndarray:
    """The int32 accumulators (as int64) of `qlr_conv2d_u8s8`, before requantization: ``[N, Ho, Wo, Cout]``."""
    x = check_u8(x, "conv2d input x", 4)
    w = check_s8(w, "conv2d weight w", 4)
    n, h, wd, cin = x.shape
    cout, kh, kw, wcin = w.shape
    if wcin != cin:
        raise ValueError(f"conv2d: weight has {wcin} input channels, input has {cin}")
    sh, sw = as_pair(stride, "conv2d stride")
    pad = as_padding(padding)
    ho = out_size(h, kh, sh, pad[0], pad[1], "conv2d height")
    wo = out_size(wd, kw, sw, pad[2], pad[3], "conv2d width")
    zx = check_zp_u8(in_zp, "conv2d input zero point")
    zw = weight_zp_vector(w_zp, cout)
    b = bias_vector(bias, cout)
    wc = w.astype(np.int64) - zw[:, None, None, None]  # centered weights [Cout, Kh, Kw, Cin]
    check_accumulator_bound(
        np.abs(wc).reshape(cout, -1).max(axis=1), kh * kw * cin, zx, b, "conv2d"
    )
    wf = wc.astype(np.float64)
    acc = np.empty((n, ho, wo, cout), dtype=np.int64)
    per_image = (h + pad[0] + pad[1]) * (wd + pad[2] + pad[3]) * cin + ho * wo * (cin + cout)
    step = max(1, _CHUNK_ELEMS // max(1, per_image))
    for n0 in range(0, n, step):
        xp = pad_u8(x[n0 : n0 + step], pad, zx).astype(np.float64) - zx
        a = np.zeros((xp.shape[0], ho, wo, cout), dtype=np.float64)
        for i in range(kh):
            for j in range(kw):
                tap = xp[:, i : i + sh * (ho - 1) + 1 : sh, j : j + sw * (wo - 1) + 1 : sw, :]
                a += tap @ wf[:, i, j, :].T
        acc[n0 : n0 + step] = to_int64_exact(a) + b
    return acc


def qlr_conv2d_u8s8(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | None,
    rq: Requant,
    *,
    in_zp: int = 0,
    w_zp: int | np.ndarray = 0,
    stride: int | tuple[int, int] = 1,
    padding: Padding = 0,
) -> np.ndarray:
    """int8 2-D convolution, any kernel size, stride and padding; returns uint8 ``[N, Ho, Wo, Cout]``.

    ``x`` uint8 NHWC with zero point ``in_zp``; ``w`` int8 ``[Cout, Kh, Kw, Cin]`` with zero point
    ``w_zp`` (scalar per layer or ``[Cout]``); ``bias`` int32 ``[Cout]`` or None; ``rq`` per-channel
    or per-layer requantization. ``padding``: int, ``(ph, pw)`` or ``(top, bottom, left, right)``;
    padded positions hold ``in_zp``. See the module docstring for the exact arithmetic.
    """
    acc = conv2d_u8s8_accumulate(x, w, bias, in_zp=in_zp, w_zp=w_zp, stride=stride, padding=padding)
    rq.check_channels(acc.shape[-1])
    return requantize(acc, rq)


def _pw_weight(w: np.ndarray) -> np.ndarray:
    w = check_s8(w, "pwconv weight w")
    if w.ndim == 4:
        if w.shape[1:3] != (1, 1):
            raise ValueError(f"pwconv weight must be [Cout, 1, 1, Cin], got {w.shape}")
        w = w.reshape(w.shape[0], w.shape[3])
    if w.ndim != 2:
        raise ValueError(f"pwconv weight must be [Cout, Cin], got shape {w.shape}")
    return w


def pwconv_u8s8_accumulate(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | None = None,
    *,
    in_zp: int = 0,
    w_zp: int | np.ndarray = 0,
    stride: int | tuple[int, int] = 1,
) -> np.ndarray:
    """The accumulators of `qlr_pwconv_u8s8`: ``[N, Ho, Wo, Cout]`` int64 (values fit int32)."""
    w2 = _pw_weight(w)
    return conv2d_u8s8_accumulate(
        x, w2[:, None, None, :], bias, in_zp=in_zp, w_zp=w_zp, stride=stride, padding=0
    )


def qlr_pwconv_u8s8(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | None,
    rq: Requant,
    *,
    in_zp: int = 0,
    w_zp: int | np.ndarray = 0,
    stride: int | tuple[int, int] = 1,
) -> np.ndarray:
    """int8 pointwise (1x1) convolution, no padding; same arithmetic as `qlr_conv2d_u8s8` with Kh = Kw = 1.

    ``w`` is ``[Cout, Cin]`` (or ``[Cout, 1, 1, Cin]``). The firmware treats it as a matrix product
    ``[N*H*W, Cin] x [Cin, Cout]``.
    """
    acc = pwconv_u8s8_accumulate(x, w, bias, in_zp=in_zp, w_zp=w_zp, stride=stride)
    rq.check_channels(acc.shape[-1])
    return requantize(acc, rq)


def conv2d_u8s8_fold_bias(
    w: np.ndarray, bias: np.ndarray | None, *, in_zp: int = 0, w_zp: int | np.ndarray = 0
) -> np.ndarray:
    """Per-output-channel folded bias for the firmware's inner loop (int32 ``[Cout]``).

    ``bias_eff[c] = bias[c] - z_x * sum_{kh,kw,ci} (w[c,kh,kw,ci] - z_w[c])``; then
    ``acc = bias_eff[c] + sum x * (w - z_w[c])`` over raw uint8 inputs (padding = ``z_x``) equals the
    golden accumulator exactly. Works for conv2d ``[Cout,Kh,Kw,Cin]``, pointwise ``[Cout,Cin]`` and
    linear ``[Out,In]`` weights.
    """
    w = check_s8(w, "weight w")
    cout = w.shape[0]
    zw = weight_zp_vector(w_zp, cout)
    s = w.reshape(cout, -1).astype(np.int64).sum(axis=1) - zw * (w.size // cout)
    return fold_bias(s, bias_vector(bias, cout), check_zp_u8(in_zp, "input zero point"))

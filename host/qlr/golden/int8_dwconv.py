"""int8 inference kernel: depthwise 2-D convolution (channel multiplier 1).

Conventions: NHWC uint8 input ``[N, H, W, C]``, weights ``[Kh][Kw][C]`` (int8), int32 bias ``[C]``.
For output element ``(n, i, j, c)``::

    acc = bias[c] + sum_{kh, kw} (x[n, i*sh + kh - pt, j*sw + kw - pl, c] - z_x) * (w[kh, kw, c] - z_w[c])

padded positions hold ``z_x``; the output is ``requantize(acc)`` with per-channel (or per-layer)
``mult``/``shift`` as defined in `qlr.golden.requant` (round half up, add ``z_y``, clamp).
The accumulator has ``K = Kh*Kw`` taps; `check_accumulator_bound` excludes int32 overflow.
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

_CHUNK_ELEMS = 1 << 22


def dwconv2d_u8s8_accumulate(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | None = None,
    *,
    in_zp: int = 0,
    w_zp: int | np.ndarray = 0,
    stride: int | tuple[int, int] = 1,
    padding: Padding = 0,
) -> np.ndarray:
    """The int32 accumulators (as int64) of `qlr_dwconv2d_u8s8`: ``[N, Ho, Wo, C]``."""
    x = check_u8(x, "dwconv2d input x", 4)
    w = check_s8(w, "dwconv2d weight w", 3)
    n, h, wd, c = x.shape
    kh, kw, wc_ = w.shape
    if wc_ != c:
        raise ValueError(f"dwconv2d: weight has {wc_} channels, input has {c}")
    sh, sw = as_pair(stride, "dwconv2d stride")
    pad = as_padding(padding)
    ho = out_size(h, kh, sh, pad[0], pad[1], "dwconv2d height")
    wo = out_size(wd, kw, sw, pad[2], pad[3], "dwconv2d width")
    zx = check_zp_u8(in_zp, "dwconv2d input zero point")
    zw = weight_zp_vector(w_zp, c)
    b = bias_vector(bias, c)
    wc = w.astype(np.int64) - zw[None, None, :]
    check_accumulator_bound(np.abs(wc).reshape(-1, c).max(axis=0), kh * kw, zx, b, "dwconv2d")
    wf = wc.astype(np.float64)
    acc = np.empty((n, ho, wo, c), dtype=np.int64)
    per_image = (h + pad[0] + pad[1]) * (wd + pad[2] + pad[3]) * c + 2 * ho * wo * c
    step = max(1, _CHUNK_ELEMS // max(1, per_image))
    for n0 in range(0, n, step):
        xp = pad_u8(x[n0 : n0 + step], pad, zx).astype(np.float64) - zx
        a = np.zeros((xp.shape[0], ho, wo, c), dtype=np.float64)
        for i in range(kh):
            for j in range(kw):
                a += xp[:, i : i + sh * (ho - 1) + 1 : sh, j : j + sw * (wo - 1) + 1 : sw, :] * wf[i, j]
        acc[n0 : n0 + step] = to_int64_exact(a) + b
    return acc


def qlr_dwconv2d_u8s8(
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
    """int8 depthwise convolution; returns uint8 ``[N, Ho, Wo, C]``.

    ``w`` is ``[Kh, Kw, C]``; ``w_zp`` a scalar or ``[C]``; ``padding`` an int, ``(ph, pw)`` or
    ``(top, bottom, left, right)``. See the module docstring for the exact arithmetic.
    """
    acc = dwconv2d_u8s8_accumulate(x, w, bias, in_zp=in_zp, w_zp=w_zp, stride=stride, padding=padding)
    rq.check_channels(acc.shape[-1])
    return requantize(acc, rq)


def dwconv2d_u8s8_fold_bias(
    w: np.ndarray, bias: np.ndarray | None, *, in_zp: int = 0, w_zp: int | np.ndarray = 0
) -> np.ndarray:
    """Folded bias ``bias[c] - z_x * sum_{kh,kw} (w[kh,kw,c] - z_w[c])`` (int32 ``[C]``) for the firmware."""
    w = check_s8(w, "dwconv2d weight w", 3)
    c = w.shape[2]
    zw = weight_zp_vector(w_zp, c)
    s = w.reshape(-1, c).astype(np.int64).sum(axis=0) - zw * (w.shape[0] * w.shape[1])
    return fold_bias(s, bias_vector(bias, c), check_zp_u8(in_zp, "input zero point"))

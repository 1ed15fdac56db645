"""uint8 inference kernel: average pooling, windowed and global.

Input ``[N, H, W, C]`` uint8 with zero point ``z_x``. For a window of ``K = Kh*Kw`` taps::

    acc = sum_{kh, kw} (x[n, i*sh + kh - pt, j*sw + kw - pl, c] - z_x)      # int32, |acc| <= 255*K
    y   = clamp(z_y + ((acc * mult + (1 << (shift-1))) >> shift), act_min, act_max)

with ``mult * 2**-shift ~= S_x / (K * S_y)`` (see `avgpool_requant`); i.e. the mean is taken over
all ``K`` taps, padded positions hold ``z_x`` and count in ``K`` (count-include-pad), so one
multiplier serves every output position. With ``S_y = S_x`` and ``K`` a power of two the multiplier
is exact. The rounding is the same round half up as every other kernel (`qlr.golden.requant`).
Global pooling is the window ``(H, W)`` with output ``[N, 1, 1, C]``.
"""

from __future__ import annotations

import numpy as np

from qlr.golden.int8_common import (
    Padding,
    as_padding,
    as_pair,
    check_u8,
    check_zp_u8,
    out_size,
    pad_u8,
)
from qlr.golden.requant import INT32_MAX, Requant, requantize


def avgpool_requant(
    in_scale: float, out_scale: float, taps: int, out_zp: int = 0, activation: str = "none"
) -> Requant:
    """The per-layer `Requant` of an average pool: multiplier ``S_x / (K * S_y)``."""
    if taps < 1:
        raise ValueError(f"avgpool: window must have >= 1 taps, got {taps}")
    return Requant.from_real(in_scale / (taps * out_scale), out_zp, activation, out_scale)


def avgpool_u8_accumulate(
    x: np.ndarray,
    *,
    in_zp: int = 0,
    kernel: int | tuple[int, int] | None = None,
    stride: int | tuple[int, int] | None = None,
    padding: Padding = 0,
) -> np.ndarray:
    """Window sums ``sum (x - z_x)`` as int64 ``[N, Ho, Wo, C]``; ``kernel=None`` is global pooling."""
    x = check_u8(x, "avgpool input x", 4)
    n, h, wd, c = x.shape
    kh, kw = (h, wd) if kernel is None else as_pair(kernel, "avgpool kernel")
    sh, sw = (kh, kw) if stride is None else as_pair(stride, "avgpool stride")
    pad = as_padding(padding)
    ho = out_size(h, kh, sh, pad[0], pad[1], "avgpool height")
    wo = out_size(wd, kw, sw, pad[2], pad[3], "avgpool width")
    if 255 * kh * kw > INT32_MAX:
        raise ValueError(f"avgpool: window of {kh * kw} taps could overflow the int32 sum")
    zx = check_zp_u8(in_zp, "avgpool input zero point")
    xp = pad_u8(x, pad, zx).astype(np.int64)
    acc = np.zeros((n, ho, wo, c), dtype=np.int64)
    for i in range(kh):
        for j in range(kw):
            acc += xp[:, i : i + sh * (ho - 1) + 1 : sh, j : j + sw * (wo - 1) + 1 : sw, :]
    return acc - kh * kw * zx


def qlr_avgpool_u8(
    x: np.ndarray,
    rq: Requant,
    *,
    in_zp: int = 0,
    kernel: int | tuple[int, int] | None = None,
    stride: int | tuple[int, int] | None = None,
    padding: Padding = 0,
) -> np.ndarray:
    """uint8 average pooling; ``kernel=None`` pools globally; ``stride`` defaults to the kernel.

    ``rq`` is normally per layer (one mult/shift) built by `avgpool_requant`; a per-channel
    ``rq`` is accepted too. Returns uint8 ``[N, Ho, Wo, C]``.
    """
    acc = avgpool_u8_accumulate(x, in_zp=in_zp, kernel=kernel, stride=stride, padding=padding)
    rq.check_channels(acc.shape[-1])
    return requantize(acc, rq)

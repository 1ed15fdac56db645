"""FP32 average pooling: windowed (any kernel, stride, zero padding) and global.

Windowed: every output is the sum of its Kh x Kw window divided by Kh*Kw, zero padding
included in the count (padding must be smaller than the kernel). Output size as in `conv2d`.
Global: y [N][1][1][C] = mean of x over H and W.
"""

from __future__ import annotations

import numpy as np

from qlr.golden._common import PairLike, QuadLike, check_nhwc, compute_dtype, pad_nhwc, tap_slice, window_geometry


def qlr_avgpool_f32_fw(x: np.ndarray, kernel: PairLike, stride: PairLike | None = None, padding: QuadLike = (0, 0, 0, 0)) -> np.ndarray:
    """Windowed average pooling; stride defaults to the kernel. Returns [N][Ho][Wo][C]."""
    check_nhwc(x)
    dt = compute_dtype(x)
    kh, kw, sh, sw, pad, ho, wo = window_geometry(x.shape[1:3], kernel, kernel if stride is None else stride, padding)
    xp = pad_nhwc(x.astype(dt, copy=False), pad)
    y = np.zeros((x.shape[0], ho, wo, x.shape[3]), dt)
    for i in range(kh):
        for j in range(kw):
            y += xp[tap_slice(i, j, sh, sw, ho, wo)]
    y *= dt.type(1.0 / (kh * kw))
    return y


def qlr_avgpool_f32_bw(dy: np.ndarray, input_hw: tuple[int, int], kernel: PairLike, stride: PairLike | None = None,
                       padding: QuadLike = (0, 0, 0, 0)) -> np.ndarray:
    """Input gradient of windowed average pooling; `input_hw` = (H, W) of x."""
    check_nhwc(dy, "dy")
    dt = compute_dtype(dy)
    h, wd = int(input_hw[0]), int(input_hw[1])
    kh, kw, sh, sw, (pt, pb, pl, pr), ho, wo = window_geometry((h, wd), kernel, kernel if stride is None else stride, padding)
    if dy.shape[1:3] != (ho, wo):
        raise ValueError(f"dy has spatial shape {dy.shape[1:3]}, expected {(ho, wo)}")
    g = dy.astype(dt, copy=False) * dt.type(1.0 / (kh * kw))
    dxp = np.zeros((dy.shape[0], h + pt + pb, wd + pl + pr, dy.shape[3]), dt)
    for i in range(kh):
        for j in range(kw):
            dxp[tap_slice(i, j, sh, sw, ho, wo)] += g
    return dxp[:, pt : pt + h, pl : pl + wd, :]


def qlr_global_avgpool_f32_fw(x: np.ndarray) -> np.ndarray:
    """Global average pooling: [N][H][W][C] -> [N][1][1][C]."""
    check_nhwc(x)
    dt = compute_dtype(x)
    return x.astype(dt, copy=False).mean(axis=(1, 2), keepdims=True, dtype=dt)


def qlr_global_avgpool_f32_bw(dy: np.ndarray, input_hw: tuple[int, int]) -> np.ndarray:
    """Input gradient: dy [N][1][1][C] spread evenly over the H x W input."""
    check_nhwc(dy, "dy")
    dt = compute_dtype(dy)
    h, w = int(input_hw[0]), int(input_hw[1])
    g = dy.astype(dt, copy=False) * dt.type(1.0 / (h * w))
    return np.broadcast_to(g, (dy.shape[0], h, w, dy.shape[3])).copy()

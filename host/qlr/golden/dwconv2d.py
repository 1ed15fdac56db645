"""FP32 depthwise 2-D convolution (one filter per channel, depth multiplier 1).

Shapes: x [N][H][W][C], w [Kh][Kw][C], b [C], y [N][Ho][Wo][C]; padding and output size as in
`conv2d`:

    y[n, p, q, c] = b[c] + sum_{i, j} w[i, j, c] * xpad[n, p*sh + i, q*sw + j, c]

Vectorised over the batch and all pixels; the only Python loop is over the Kh*Kw kernel taps.
"""

from __future__ import annotations

import numpy as np

from qlr.golden._common import PairLike, QuadLike, check_nhwc, compute_dtype, pad_nhwc, tap_slice, window_geometry


def qlr_dwconv2d_f32_fw(x: np.ndarray, w: np.ndarray, b: np.ndarray | None,
                        stride: PairLike = (1, 1), padding: QuadLike = (0, 0, 0, 0)) -> np.ndarray:
    """Forward. b may be None. Returns [N][Ho][Wo][C]."""
    check_nhwc(x)
    dt = compute_dtype(x, w, b)
    kh, kw, c = w.shape
    if x.shape[3] != c:
        raise ValueError(f"x has {x.shape[3]} channels, w expects {c}")
    kh, kw, sh, sw, pad, ho, wo = window_geometry(x.shape[1:3], (kh, kw), stride, padding)
    xp = pad_nhwc(x.astype(dt, copy=False), pad)
    wt = w.astype(dt, copy=False)
    y = np.zeros((x.shape[0], ho, wo, c), dt)
    for i in range(kh):
        for j in range(kw):
            y += xp[tap_slice(i, j, sh, sw, ho, wo)] * wt[i, j]
    if b is not None:
        y += b.astype(dt, copy=False)
    return y


def qlr_dwconv2d_f32_bw_input(dy: np.ndarray, w: np.ndarray, input_hw: tuple[int, int],
                              stride: PairLike = (1, 1), padding: QuadLike = (0, 0, 0, 0)) -> np.ndarray:
    """Input gradient dx [N][H][W][C] from dy [N][Ho][Wo][C]; `input_hw` = (H, W) of x."""
    check_nhwc(dy, "dy")
    dt = compute_dtype(dy, w)
    kh, kw, c = w.shape
    h, wd = int(input_hw[0]), int(input_hw[1])
    kh, kw, sh, sw, (pt, pb, pl, pr), ho, wo = window_geometry((h, wd), (kh, kw), stride, padding)
    if dy.shape[1:] != (ho, wo, c):
        raise ValueError(f"dy has shape {dy.shape[1:]}, expected {(ho, wo, c)}")
    dyt = dy.astype(dt, copy=False)
    wt = w.astype(dt, copy=False)
    dxp = np.zeros((dy.shape[0], h + pt + pb, wd + pl + pr, c), dt)
    for i in range(kh):
        for j in range(kw):
            dxp[tap_slice(i, j, sh, sw, ho, wo)] += dyt * wt[i, j]
    return dxp[:, pt : pt + h, pl : pl + wd, :]


def qlr_dwconv2d_f32_bw_weight(x: np.ndarray, dy: np.ndarray, kernel: tuple[int, int],
                               stride: PairLike = (1, 1), padding: QuadLike = (0, 0, 0, 0)) -> tuple[np.ndarray, np.ndarray]:
    """Weight and bias gradients (dw [Kh][Kw][C], db [C]), summed over the batch."""
    check_nhwc(x)
    check_nhwc(dy, "dy")
    dt = compute_dtype(x, dy)
    kh, kw, sh, sw, pad, ho, wo = window_geometry(x.shape[1:3], kernel, stride, padding)
    c = x.shape[3]
    if dy.shape != (x.shape[0], ho, wo, c):
        raise ValueError(f"dy has shape {dy.shape}, expected {(x.shape[0], ho, wo, c)}")
    xp = pad_nhwc(x.astype(dt, copy=False), pad)
    dyt = dy.astype(dt, copy=False)
    dyf = dyt.reshape(-1, c)
    dw = np.empty((kh, kw, c), dt)
    for i in range(kh):
        for j in range(kw):
            xs = xp[tap_slice(i, j, sh, sw, ho, wo)].reshape(-1, c)
            dw[i, j] = np.einsum("mc,mc->c", xs, dyf)
    return dw, dyf.sum(axis=0)

"""FP32 pointwise (1x1, stride 1, no padding) convolution: a matmul over all pixels.

Shapes: x [N][H][W][Cin], w [Cout][Cin] (the memory order of [Cout][1][1][Cin]), b [Cout],
y [N][H][W][Cout]:  y[n, p, q, o] = b[o] + sum_c w[o, c] * x[n, p, q, c].
"""

from __future__ import annotations

import numpy as np

from qlr.golden._common import check_nhwc, compute_dtype


def _w2(w: np.ndarray) -> np.ndarray:
    if w.ndim == 4:  # accept [Cout][1][1][Cin]
        if w.shape[1:3] != (1, 1):
            raise ValueError(f"a pointwise weight must be [Cout][Cin] or [Cout][1][1][Cin], got {w.shape}")
        return w.reshape(w.shape[0], w.shape[3])
    if w.ndim != 2:
        raise ValueError(f"a pointwise weight must be [Cout][Cin], got shape {w.shape}")
    return w


def qlr_pwconv_f32_fw(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """Forward. b may be None. Returns [N][H][W][Cout]."""
    check_nhwc(x)
    w = _w2(w)
    dt = compute_dtype(x, w, b)
    if x.shape[3] != w.shape[1]:
        raise ValueError(f"x has {x.shape[3]} channels, w expects {w.shape[1]}")
    y = x.astype(dt, copy=False).reshape(-1, w.shape[1]) @ w.astype(dt, copy=False).T
    if b is not None:
        y += b.astype(dt, copy=False)
    return y.reshape(x.shape[:3] + (w.shape[0],))


def qlr_pwconv_f32_bw_input(dy: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Input gradient dx [N][H][W][Cin] = dy @ w."""
    check_nhwc(dy, "dy")
    w = _w2(w)
    dt = compute_dtype(dy, w)
    if dy.shape[3] != w.shape[0]:
        raise ValueError(f"dy has {dy.shape[3]} channels, w has {w.shape[0]} outputs")
    dx = dy.astype(dt, copy=False).reshape(-1, w.shape[0]) @ w.astype(dt, copy=False)
    return dx.reshape(dy.shape[:3] + (w.shape[1],))


def qlr_pwconv_f32_bw_weight(x: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weight and bias gradients (dw [Cout][Cin], db [Cout]), summed over batch and pixels."""
    check_nhwc(x)
    check_nhwc(dy, "dy")
    dt = compute_dtype(x, dy)
    if x.shape[:3] != dy.shape[:3]:
        raise ValueError(f"x {x.shape} and dy {dy.shape} differ in N, H or W")
    dy2 = dy.astype(dt, copy=False).reshape(-1, dy.shape[3])
    dw = dy2.T @ x.astype(dt, copy=False).reshape(-1, x.shape[3])
    return dw, dy2.sum(axis=0)

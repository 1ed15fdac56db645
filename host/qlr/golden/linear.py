"""FP32 fully connected layer.

Shapes: x [N][In], w [Out][In], b [Out], y [N][Out]:  y[n, o] = b[o] + sum_i w[o, i] * x[n, i].
"""

from __future__ import annotations

import numpy as np

from qlr.golden._common import compute_dtype


def _check(x: np.ndarray, what: str) -> None:
    if x.ndim != 2:
        raise ValueError(f"{what} must be [N][features] (2-D), got shape {x.shape}")


def qlr_linear_f32_fw(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """Forward. b may be None. Returns [N][Out]."""
    _check(x, "x")
    dt = compute_dtype(x, w, b)
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"x has {x.shape[1]} features, w expects {w.shape[1]}")
    y = x.astype(dt, copy=False) @ w.astype(dt, copy=False).T
    if b is not None:
        y += b.astype(dt, copy=False)
    return y


def qlr_linear_f32_bw_input(dy: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Input gradient dx [N][In] = dy @ w."""
    _check(dy, "dy")
    dt = compute_dtype(dy, w)
    if dy.shape[1] != w.shape[0]:
        raise ValueError(f"dy has {dy.shape[1]} features, w has {w.shape[0]} outputs")
    return dy.astype(dt, copy=False) @ w.astype(dt, copy=False)


def qlr_linear_f32_bw_weight(x: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weight and bias gradients (dw [Out][In] = dy^T x, db [Out]), summed over the batch."""
    _check(x, "x")
    _check(dy, "dy")
    dt = compute_dtype(x, dy)
    dyt = dy.astype(dt, copy=False)
    return dyt.T @ x.astype(dt, copy=False), dyt.sum(axis=0)

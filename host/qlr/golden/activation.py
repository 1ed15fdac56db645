"""FP32 activations, element-wise on any shape.

The backward functions take the forward OUTPUT y (what a training runtime keeps): ReLU passes
the gradient where y > 0; ReLU6 where 0 < y < 6. At the kinks (x = 0, x = 6) the gradient is 0.
"""

from __future__ import annotations

import numpy as np

from qlr.golden._common import compute_dtype


def qlr_relu_f32_fw(x: np.ndarray) -> np.ndarray:
    """y = max(x, 0)."""
    dt = compute_dtype(x)
    return np.maximum(x.astype(dt, copy=False), 0)


def qlr_relu_f32_bw(dy: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dx = dy where y > 0, else 0 (y is the forward output)."""
    dt = compute_dtype(dy, y)
    return np.where(y > 0, dy.astype(dt, copy=False), dt.type(0))


def qlr_relu6_f32_fw(x: np.ndarray) -> np.ndarray:
    """y = min(max(x, 0), 6)."""
    dt = compute_dtype(x)
    return np.clip(x.astype(dt, copy=False), 0, 6)


def qlr_relu6_f32_bw(dy: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dx = dy where 0 < y < 6, else 0 (y is the forward output)."""
    dt = compute_dtype(dy, y)
    return np.where((y > 0) & (y < 6), dy.astype(dt, copy=False), dt.type(0))

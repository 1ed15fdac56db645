"""FP32 residual add and flatten (forward and backward)."""

from __future__ import annotations

import numpy as np

from qlr.golden._common import compute_dtype


def qlr_add_f32_fw(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """y = a + b (same shapes)."""
    if a.shape != b.shape:
        raise ValueError(f"add: shapes differ: {a.shape} vs {b.shape}")
    dt = compute_dtype(a, b)
    return a.astype(dt, copy=False) + b.astype(dt, copy=False)


def qlr_add_f32_bw(dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both inputs receive dy."""
    return dy, dy.copy()


def qlr_flatten_f32_fw(x: np.ndarray) -> np.ndarray:
    """[N][H][W][C] -> [N][H*W*C] in HWC memory order (no data movement)."""
    return x.reshape(x.shape[0], -1)


def qlr_flatten_f32_bw(dy: np.ndarray, input_shape: tuple[int, ...]) -> np.ndarray:
    """[N][F] -> [N] + input_shape (input_shape without the batch)."""
    return dy.reshape((dy.shape[0],) + tuple(input_shape))

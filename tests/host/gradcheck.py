"""Finite-difference gradients shared by the FP32 golden-kernel and trainer tests."""

from __future__ import annotations

import numpy as np

H = 1e-5  # central-difference step (float64): truncation and rounding both well under 1e-6


def numeric_grad(f, x: np.ndarray, h: float = H) -> np.ndarray:
    """Central differences of the scalar function f at x (x is perturbed in place and restored)."""
    g = np.zeros_like(x)
    flat, gf = x.reshape(-1), g.reshape(-1)
    for k in range(flat.size):
        old = flat[k]
        flat[k] = old + h
        up = f()
        flat[k] = old - h
        down = f()
        flat[k] = old
        gf[k] = (up - down) / (2 * h)
    return g

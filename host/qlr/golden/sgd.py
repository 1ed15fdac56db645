"""SGD with momentum and weight decay, updating in place like the firmware.

Convention (the Latent Replay code's: decay added to the gradient, momentum buffer without
dampening, no Nesterov):

    v = momentum * v + (g + weight_decay * w)
    w = w - lr * v
"""

from __future__ import annotations

import numpy as np


def qlr_sgd_f32(w: np.ndarray, g: np.ndarray, v: np.ndarray, lr: float, momentum: float = 0.0,
                weight_decay: float = 0.0) -> None:
    """Update w and v in place (all the same shape and dtype)."""
    if not (w.shape == g.shape == v.shape):
        raise ValueError(f"sgd: shapes differ: w {w.shape}, g {g.shape}, v {v.shape}")
    dt = w.dtype.type
    v *= dt(momentum)
    v += g
    if weight_decay:
        v += dt(weight_decay) * w
    w -= dt(lr) * v

"""FP32 BatchNorm over the channel (last) axis.

Inference (`qlr_batchnorm_f32_fw`, frozen statistics, what a device runs if BN is not folded):
    y = gamma * (x - mean) / sqrt(var + eps) + beta

Training mode (`batchnorm_train_f32_fw` / `_bw`) is host-only, for the trainer that makes a
pretrained network; it has no firmware twin. Batch statistics are taken over every axis but the
last, with the biased variance (divide by the count), as in the usual definition.
"""

from __future__ import annotations

import numpy as np

from qlr.golden._common import compute_dtype


def qlr_batchnorm_f32_fw(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, mean: np.ndarray,
                         var: np.ndarray, eps: float) -> np.ndarray:
    """Inference BatchNorm with stored statistics (any shape whose last axis is C)."""
    dt = compute_dtype(x, gamma)
    scale = gamma.astype(dt) / np.sqrt(var.astype(dt) + dt.type(eps))
    shift = beta.astype(dt) - mean.astype(dt) * scale
    return x.astype(dt, copy=False) * scale + shift


# What the training forward keeps for the backward: (x_hat, 1/sqrt(var + eps), gamma).
BatchnormCache = tuple[np.ndarray, np.ndarray, np.ndarray]


def batchnorm_train_f32_fw(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float
                           ) -> tuple[np.ndarray, BatchnormCache, np.ndarray, np.ndarray]:
    """Training-mode forward. Returns (y, cache for the backward, batch mean, batch variance)."""
    dt = compute_dtype(x, gamma)
    xt = x.astype(dt, copy=False)
    axes = tuple(range(x.ndim - 1))
    mu = xt.mean(axis=axes, dtype=dt)
    var = xt.var(axis=axes, dtype=dt)
    inv = dt.type(1) / np.sqrt(var + dt.type(eps))
    xhat = (xt - mu) * inv
    y = xhat * gamma.astype(dt) + beta.astype(dt)
    return y, (xhat, inv, gamma.astype(dt)), mu, var


def batchnorm_train_f32_bw(dy: np.ndarray, cache: BatchnormCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training-mode backward: (dx, dgamma, dbeta)."""
    xhat, inv, gamma = cache
    axes = tuple(range(dy.ndim - 1))
    m = dy.size // dy.shape[-1]
    dbeta = dy.sum(axis=axes)
    dgamma = (dy * xhat).sum(axis=axes)
    dx = (gamma * inv / m) * (m * dy - dbeta - xhat * dgamma)
    return dx.astype(xhat.dtype, copy=False), dgamma, dbeta

"""Softmax cross-entropy loss, mean over the batch, and its gradient w.r.t. the logits."""

from __future__ import annotations

import numpy as np

from qlr.golden._common import compute_dtype


def qlr_softmax_xent_f32(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Loss and dlogits for logits [N][K] and integer labels [N] in [0, K).

    loss = mean_n( logsumexp(z_n) - z_n[y_n] ), computed with the row maximum subtracted;
    dlogits[n] = (softmax(z_n) - onehot(y_n)) / N.
    """
    if logits.ndim != 2:
        raise ValueError(f"logits must be [N][K], got shape {logits.shape}")
    labels = np.asarray(labels)
    n, k = logits.shape
    if labels.shape != (n,):
        raise ValueError(f"labels must have shape ({n},), got {labels.shape}")
    if labels.dtype.kind not in "iu" or (n and (labels.min() < 0 or labels.max() >= k)):
        raise ValueError(f"labels must be integers in [0, {k})")
    dt = compute_dtype(logits)
    z = logits.astype(dt, copy=False)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = float(np.mean(np.log(s[:, 0]) - z[rows, labels]))
    grad = e / s
    grad[rows, labels] -= 1
    grad /= dt.type(n)
    return loss, grad

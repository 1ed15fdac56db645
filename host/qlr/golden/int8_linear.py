"""int8 inference kernel: fully connected (linear) layer.

Conventions: uint8 input ``[N, In]`` (a flattened NHWC tensor flattens in H, W, C order), weights
``[Out][In]`` (int8), int32 bias ``[Out]``. For output element ``(n, o)``::

    acc = bias[o] + sum_i (x[n, i] - z_x) * (w[o, i] - z_w[o])

and the output is ``requantize(acc)`` (`qlr.golden.requant`: int64 product with ``mult[o]``, round
half up via ``+ (1 << (shift-1))`` and an arithmetic shift right, add ``z_y``, clamp). ``K = In``
taps; `check_accumulator_bound` excludes int32 overflow.
"""

from __future__ import annotations

import numpy as np

from qlr.golden.int8_common import (
    bias_vector,
    check_accumulator_bound,
    check_s8,
    check_u8,
    check_zp_u8,
    to_int64_exact,
    weight_zp_vector,
)
from qlr.golden.requant import Requant, requantize


def linear_u8s8_accumulate(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | None = None,
    *,
    in_zp: int = 0,
    w_zp: int | np.ndarray = 0,
) -> np.ndarray:
    """The int32 accumulators (as int64) of `qlr_linear_u8s8`: ``[N, Out]``."""
    x = check_u8(x, "linear input x", 2)
    w = check_s8(w, "linear weight w", 2)
    out, inp = w.shape
    if x.shape[1] != inp:
        raise ValueError(f"linear: weight has {inp} inputs, input has {x.shape[1]} features")
    zx = check_zp_u8(in_zp, "linear input zero point")
    zw = weight_zp_vector(w_zp, out)
    b = bias_vector(bias, out)
    wc = w.astype(np.int64) - zw[:, None]
    check_accumulator_bound(np.abs(wc).max(axis=1) if inp else np.zeros(out), inp, zx, b, "linear")
    a = (x.astype(np.float64) - zx) @ wc.astype(np.float64).T
    return to_int64_exact(a) + b


def qlr_linear_u8s8(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | None,
    rq: Requant,
    *,
    in_zp: int = 0,
    w_zp: int | np.ndarray = 0,
) -> np.ndarray:
    """int8 linear layer; returns uint8 ``[N, Out]``. See the module docstring for the arithmetic."""
    acc = linear_u8s8_accumulate(x, w, bias, in_zp=in_zp, w_zp=w_zp)
    rq.check_channels(acc.shape[-1])
    return requantize(acc, rq)

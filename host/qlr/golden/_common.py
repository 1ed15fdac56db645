"""Helpers shared by the FP32 golden kernels (not kernels themselves).

Every FP32 kernel computes in the floating dtype of its inputs: float32 is what the firmware
computes in; float64 is accepted so that gradient checks can use finite differences.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Pair = tuple[int, int]
Quad = tuple[int, int, int, int]
# What the kernels accept for a kernel size or stride (an int or (h, w)) and for padding (an int,
# (v, h) or (top, bottom, left, right)).
PairLike = int | np.integer | Sequence[int]
QuadLike = int | np.integer | Sequence[int]
Geometry = tuple[int, int, int, int, Quad, int, int]  # kh, kw, sh, sw, padding, ho, wo


def pair(v: PairLike) -> Pair:
    """(h, w) from an int or a pair."""
    if isinstance(v, (int, np.integer)):
        return (int(v), int(v))
    a, b = v
    return (int(a), int(b))


def quad(v: QuadLike) -> Quad:
    """(top, bottom, left, right) from an int, a (v, h) pair or a 4-tuple."""
    if isinstance(v, (int, np.integer)):
        return (int(v), int(v), int(v), int(v))
    t = tuple(int(x) for x in v)
    if len(t) == 2:
        return (t[0], t[0], t[1], t[1])
    if len(t) != 4:
        raise ValueError(f"padding must be an int, (v, h) or (top, bottom, left, right), got {v!r}")
    return (t[0], t[1], t[2], t[3])


def out_size(size: int, k: int, s: int, lo: int, hi: int) -> int:
    n = (size + lo + hi - k) // s + 1
    if n < 1:
        raise ValueError(f"kernel {k} does not fit input length {size} with padding ({lo}, {hi})")
    return n


def window_geometry(x_hw: Sequence[int], kernel: PairLike, stride: PairLike, padding: QuadLike) -> Geometry:
    """(kh, kw, sh, sw, (top, bottom, left, right), ho, wo) of a sliding window over an (H, W) input."""
    kh, kw = pair(kernel)
    sh, sw = pair(stride)
    pt, pb, pl, pr = quad(padding)
    return kh, kw, sh, sw, (pt, pb, pl, pr), out_size(int(x_hw[0]), kh, sh, pt, pb), out_size(int(x_hw[1]), kw, sw, pl, pr)


def compute_dtype(*arrays: np.ndarray | None) -> np.dtype:
    """float64 if any operand is float64, else float32."""
    for a in arrays:
        if a is not None and np.asarray(a).dtype == np.float64:
            return np.dtype(np.float64)
    return np.dtype(np.float32)


def check_nhwc(x: np.ndarray, what: str = "x") -> None:
    if x.ndim != 4:
        raise ValueError(f"{what} must be NHWC (4-D), got shape {x.shape}")


def pad_nhwc(x: np.ndarray, padding: Quad) -> np.ndarray:
    t, b, l, r = padding
    if t == b == l == r == 0:
        return x
    return np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)))


def tap_slice(i: int, j: int, sh: int, sw: int, ho: int, wo: int) -> tuple[slice, slice, slice, slice]:
    """The slice of a padded NHWC input that kernel tap (i, j) reads for every output pixel."""
    return (slice(None), slice(i, i + sh * (ho - 1) + 1, sh), slice(j, j + sw * (wo - 1) + 1, sw), slice(None))

"""Argument checks, padding and the exact integer dot products shared by the int8 kernels.

Exactness of the NumPy implementation: the kernels multiply zero-point-corrected integers
(``|x - z_x| <= 255``, ``|w - z_w| <= 255``) and sum them in float64 with BLAS. Every partial sum is
an integer of magnitude below ``2**31`` (guaranteed by `check_accumulator_bound`), far below
``2**53``, so float64 represents every intermediate exactly whatever order or fused multiply-add the
BLAS uses: the result equals the integer sum bit for bit. It is converted to int64 afterwards.

int32 overflow on the device
----------------------------
The firmware accumulates in int32. For output channel ``c`` with ``K`` taps the golden accumulator
is ``acc = bias[c] + sum_k (x_k - z_x)(w_k - z_w[c])``. A firmware inner loop usually folds the
input zero point into the bias, ``acc = bias_eff[c] + sum_k x_k (w_k - z_w[c])`` with
``bias_eff[c] = bias[c] - z_x * sum_k (w_k - z_w[c])`` (see `fold_bias`). Every partial sum of
either form is bounded by::

    B[c] = |bias[c]| + K * W[c] * (255 + z_x),   W[c] = max_k |w_k - z_w[c]|

`check_accumulator_bound` rejects a layer with ``max_c B[c] > 2**31 - 1``, so no int32 overflow
is possible in either form. With ``z_x = 0`` and ``W <= 128`` this allows ``K`` up to about 65 000
taps (MobileNet-V1's largest is 1024).
"""

from __future__ import annotations

import numpy as np

from qlr.golden.requant import INT32_MAX, S8_MAX, S8_MIN

Padding = int | tuple[int, int] | tuple[int, int, int, int]


def as_pair(v: int | tuple[int, int], what: str) -> tuple[int, int]:
    """``v`` as ``(vertical, horizontal)``; both must be >= 1."""
    if isinstance(v, (int, np.integer)):
        pair = (int(v), int(v))
    else:
        t = tuple(int(a) for a in v)
        if len(t) != 2:
            raise ValueError(f"{what} must be an int or a pair, got {v!r}")
        pair = (t[0], t[1])
    if pair[0] < 1 or pair[1] < 1:
        raise ValueError(f"{what} must be >= 1, got {pair}")
    return pair


def as_padding(p: Padding) -> tuple[int, int, int, int]:
    """Padding as ``(top, bottom, left, right)``.

    Accepts an int (all four sides), a pair ``(ph, pw)`` (top = bottom = ph, left = right = pw) or a
    4-tuple ``(top, bottom, left, right)``. Every value must be >= 0.
    """
    if isinstance(p, (int, np.integer)):
        t = (int(p),) * 4
    else:
        v = tuple(int(a) for a in p)
        if len(v) == 2:
            t = (v[0], v[0], v[1], v[1])
        elif len(v) == 4:
            t = (v[0], v[1], v[2], v[3])
        else:
            raise ValueError(f"padding must be an int, a pair or (top, bottom, left, right), got {p!r}")
    if min(t) < 0:
        raise ValueError(f"padding must be >= 0, got {t}")
    return t


def out_size(n: int, k: int, s: int, p0: int, p1: int, what: str) -> int:
    """``(n + p0 + p1 - k) // s + 1``, which must be >= 1."""
    o = (n + p0 + p1 - k) // s + 1
    if n + p0 + p1 < k or o < 1:
        raise ValueError(f"{what}: kernel {k} does not fit the padded input {n}+{p0}+{p1}")
    return o


def _check_array(a: np.ndarray, dtype: type, name: str, ndim: int | None) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype != dtype:
        raise TypeError(f"{name} must be {np.dtype(dtype).name}, got {a.dtype}")
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dims, got shape {a.shape}")
    return a


def check_u8(x: np.ndarray, name: str, ndim: int | None = None) -> np.ndarray:
    return _check_array(x, np.uint8, name, ndim)


def check_s8(w: np.ndarray, name: str, ndim: int | None = None) -> np.ndarray:
    return _check_array(w, np.int8, name, ndim)


def check_zp_u8(zp: int, name: str) -> int:
    zp = int(zp)
    if not 0 <= zp <= 255:
        raise ValueError(f"{name} {zp} is outside [0, 255]")
    return zp


def weight_zp_vector(w_zp: int | np.ndarray, cout: int) -> np.ndarray:
    """Weight zero points as an int64 vector of length ``cout`` (a scalar is per layer)."""
    z = np.atleast_1d(np.asarray(w_zp)).astype(np.int64)
    if z.ndim != 1 or z.shape[0] not in (1, cout):
        raise ValueError(f"weight zero point must be a scalar or have {cout} entries, got shape {z.shape}")
    if np.any(z < S8_MIN) or np.any(z > S8_MAX):
        raise ValueError("weight zero point is outside [-128, 127]")
    return np.broadcast_to(z, (cout,)).copy()


def bias_vector(bias: np.ndarray | None, cout: int) -> np.ndarray:
    """Bias as an int64 vector of length ``cout`` (None -> zeros); must be int32."""
    if bias is None:
        return np.zeros(cout, dtype=np.int64)
    b = np.asarray(bias)
    if b.dtype != np.int32:
        raise TypeError(f"bias must be int32, got {b.dtype}")
    if b.shape != (cout,):
        raise ValueError(f"bias must have shape ({cout},), got {b.shape}")
    return b.astype(np.int64)


def accumulator_bound(
    w_centered_absmax: np.ndarray, taps: int, in_zp: int, bias: np.ndarray
) -> np.ndarray:
    """Per-channel worst-case partial sum ``|bias| + K * W * (255 + z_x)`` (see the module docstring)."""
    w_abs = np.asarray(w_centered_absmax, dtype=np.int64)
    return np.abs(np.asarray(bias, dtype=np.int64)) + int(taps) * w_abs * (255 + int(in_zp))


def check_accumulator_bound(
    w_centered_absmax: np.ndarray, taps: int, in_zp: int, bias: np.ndarray, layer: str = "layer"
) -> None:
    """Raise ValueError if any partial sum of the layer could leave int32 on the device."""
    b = accumulator_bound(w_centered_absmax, taps, in_zp, bias)
    if b.size and int(b.max()) > INT32_MAX:
        c = int(np.argmax(b))
        raise ValueError(
            f"{layer}: int32 accumulator could overflow in output channel {c} "
            f"(worst case {int(b[c])} > 2**31-1 with {taps} taps); reduce the bias or the fan-in"
        )


def pad_u8(x: np.ndarray, pad: tuple[int, int, int, int], value: int) -> np.ndarray:
    """Pad an NHWC uint8 tensor spatially with ``value`` (the input zero point: real zero)."""
    t, b, l, r = pad
    if not any(pad):
        return x
    return np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)), mode="constant", constant_values=value)


def to_int64_exact(a: np.ndarray) -> np.ndarray:
    """Float64 array holding exact integers -> int64 (asserts exactness)."""
    r = np.rint(a)
    if a.size and not np.array_equal(r, a):  # cannot happen below 2**53; guards the claim
        raise AssertionError("float64 accumulation was not exact")
    return r.astype(np.int64)


def fold_bias(
    w_centered_sum: np.ndarray, bias: np.ndarray, in_zp: int
) -> np.ndarray:
    """The firmware's folded bias ``bias - z_x * sum_k (w_k - z_w)`` per output channel (int32).

    With it the device computes ``acc = bias_eff + sum_k x_k * (w_k - z_w)`` on raw uint8 inputs,
    where padded input positions hold ``z_x``. Raises if a value does not fit int32.
    """
    v = np.asarray(bias, dtype=np.int64) - int(in_zp) * np.asarray(w_centered_sum, dtype=np.int64)
    if v.size and (v.min() < -(2**31) or v.max() > INT32_MAX):
        raise ValueError("folded bias does not fit int32")
    return v.astype(np.int32)

"""uint8 inference kernel: element-wise (residual) addition of two tensors with their own scales.

Inputs ``a`` and ``b`` are uint8 tensors of the same shape with ``(S_a, z_a)`` and ``(S_b, z_b)``;
the output has ``(S_y, z_y)``. The real sum ``S_a (a - z_a) + S_b (b - z_b)`` is rescaled by two
integer multipliers that share one shift, ``m_a * 2**-shift ~= S_a / S_y`` and
``m_b * 2**-shift ~= S_b / S_y``::

    acc = (a - z_a) * m_a + (b - z_b) * m_b                 # int32 arithmetic, no 64-bit at all
    y   = clamp(z_y + ((acc + (1 << (shift-1))) >> shift), act_min, act_max)

Rounding: round half up (towards +infinity), as everywhere in the int8 front-end. Ranges:
``0 <= m_a, m_b < 2**21`` and ``1 <= shift <= 31``. Then ``|(a - z_a) * m| < 255 * 2**21 < 2**29``,
``|acc| < 2**30`` and ``acc + 2**30`` stays below ``2**31``: no int32 overflow is possible.
`add_requant` chooses the largest shift that keeps both multipliers below ``2**21`` (21
significant bits: the rescaling error is below 255 * 2**-21 LSB, far below one output LSB).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qlr.golden.int8_common import check_u8, check_zp_u8
from qlr.golden.requant import activation_range

ADD_MULT_LIMIT = 1 << 21  # exclusive
ADD_SHIFT_MAX = 31


@dataclass(frozen=True)
class AddRequant:
    """Integer parameters of `qlr_add_u8` (see the module docstring)."""

    mult_a: int
    mult_b: int
    shift: int
    out_zp: int = 0
    act_min: int = 0
    act_max: int = 255

    def __post_init__(self) -> None:
        for name in ("mult_a", "mult_b"):
            v = int(getattr(self, name))
            if not 0 <= v < ADD_MULT_LIMIT:
                raise ValueError(f"add {name} {v} must be in [0, 2**21)")
        if not 1 <= int(self.shift) <= ADD_SHIFT_MAX:
            raise ValueError(f"add shift {self.shift} must be in [1, {ADD_SHIFT_MAX}]")
        check_zp_u8(self.out_zp, "add output zero point")
        if not 0 <= int(self.act_min) <= int(self.act_max) <= 255:
            raise ValueError(f"add activation range [{self.act_min}, {self.act_max}] is not within [0, 255]")


def add_requant(
    a_scale: float, b_scale: float, out_scale: float, out_zp: int = 0, activation: str = "none"
) -> AddRequant:
    """Choose ``(m_a, m_b, shift)`` for `qlr_add_u8`: the largest shift in [1, 31] with both
    ``m = floor(S / S_y * 2**shift + 1/2)`` below ``2**21``."""
    for v, n in ((a_scale, "a scale"), (b_scale, "b scale"), (out_scale, "output scale")):
        if not (np.isfinite(v) and v > 0):
            raise ValueError(f"add {n} must be finite and > 0, got {v!r}")
    ra, rb = a_scale / out_scale, b_scale / out_scale
    for shift in range(ADD_SHIFT_MAX, 0, -1):
        ma = int(np.floor(ra * 2.0**shift + 0.5))
        mb = int(np.floor(rb * 2.0**shift + 0.5))
        if ma < ADD_MULT_LIMIT and mb < ADD_MULT_LIMIT:
            lo, hi = activation_range(activation, out_scale, out_zp)
            return AddRequant(ma, mb, shift, out_zp, lo, hi)
    raise ValueError(
        f"add: input/output scale ratio {max(ra, rb)!r} is too large for a 21-bit multiplier"
    )


def add_u8_accumulate(
    a: np.ndarray, b: np.ndarray, rq: AddRequant, *, a_zp: int = 0, b_zp: int = 0
) -> np.ndarray:
    """``(a - z_a) * m_a + (b - z_b) * m_b`` as int64 (values fit int32)."""
    a = check_u8(a, "add input a")
    b = check_u8(b, "add input b")
    if a.shape != b.shape:
        raise ValueError(f"add: input shapes differ, a {a.shape} vs b {b.shape}")
    za = check_zp_u8(a_zp, "add input a zero point")
    zb = check_zp_u8(b_zp, "add input b zero point")
    return (a.astype(np.int64) - za) * int(rq.mult_a) + (b.astype(np.int64) - zb) * int(rq.mult_b)


def qlr_add_u8(
    a: np.ndarray, b: np.ndarray, rq: AddRequant, *, a_zp: int = 0, b_zp: int = 0
) -> np.ndarray:
    """uint8 residual add with two input scales; returns uint8 of the inputs' shape."""
    acc = add_u8_accumulate(a, b, rq, a_zp=a_zp, b_zp=b_zp)
    s = int(rq.shift)
    y = ((acc + (1 << (s - 1))) >> s) + int(rq.out_zp)
    return np.clip(y, int(rq.act_min), int(rq.act_max)).astype(np.uint8)

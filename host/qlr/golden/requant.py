"""Integer requantization shared by every int8 kernel of the frozen front-end.

This module is the specification the C firmware must reproduce bit for bit. Everything here is
integer arithmetic that a 32-bit core does with one 32x32->64 multiply (RV32IM `mul`+`mulh`,
Cortex-M `SMULL`), a 64-bit add and a 64-bit arithmetic shift right; no division at all.

Quantized tensors
-----------------
A real tensor ``r`` is represented by integers ``q`` with a scale ``S > 0`` and a zero point ``z``:
``r = S * (q - z)``.

- activations: unsigned 8-bit, ``q`` in [0, 255], zero point in [0, 255] (0 after a ReLU);
- weights: signed 8-bit, ``q`` in [-128, 127], zero point in [-128, 127] (0 when symmetric per
  output channel, the layer's ``z_w`` for the paper's per-layer affine scheme);
- biases: signed 32-bit with scale ``S_x * S_w[c]`` and zero point 0.

Requantization of one output element
------------------------------------
An int32 accumulator ``acc`` with real value ``S_x * S_w[c] * acc`` is brought to the output scale
``S_y`` by the real multiplier ``M[c] = S_x * S_w[c] / S_y``, stored as an int32 ``mult[c]`` and a
right shift ``shift[c]`` with ``M[c] ~= mult[c] * 2**-shift[c]``::

    prod = (int64) acc * (int64) mult[c]                    # |prod| < 2**62
    y    = (prod + ((int64) 1 << (shift[c] - 1))) >> shift[c]   # arithmetic shift (floor)
    y    = y + z_y
    y    = min(max(y, act_min), act_max)                    # ReLU / ReLU6 / none, in [0, 255]

The rounding rule is therefore **round half up** (towards +infinity) of ``acc * mult / 2**shift``:
``2.5 -> 3``, ``-2.5 -> -2``, ``-2.6 -> -3``. It is applied exactly once, on the exact 64-bit
product. Ranges: ``0 <= mult < 2**31``, ``1 <= shift <= 62``; with ``|acc| < 2**31`` the product is
below ``2**62`` in magnitude and adding ``2**61`` at most cannot overflow int64. The right shift of
a negative int64 must be arithmetic; in C write it as such or use a helper that floors.

`quantize_multiplier` chooses ``mult`` in ``[2**30, 2**31)`` (31 significant bits) whenever the
shift range allows, so the relative error of ``M`` is below ``2**-31``.

Activation clamping (output range)
----------------------------------
``none``: ``[0, 255]``; ``relu``: ``[z_y, 255]``; ``relu6``: ``[z_y, min(255, z_y + round(6/S_y))]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
MULT_MAX = 2**31 - 1
SHIFT_MIN = 1
SHIFT_MAX = 62
U8_MIN, U8_MAX = 0, 255
S8_MIN, S8_MAX = -128, 127

Activation = Literal["none", "relu", "relu6"]
ACTIVATIONS: tuple[str, ...] = ("none", "relu", "relu6")


def quantize_multiplier(real: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(mult, shift)`` (int64 arrays of the input's shape) with ``real ~= mult * 2**-shift``.

    ``real`` must be finite, ``>= 0`` and ``< 2**30``. Normally ``mult`` is in ``[2**30, 2**31)`` and
    ``shift = 31 - e`` where ``real = f * 2**e``, ``f`` in ``[0.5, 1)``; the mantissa is rounded half
    up, ``mult = floor(f * 2**31 + 1/2)`` (exact in float64 since scaling by 2**31 is exact). Very
    small multipliers (``real < 2**-32``) keep ``shift = 62`` and get a smaller ``mult`` (possibly
    0, which maps every accumulator to the zero point). ``real == 0`` gives ``(0, 1)``.
    """
    r = np.asarray(real, dtype=np.float64)
    if not np.all(np.isfinite(r)):
        raise ValueError("requantization multiplier is not finite (NaN or inf scale?)")
    if np.any(r < 0):
        raise ValueError(f"requantization multiplier must be >= 0, got min {float(r.min())!r}")
    if np.any(r >= 2.0**30):
        raise ValueError(
            f"requantization multiplier {float(r.max())!r} >= 2**30 cannot be represented "
            "(output scale far too small for the input and weight scales)"
        )
    f, e = np.frexp(r)  # r = f * 2**e, f in [0.5, 1) (or 0)
    mult = np.floor(f * 2.0**31 + 0.5).astype(np.int64)
    e = e.astype(np.int64)
    carry = mult == 2**31  # f rounded up to 1.0
    mult = np.where(carry, 2**30, mult)
    e = np.where(carry, e + 1, e)
    shift = 31 - e
    small = shift > SHIFT_MAX
    if np.any(small):
        # keep the largest representable shift; mult = round(real * 2**62) < 2**30
        mult = np.where(small, np.floor(r * 2.0**SHIFT_MAX + 0.5).astype(np.int64), mult)
        shift = np.where(small, SHIFT_MAX, shift)
    zero = r == 0
    mult = np.where(zero, 0, mult)
    shift = np.where(zero, 1, shift)
    if np.any(shift < SHIFT_MIN):  # unreachable given the r < 2**30 check; kept as an invariant
        raise AssertionError("shift below 1")
    return mult.astype(np.int64), shift.astype(np.int64)


def multiplier_value(mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """The real multiplier ``mult * 2**-shift`` that a (mult, shift) pair stands for (float64)."""
    return np.ldexp(np.asarray(mult, dtype=np.float64), -np.asarray(shift, dtype=np.int64))


def activation_range(activation: str, out_scale: float, out_zp: int) -> tuple[int, int]:
    """The clamp ``[act_min, act_max]`` of a u8 output with scale ``out_scale`` and zero point ``out_zp``.

    ``none`` -> [0, 255]; ``relu`` -> [z, 255]; ``relu6`` -> [z, min(255, z + round_half_up(6/S))].
    """
    if not 0 <= out_zp <= 255:
        raise ValueError(f"output zero point {out_zp} is outside [0, 255]")
    if activation == "none":
        return 0, 255
    if activation == "relu":
        return int(out_zp), 255
    if activation == "relu6":
        if not (np.isfinite(out_scale) and out_scale > 0):
            raise ValueError(f"output scale must be finite and > 0 for relu6, got {out_scale!r}")
        cap = int(out_zp) + int(np.floor(6.0 / out_scale + 0.5))
        return int(out_zp), min(255, cap)
    raise ValueError(f"unknown activation {activation!r}; expected one of {ACTIVATIONS}")


@dataclass(frozen=True)
class Requant:
    """Per-output-channel (or per-layer, length 1) requantization of int32 accumulators to u8.

    ``mult`` and ``shift`` have one entry per output channel, or a single entry applied to every
    channel. ``out_zp`` is the output zero point; ``[act_min, act_max]`` the clamp (see
    `activation_range`). Values are validated on construction so that a bad parameter set is caught
    on the host, not on the device.
    """

    mult: np.ndarray
    shift: np.ndarray
    out_zp: int = 0
    act_min: int = 0
    act_max: int = 255

    def __post_init__(self) -> None:
        mult = np.atleast_1d(np.asarray(self.mult)).astype(np.int64)
        shift = np.atleast_1d(np.asarray(self.shift)).astype(np.int64)
        if mult.ndim != 1 or shift.shape != mult.shape:
            raise ValueError(f"mult {mult.shape} and shift {shift.shape} must be 1-D of equal length")
        if np.any(mult < 0) or np.any(mult > MULT_MAX):
            raise ValueError("requant mult must be in [0, 2**31 - 1]")
        if np.any(shift < SHIFT_MIN) or np.any(shift > SHIFT_MAX):
            raise ValueError(f"requant shift must be in [{SHIFT_MIN}, {SHIFT_MAX}]")
        if not 0 <= int(self.out_zp) <= 255:
            raise ValueError(f"output zero point {self.out_zp} is outside [0, 255]")
        if not 0 <= int(self.act_min) <= int(self.act_max) <= 255:
            raise ValueError(
                f"activation range [{self.act_min}, {self.act_max}] must satisfy 0 <= min <= max <= 255"
            )
        object.__setattr__(self, "mult", mult)
        object.__setattr__(self, "shift", shift)
        object.__setattr__(self, "out_zp", int(self.out_zp))
        object.__setattr__(self, "act_min", int(self.act_min))
        object.__setattr__(self, "act_max", int(self.act_max))

    @classmethod
    def from_real(
        cls,
        real_multiplier: float | np.ndarray,
        out_zp: int = 0,
        activation: str = "none",
        out_scale: float = 1.0,
    ) -> Requant:
        """Build from real multipliers ``S_x * S_w[c] / S_y`` and an activation name."""
        mult, shift = quantize_multiplier(real_multiplier)
        lo, hi = activation_range(activation, out_scale, out_zp)
        return cls(mult=mult.ravel(), shift=shift.ravel(), out_zp=out_zp, act_min=lo, act_max=hi)

    @property
    def channels(self) -> int:
        return int(self.mult.shape[0])

    def check_channels(self, cout: int) -> None:
        if self.channels not in (1, cout):
            raise ValueError(f"requant has {self.channels} channels, the layer has {cout} outputs")


def rounding_rshift(prod: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """``floor(prod / 2**shift + 1/2)`` computed as ``(prod + (1 << (shift-1))) >> shift`` in int64."""
    prod = np.asarray(prod, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    return (prod + (np.int64(1) << (shift - 1))) >> shift


def requantize(acc: np.ndarray, rq: Requant) -> np.ndarray:
    """Requantize int32 accumulators ``acc`` (channels on the last axis) to uint8 with `Requant` ``rq``.

    Raises ValueError if an accumulator is outside int32 (it would have wrapped on the device).
    """
    acc = np.asarray(acc, dtype=np.int64)
    if acc.size and (acc.min() < INT32_MIN or acc.max() > INT32_MAX):
        raise ValueError(
            f"accumulator outside int32 [{int(acc.min())}, {int(acc.max())}]: it would overflow on the device"
        )
    rq.check_channels(acc.shape[-1] if acc.ndim else 1)
    y = rounding_rshift(acc * rq.mult, rq.shift) + rq.out_zp
    return np.clip(y, rq.act_min, rq.act_max).astype(np.uint8)

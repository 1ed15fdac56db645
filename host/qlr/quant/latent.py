"""Latent-replay (LR) quantization: latents to UINT-Q (Q = 1..8), dequantization and bit packing.

Scheme (Ravaglia et al. 2021): latents are non-negative (they follow a ReLU); a latent ``a`` is
stored as the code ``q = clamp(round_half_up(a / S), 0, 2**Q - 1)`` with an FP32 scale
``S = a_max / (2**Q - 1)``, per tensor (one ``S``, as in the paper) or per channel (one ``S`` per
channel, channels on the last axis, NHWC). The trainable back-end sees ``S * q`` in FP32
(`dequantize_latent`, computed as ``float32(q) * S`` exactly as the firmware does). ``a_max`` is
the calibration maximum; with ``a_max == 0`` the scale is ``1 / (2**Q - 1)``.

From the u8 front-end: a latent produced by the int8 front-end is a u8 code ``a8`` with scale
``S_a`` (zero point 0). `requantize_u8_latent` maps it to Q bits with integers only::

    q = (2 * a8 * (2**Q - 1) + m) // (2 * m)        # = round_half_up(a8 * (2**Q - 1) / m)
    S_Q = S_a * m / (2**Q - 1)

with ``m = 255`` per tensor (the u8 range already spans ``[0, a_max]``), or ``m = max(a8)`` of the
channel per channel. Values above ``m`` saturate to ``2**Q - 1``. For ``Q = 8``, ``m = 255`` this
is the identity. The firmware does the same with one 32-bit division (or a 256-entry table).

Bit packing (`pack_bits`): a latent of ``E`` codes at ``Q`` bits takes exactly
``ceil(E * Q / 8)`` bytes. Bit order is little-endian: the bytes form a bit stream in which stream
bit ``k`` is bit ``k % 8`` (value ``1 << (k % 8)``) of byte ``k // 8``; element ``i`` occupies
stream bits ``[i*Q, (i+1)*Q)``, least significant bit first. So element 0 sits in the lowest bits
of byte 0, and an element may straddle two bytes. Unused high bits of the last byte are 0 (a
reader must reject a stream where they are not: `unpack_bits` does). On a device, element ``i`` is
``((b[k >> 3] | b[(k >> 3) + 1] << 8) >> (k & 7)) & (2**Q - 1)`` with ``k = i*Q`` (read the second
byte only if ``(k & 7) + Q > 8``). Several latents (an LR memory) are packed one per row, each row
starting on a byte boundary (`pack_latents`), so a replay slot can be read or replaced alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Q_MIN, Q_MAX = 1, 8


def check_bits(bits: int) -> int:
    b = int(bits)
    if not Q_MIN <= b <= Q_MAX:
        raise ValueError(f"LR bit width Q must be in [{Q_MIN}, {Q_MAX}], got {bits}")
    return b


def packed_size(elements: int, bits: int) -> int:
    """Bytes of ``elements`` codes at ``bits`` bits: ``ceil(elements * bits / 8)``."""
    if elements < 0:
        raise ValueError(f"element count must be >= 0, got {elements}")
    return -(-int(elements) * check_bits(bits) // 8)


def _check_latents(a: np.ndarray, what: str = "latent") -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.kind not in "fiu":
        raise TypeError(f"{what} must be numeric, got {a.dtype}")
    af = a.astype(np.float64)
    if not np.all(np.isfinite(af)):
        raise ValueError(f"{what} contains NaN or infinity")
    if af.size and af.min() < 0:
        raise ValueError(f"{what} has negative values (min {af.min()!r}): LR quantization is unsigned (after ReLU)")
    return af


def calibrate_scale(a: np.ndarray, bits: int, per_channel: bool = False) -> np.ndarray:
    """FP32 scale ``a_max / (2**Q - 1)``: shape ``(1,)`` per tensor, ``(C,)`` per channel (last axis).

    ``a`` is a calibration set of latents (any shape, channels last); ``a_max`` is taken over it.
    """
    q = check_bits(bits)
    af = _check_latents(a)
    levels = (1 << q) - 1
    if per_channel:
        if af.ndim < 1 or af.shape[-1] < 1:
            raise ValueError(f"per-channel calibration needs a channel axis, got shape {af.shape}")
        amax = af.reshape(-1, af.shape[-1]).max(axis=0) if af.size else np.zeros(af.shape[-1])
    else:
        amax = np.array([af.max() if af.size else 0.0])
    amax = np.where(amax > 0, amax, 1.0)
    return (amax / levels).astype(np.float32)


def _scale_for(scale: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    s = np.atleast_1d(np.asarray(scale, dtype=np.float32))
    if s.ndim != 1 or (s.shape[0] != 1 and (not shape or s.shape[0] != shape[-1])):
        raise ValueError(f"scale must have 1 entry or one per channel (last axis of {shape}), got {s.shape}")
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise ValueError("scale must be finite and > 0")
    return s


def quantize_latent(a: np.ndarray, bits: int, scale: np.ndarray) -> np.ndarray:
    """Codes ``clamp(floor(a / S + 1/2), 0, 2**Q - 1)`` as uint8 (float64 arithmetic on the host)."""
    q = check_bits(bits)
    af = _check_latents(a)
    s = _scale_for(scale, af.shape).astype(np.float64)
    codes = np.floor(af / s + 0.5)
    return np.clip(codes, 0, (1 << q) - 1).astype(np.uint8)


def dequantize_latent(codes: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """FP32 latents ``float32(q) * S`` (one float32 multiply per element, as on the device)."""
    c = np.asarray(codes)
    s = _scale_for(scale, c.shape)
    return c.astype(np.float32) * s


def requantize_u8_latent(
    a8: np.ndarray, bits: int, in_scale: float, per_channel: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Map u8 front-end latents (scale ``in_scale``, zero point 0) to Q-bit codes; return (codes, scale).

    Per tensor ``m = 255``; per channel ``m`` = the channel's largest code in ``a8`` (at least 1).
    Integer formula in the module docstring; the scale is float32 ``in_scale * m / (2**Q - 1)``.
    """
    q = check_bits(bits)
    a = np.asarray(a8)
    if a.dtype != np.uint8:
        raise TypeError(f"u8 latent must be uint8, got {a.dtype}")
    if not (np.isfinite(in_scale) and in_scale > 0):
        raise ValueError(f"input scale must be finite and > 0, got {in_scale!r}")
    levels = (1 << q) - 1
    if per_channel:
        if a.ndim < 1:
            raise ValueError("per-channel requantization needs a channel axis")
        m = a.reshape(-1, a.shape[-1]).max(axis=0).astype(np.int64) if a.size else np.ones(a.shape[-1], np.int64)
        m = np.maximum(m, 1)
    else:
        m = np.array([255], dtype=np.int64)
    codes = (2 * a.astype(np.int64) * levels + m) // (2 * m)
    codes = np.minimum(codes, levels).astype(np.uint8)
    scale = (float(in_scale) * m.astype(np.float64) / levels).astype(np.float32)
    return codes, scale


def pack_bits(codes: np.ndarray, bits: int) -> np.ndarray:
    """Pack a 1-D (or flattened) array of codes into ``ceil(E*Q/8)`` bytes (bit order: module docstring)."""
    q = check_bits(bits)
    c = np.asarray(codes).ravel()
    if c.dtype.kind not in "iu":
        raise TypeError(f"codes must be integers, got {c.dtype}")
    if c.size and (c.min() < 0 or c.max() > (1 << q) - 1):
        raise ValueError(f"codes must be in [0, {(1 << q) - 1}] for Q = {q}, got [{c.min()}, {c.max()}]")
    return pack_latents(c.astype(np.uint8)[None, :], q)[0]


def unpack_bits(buf: np.ndarray | bytes, bits: int, count: int) -> np.ndarray:
    """Inverse of `pack_bits`: ``count`` codes (uint8) from exactly ``ceil(count*Q/8)`` bytes."""
    b = np.frombuffer(buf, dtype=np.uint8) if isinstance(buf, (bytes, bytearray, memoryview)) else np.asarray(buf)
    return unpack_latents(b.reshape(1, -1), bits, count)[0]


def pack_latents(codes: np.ndarray, bits: int) -> np.ndarray:
    """Pack ``N`` latents (``codes[N, ...]``, flattened per latent in C order) to ``[N, ceil(E*Q/8)]`` bytes."""
    q = check_bits(bits)
    c = np.asarray(codes)
    if c.ndim < 1:
        raise ValueError("pack_latents needs a leading latent axis")
    n = c.shape[0]
    c = c.reshape(n, -1)
    if c.dtype.kind not in "iu":
        raise TypeError(f"codes must be integers, got {c.dtype}")
    if c.size and (c.min() < 0 or c.max() > (1 << q) - 1):
        raise ValueError(f"codes must be in [0, {(1 << q) - 1}] for Q = {q}")
    e = c.shape[1]
    row = packed_size(e, q)
    out = np.empty((n, row), dtype=np.uint8)
    step = _rows_per_chunk(e)
    for r0 in range(0, n, step):
        cc = c[r0 : r0 + step].astype(np.uint8)
        m = cc.shape[0]
        # bits of every code, LSB first: [m, E, 8] -> keep Q -> stream [m, E*Q] -> pad to row*8
        stream = np.zeros((m, row * 8), dtype=np.uint8)
        stream[:, : e * q] = np.unpackbits(cc[..., None], axis=-1, bitorder="little")[..., :q].reshape(m, e * q)
        out[r0 : r0 + m] = np.packbits(stream, axis=1, bitorder="little")
    return out


def _rows_per_chunk(elements: int) -> int:
    """Rows handled at once so that the 8-bytes-per-code bit arrays stay near 16 MB."""
    return max(1, (1 << 21) // max(1, elements))


def unpack_latents(packed: np.ndarray, bits: int, elements: int) -> np.ndarray:
    """Unpack ``[N, ceil(E*Q/8)]`` bytes to codes ``[N, E]`` (uint8).

    Raises ValueError if the row length is not exactly ``ceil(E*Q/8)`` or a padding bit is set.
    """
    q = check_bits(bits)
    p = np.asarray(packed)
    if p.dtype != np.uint8 or p.ndim != 2:
        raise ValueError(f"packed latents must be uint8 [N, bytes], got {p.dtype} {p.shape}")
    row = packed_size(elements, q)
    if p.shape[1] != row:
        raise ValueError(f"packed row has {p.shape[1]} bytes, {elements} codes at Q={q} need exactly {row}")
    n = p.shape[0]
    used = elements * q
    out = np.empty((n, elements), dtype=np.uint8)
    step = _rows_per_chunk(elements)
    for r0 in range(0, n, step):
        stream = np.unpackbits(p[r0 : r0 + step], axis=1, bitorder="little")
        m = stream.shape[0]
        if np.any(stream[:, used:]):
            bad = r0 + int(np.argmax(stream[:, used:].any(axis=1)))
            raise ValueError(f"packed latent {bad} has non-zero padding bits after its last code")
        # each code's Q bits, zero-extended to 8, packed back LSB first = the code
        bits8 = np.zeros((m, elements, 8), dtype=np.uint8)
        bits8[..., :q] = stream[:, :used].reshape(m, elements, q)
        out[r0 : r0 + m] = np.packbits(bits8, axis=-1, bitorder="little")[..., 0]
    return out


@dataclass(frozen=True)
class LatentQuant:
    """A Q-bit LR quantizer: bit width, FP32 scale (``(1,)`` per tensor or ``(C,)`` per channel)."""

    bits: int
    scale: np.ndarray

    def __post_init__(self) -> None:
        check_bits(self.bits)
        s = np.atleast_1d(np.asarray(self.scale, dtype=np.float32))
        _scale_for(s, (s.shape[0],))
        object.__setattr__(self, "scale", s)

    @property
    def per_channel(self) -> bool:
        return self.scale.shape[0] > 1

    @classmethod
    def calibrate(cls, a: np.ndarray, bits: int, per_channel: bool = False) -> LatentQuant:
        return cls(bits, calibrate_scale(a, bits, per_channel))

    def quantize(self, a: np.ndarray) -> np.ndarray:
        return quantize_latent(a, self.bits, self.scale)

    def dequantize(self, codes: np.ndarray) -> np.ndarray:
        return dequantize_latent(codes, self.scale)

    def pack(self, codes: np.ndarray) -> np.ndarray:
        return pack_latents(codes, self.bits)

    def unpack(self, packed: np.ndarray, latent_shape: tuple[int, ...]) -> np.ndarray:
        e = int(math.prod(latent_shape))
        return unpack_latents(packed, self.bits, e).reshape((packed.shape[0],) + tuple(latent_shape))

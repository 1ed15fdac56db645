"""LR quantization (UINT-Q latents with an FP32 scale) and bit packing."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from qlr.quant.latent import (
    LatentQuant,
    calibrate_scale,
    dequantize_latent,
    pack_bits,
    pack_latents,
    packed_size,
    quantize_latent,
    requantize_u8_latent,
    unpack_bits,
    unpack_latents,
)

ODD_E = [1, 3, 7, 9, 13, 101, 1023]


def loop_pack(codes: list[int], q: int) -> bytes:
    """Straightforward reference: stream bit k -> bit k%8 of byte k//8, element LSB first."""
    out = bytearray(-(-len(codes) * q // 8))
    for i, c in enumerate(codes):
        for b in range(q):
            if (c >> b) & 1:
                k = i * q + b
                out[k // 8] |= 1 << (k % 8)
    return bytes(out)


@pytest.mark.parametrize("q", range(1, 9))
def test_pack_unpack_round_trip_every_q_and_odd_sizes(q: int) -> None:
    rng = np.random.default_rng(q)
    for e in ODD_E:
        codes = rng.integers(0, 1 << q, size=e, dtype=np.uint8)
        codes[0] = (1 << q) - 1  # all ones in the first and last element (straddling bytes)
        codes[-1] = (1 << q) - 1
        buf = pack_bits(codes, q)
        assert buf.dtype == np.uint8
        assert buf.size == math.ceil(e * q / 8)
        assert buf.tobytes() == loop_pack(codes.tolist(), q)
        assert np.array_equal(unpack_bits(buf, q, e), codes)
        assert np.array_equal(unpack_bits(buf.tobytes(), q, e), codes)
    # many latents at once, each row byte-aligned
    lat = rng.integers(0, 1 << q, size=(5, 3, 3, 7), dtype=np.uint8)
    rows = pack_latents(lat, q)
    assert rows.shape == (5, math.ceil(63 * q / 8))
    assert np.array_equal(unpack_latents(rows, q, 63).reshape(lat.shape), lat)
    for i in range(5):
        assert rows[i].tobytes() == loop_pack(lat[i].ravel().tolist(), q)


def test_bit_order_by_hand() -> None:
    # Q=3, codes 1, 2, 7: stream bits 1,0,0 | 0,1,0 | 1,1,1 -> byte0 = 0b11010001 = 209, byte1 = 1
    assert pack_bits(np.array([1, 2, 7], np.uint8), 3).tolist() == [209, 1]
    # Q=4: element 0 in the low nibble
    assert pack_bits(np.array([0xA, 0x5, 0xF], np.uint8), 4).tolist() == [0x5A, 0x0F]
    # Q=1: 8 flags in one byte, element 0 = bit 0
    assert pack_bits(np.array([1, 0, 0, 0, 0, 0, 0, 1, 1], np.uint8), 1).tolist() == [0x81, 0x01]


def test_packed_sizes_and_seven_bit_saving() -> None:
    for e in ODD_E + [0, 8, 4096]:
        for q in range(1, 9):
            assert packed_size(e, q) == -(-e * q // 8)
    # the paper's LR shapes (l19..l27 of MobileNet-V1 @128)
    for shape in [(8, 8, 512), (4, 4, 512), (4, 4, 1024), (1, 1, 1024)]:
        e = int(np.prod(shape))
        s8, s7 = packed_size(e, 8), packed_size(e, 7)
        assert s8 == e
        assert Fraction(s8 - s7, s8) == Fraction(1, 8)  # exactly 12.5 %
    with pytest.raises(ValueError):
        packed_size(10, 0)
    with pytest.raises(ValueError):
        packed_size(10, 9)


def test_unpack_rejects_wrong_length_and_padding_bits() -> None:
    buf = pack_bits(np.array([1, 2, 3], np.uint8), 3)  # 9 bits -> 2 bytes, 7 padding bits
    with pytest.raises(ValueError, match="exactly"):
        unpack_bits(buf[:1], 3, 3)
    bad = buf.copy()
    bad[-1] |= 0x80
    with pytest.raises(ValueError, match="padding"):
        unpack_bits(bad, 3, 3)
    with pytest.raises(ValueError):
        pack_bits(np.array([8], np.uint8), 3)  # code out of range for Q=3


def relu_data(rng, shape) -> np.ndarray:
    return np.maximum(rng.normal(0.2, 1.0, size=shape), 0).astype(np.float32)


def test_error_shrinks_as_q_grows() -> None:
    rng = np.random.default_rng(0)
    a = relu_data(rng, (64, 4, 4, 32))
    mse = []
    for q in range(1, 9):
        lq = LatentQuant.calibrate(a, q)
        assert lq.scale.shape == (1,)
        assert lq.scale[0] == np.float32(a.max() / (2**q - 1))  # paper: S = a_max / (2^Q - 1)
        codes = lq.quantize(a)
        assert codes.max() <= 2**q - 1
        err = lq.dequantize(codes) - a
        # uniform quantizer over [0, a_max]: |err| <= S/2 (plus float32 rounding of S*q)
        assert np.abs(err).max() <= lq.scale[0] * (0.5 + 1e-5)
        mse.append(float(np.mean(err.astype(np.float64) ** 2)))
    assert all(mse[i + 1] < mse[i] for i in range(7)), mse
    # from Q=3 on, each extra bit cuts the MSE by about 4x (uniform noise S^2/12)
    for q in range(3, 8):
        assert 2.5 < mse[q - 1] / mse[q] < 6.0, (q, mse)


def test_per_channel_beats_per_tensor_on_uneven_channels() -> None:
    rng = np.random.default_rng(3)
    a = relu_data(rng, (200, 16)) * np.geomspace(0.01, 10, 16).astype(np.float32)
    for q in (4, 6, 8):
        pt = LatentQuant.calibrate(a, q, per_channel=False)
        pc = LatentQuant.calibrate(a, q, per_channel=True)
        assert pc.scale.shape == (16,) and pc.per_channel
        e_pt = np.mean((pt.dequantize(pt.quantize(a)) - a) ** 2)
        e_pc = np.mean((pc.dequantize(pc.quantize(a)) - a) ** 2)
        assert e_pc < e_pt


def test_quantize_rounding_and_saturation() -> None:
    s = np.array([0.5], np.float32)
    a = np.array([0.0, 0.24, 0.25, 0.74, 0.75, 1.0, 100.0], np.float32)
    # a / 0.5 = 0, 0.48, 0.5 (half up -> 1), 1.48, 1.5 (-> 2), 2, 200 (saturates at 3 for Q=2)
    assert quantize_latent(a, 2, s).tolist() == [0, 0, 1, 1, 2, 2, 3]
    assert dequantize_latent(np.array([0, 1, 3], np.uint8), s).tolist() == [0.0, 0.5, 1.5]
    for bad in (np.array([-1e-3]), np.array([np.nan]), np.array([np.inf])):
        with pytest.raises(ValueError):
            quantize_latent(bad, 4, s)
    with pytest.raises(ValueError):
        quantize_latent(a, 4, np.array([0.0]))
    # all-zero calibration keeps a positive scale (1 / (2^Q - 1))
    assert calibrate_scale(np.zeros(5), 3)[0] == np.float32(1 / 7)


@pytest.mark.parametrize("q", range(1, 9))
def test_requantize_u8_latent(q: int) -> None:
    rng = np.random.default_rng(10 + q)
    a8 = rng.integers(0, 256, size=(6, 2, 2, 5), dtype=np.uint8)
    a8[0, 0, 0, :] = 255
    s_a = 0.03
    codes, scale = requantize_u8_latent(a8, q, s_a)
    levels = 2**q - 1
    for v in range(256):  # every u8 value against exact rational round-half-up
        want = math.floor(Fraction(v * levels, 255) + Fraction(1, 2))
        got = requantize_u8_latent(np.array([v], np.uint8), q, s_a)[0][0]
        assert int(got) == want, (v, q)
    assert scale.dtype == np.float32 and np.isclose(scale[0], s_a * 255 / levels, rtol=1e-7)
    # dequantized Q-bit latent within half a Q step of the u8 latent's real value (+ fp32 eps)
    err = np.abs(dequantize_latent(codes, scale).astype(np.float64) - s_a * a8.astype(np.float64))
    assert err.max() <= scale[0] / 2 * (1 + 1e-5)
    if q == 8:
        assert np.array_equal(codes, a8)  # identity at 8 bits
    # per channel: m = the channel max
    cc, sc = requantize_u8_latent(a8 // 4, q, s_a, per_channel=True)
    m = (a8 // 4).reshape(-1, 5).max(axis=0)
    assert np.allclose(sc, s_a * m / levels, rtol=1e-6)
    assert np.array_equal(cc.reshape(-1, 5).max(axis=0), np.full(5, levels))

"""The requantization primitive: multiplier encoding, rounding rule, clamping."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from qlr.golden.requant import (
    Requant,
    activation_range,
    multiplier_value,
    quantize_multiplier,
    requantize,
)


def test_quantize_multiplier_precision_and_normalisation() -> None:
    rng = np.random.default_rng(1)
    reals = np.exp(rng.uniform(np.log(1e-9), np.log(1e6), size=2000))
    mult, shift = quantize_multiplier(reals)
    assert np.all((mult >= 2**30) & (mult < 2**31)), "mantissa must use 31 significant bits"
    assert np.all((shift >= 1) & (shift <= 62))
    for r, m, s in zip(reals[:300], mult[:300], shift[:300]):
        # exact rational check: |m/2^s - r| <= r * 2^-31 (round-to-nearest of a 31-bit mantissa)
        err = abs(Fraction(int(m), 2 ** int(s)) - Fraction(float(r)))
        assert err <= Fraction(float(r)) / 2**31


def test_quantize_multiplier_special_values() -> None:
    m, s = quantize_multiplier(0.0)
    assert (int(m), int(s)) == (0, 1)
    m, s = quantize_multiplier(0.5)
    assert (int(m), int(s)) == (2**30, 31)
    m, s = quantize_multiplier(1.0)
    assert (int(m), int(s)) == (2**30, 30)
    # a mantissa that rounds up to 1.0 must carry into the exponent
    r = (2**31 - 0.25) / 2**31 * 0.5  # f just below 1 -> rounds to 2^31
    m, s = quantize_multiplier(r)
    assert (int(m), int(s)) == (2**30, 31)
    # tiny multipliers keep shift 62 with a short mantissa
    m, s = quantize_multiplier(2.0**-40)
    assert (int(m), int(s)) == (2**22, 62)
    m, s = quantize_multiplier(2.0**-70)
    assert (int(m), int(s)) == (0, 62)
    for bad in (-1e-3, float("nan"), float("inf"), 2.0**30):
        with pytest.raises(ValueError):
            quantize_multiplier(bad)


def _ref_requant(acc: int, mult: int, shift: int, zp: int, lo: int, hi: int) -> int:
    """Round half up of acc*mult/2^shift with exact rationals, then zero point and clamp."""
    v = math.floor(Fraction(acc * mult, 2**shift) + Fraction(1, 2)) + zp
    return min(max(v, lo), hi)


def test_rounding_exact_halves_and_negatives() -> None:
    # M = 0.5 exactly: acc = k -> k/2; halves round towards +infinity
    rq = Requant(mult=np.array([2**30]), shift=np.array([31]), out_zp=10, act_min=0, act_max=255)
    acc = np.array([[5, -5, -3, -1, 1, 3, 0, -6, 7]], dtype=np.int64).T  # one channel
    y = requantize(acc, rq).ravel().tolist()
    # hand-computed: 2.5->3, -2.5->-2, -1.5->-1, -0.5->0, 0.5->1, 1.5->2, 0, -3, 3.5->4; +10
    assert y == [13, 8, 9, 10, 11, 12, 10, 7, 14]


def test_requantize_matches_rational_reference_and_clamps() -> None:
    rng = np.random.default_rng(2)
    c = 5
    mult, shift = quantize_multiplier(rng.uniform(1e-4, 3.0, size=c))
    rq = Requant(mult, shift, out_zp=37, act_min=37, act_max=200)
    acc = rng.integers(-(2**31), 2**31, size=(41, c), dtype=np.int64)
    acc[0] = -(2**31)
    acc[1] = 2**31 - 1
    acc[2] = 0
    y = requantize(acc, rq)
    for i in range(acc.shape[0]):
        for j in range(c):
            ref = _ref_requant(int(acc[i, j]), int(mult[j]), int(shift[j]), 37, 37, 200)
            assert int(y[i, j]) == ref, (i, j)
    assert y.min() == 37 and y.max() == 200  # extremes saturate at both ends


def test_requantize_rejects_accumulator_outside_int32() -> None:
    rq = Requant(np.array([2**30]), np.array([31]))
    with pytest.raises(ValueError, match="int32"):
        requantize(np.array([[2**31]]), rq)


def test_activation_ranges() -> None:
    assert activation_range("none", 0.1, 128) == (0, 255)
    assert activation_range("relu", 0.1, 0) == (0, 255)
    assert activation_range("relu", 0.1, 20) == (20, 255)
    assert activation_range("relu6", 6.0 / 200.0, 0) == (0, 200)
    assert activation_range("relu6", 6.0 / 255.0, 0) == (0, 255)
    assert activation_range("relu6", 0.01, 0) == (0, 255)  # 6/0.01 = 600 caps at 255
    with pytest.raises(ValueError):
        activation_range("gelu", 1.0, 0)


def test_requant_validation() -> None:
    with pytest.raises(ValueError):
        Requant(np.array([2**31]), np.array([31]))
    with pytest.raises(ValueError):
        Requant(np.array([1]), np.array([0]))
    with pytest.raises(ValueError):
        Requant(np.array([1]), np.array([63]))
    with pytest.raises(ValueError):
        Requant(np.array([1]), np.array([3]), out_zp=256)
    with pytest.raises(ValueError):
        Requant(np.array([1]), np.array([3]), act_min=10, act_max=5)
    rq = Requant(np.array([1, 2]), np.array([3, 4]))
    with pytest.raises(ValueError):
        rq.check_channels(3)
    assert multiplier_value(np.array([2**30]), np.array([31]))[0] == 0.5

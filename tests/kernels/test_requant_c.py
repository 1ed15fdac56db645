"""The C requantization (qlr_requant_u8, through the requant_u8 op) against the golden
`requantize` on every board, over the whole range the golden accepts: accumulators at the int32
extremes, every shift 1..62, multipliers 0, 1, 2**30 and 2**31 - 1, exact .5 ties of both signs
(checked also against exact rational arithmetic), values near every clamp, and random inputs;
plus the rejection of what the golden rejects (shift 0 or 63, negative mult), naming the entry."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from compare import assert_exact
from int8_cases import core_counts

from qlr.errors import QlrError
from qlr.golden.requant import Requant, requantize
from qlr.kernels.registry import get_op

I32_MIN, I32_MAX = -(2**31), 2**31 - 1
SHIFTS = np.arange(1, 63, dtype=np.int64)  # one channel per shift
EDGE_ACC = [I32_MIN, I32_MIN + 1, -(2**30), -65537, -255, -1, 0, 1, 255, 65535, 2**30, I32_MAX - 1, I32_MAX]
CLAMPS = [(0, 0, 255), (128, 0, 255), (10, 10, 255), (0, 0, 150), (7, 7, 7)]


def _run(kernels, acc: np.ndarray, mult: np.ndarray, shift: np.ndarray, zp: int, lo: int, hi: int, what: str,
         cores: int) -> np.ndarray:
    spec = get_op("requant_u8")
    arrays = {"acc": acc.astype(np.int32), "mult": mult.astype(np.int32), "shift": shift.astype(np.uint8)}
    ref = requantize(acc.astype(np.int64), Requant(mult, shift, zp, lo, hi))
    got = kernels.run(spec, arrays, {"out_zp": zp, "act_min": lo, "act_max": hi}, cores=cores).outputs["y"]
    assert_exact(got, ref, what)
    return got


def test_requant_extremes_every_shift(kernels):
    """Every shift 1..62 with each of the multipliers 0, 1, 2**30, 2**31 - 1 and a random one
    (310 channels), at the int32 extremes and around 0, 255, 2**16 and 2**30, under the clamps."""
    rng = np.random.default_rng(71)
    rows = np.array(EDGE_ACC, dtype=np.int64)
    mults = [np.full(SHIFTS.size, v, dtype=np.int64) for v in (0, 1, 2**30, I32_MAX)]
    mults.append(rng.integers(0, I32_MAX, size=SHIFTS.size, endpoint=True))
    mult, shift = np.concatenate(mults), np.tile(SHIFTS, len(mults))
    acc = np.repeat(rows[:, None], mult.size, axis=1)
    # 16 KB of accumulators per run: writing them dominates on the emulators (a few KB/s over
    # their UART), which take one clamp (zero point 128: both saturation ends and the offset)
    clamps = CLAMPS if kernels.target in ("host", "host-asan") else [CLAMPS[1]]
    for zp, lo, hi in clamps:
        _run(kernels, acc, mult, shift, zp, lo, hi, f"extremes clamp={(zp, lo, hi)}", cores=kernels.team_max)


def _tie_cases() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per shift s a multiplier and six accumulators with acc * mult = +-odd * 2**(s-1) exactly."""
    accs, mults = [], []
    for s in (int(v) for v in SHIFTS):
        if s == 62:  # 2**61 needs acc = -2**31 and mult = 2**30 (a tie at -1/2)
            accs.append([-(2**31)] * 6)
            mults.append(2**30)
            continue
        j = max(0, s - 31)  # acc = odd * 2**j, mult = 2**(s-1-j) < 2**31
        odd = [o * 2**j for o in (1, -1, 3, -3, 5, -5) if I32_MIN <= o * 2**j <= I32_MAX]
        accs.append([odd[i % len(odd)] for i in range(6)])
        mults.append(2 ** (s - 1 - j))
    return np.array(accs, dtype=np.int64).T, np.array(mults, dtype=np.int64), SHIFTS


def test_requant_ties_round_half_up(kernels):
    acc, mult, shift = _tie_cases()
    got = _run(kernels, acc, mult, shift, 128, 0, 255, "ties", cores=1)
    # independent of the golden code: floor(acc * mult / 2**s + 1/2) in exact rationals
    for r in range(acc.shape[0]):
        for c in range(acc.shape[1]):
            v = Fraction(int(acc[r, c]) * int(mult[c]), 2 ** int(shift[c]))
            assert v.denominator == 2, "not a tie: the case construction is wrong"
            expect = min(255, max(0, int(np.floor(v + Fraction(1, 2))) + 128))
            assert int(got[r, c]) == expect, f"tie acc={acc[r, c]} mult={mult[c]} shift={shift[c]}"


def test_requant_near_clamps_random(kernels):
    """Accumulators chosen so that acc * mult / 2**shift lands in [-300, 300] (every clamp and the
    range between), +-1 around the exact preimage, random multipliers and shifts; per channel and
    per layer, several core counts."""
    rng = np.random.default_rng(72)
    ch, m = 37, 24
    shift = rng.integers(1, 63, size=ch)
    mult = rng.integers(1, I32_MAX, size=ch, endpoint=True)
    target = rng.uniform(-300, 300, size=(m, ch))
    acc = np.rint(target * np.ldexp(1.0, shift) / mult) + rng.integers(-1, 2, size=(m, ch))
    acc = np.clip(acc, I32_MIN, I32_MAX).astype(np.int64)
    for c in core_counts(kernels):
        _run(kernels, acc, mult, shift, 100, 0, 255, f"near clamps cores={c}", cores=c)
    one = np.array([int(mult[0])]), np.array([int(shift[0])])
    _run(kernels, acc, one[0], one[1], 3, 3, 200, "per layer", cores=kernels.team_max)


@pytest.mark.parametrize("field,mult,shift", [("shift[2]", 5, 0), ("shift[2]", 5, 63), ("mult[2]", -1, 40)])
def test_requant_rejects_what_the_golden_rejects(kernels, field, mult, shift):
    spec = get_op("requant_u8")
    mults = np.array([1, 1, mult, 1], dtype=np.int32)
    shifts = np.array([1, 1, shift, 1], dtype=np.uint8)
    with pytest.raises(ValueError):
        Requant(mults.astype(np.int64), shifts.astype(np.int64))
    arrays = {"acc": np.zeros((2, 4), np.int32), "mult": mults, "shift": shifts}
    with pytest.raises(QlrError, match=field.replace("[", r"\[").replace("]", r"\]")):
        kernels.run(spec, arrays, {}, cores=1)

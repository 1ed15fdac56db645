"""Activation calibration for post-training quantization: the range [a_min, a_max] each uint8
tensor of the int8 front-end represents.

Methods (`Calibration`, named on the command line as ``max``, ``percentile:P`` and ``mse``):

- ``max``: the smallest and largest value over all calibration images (the paper's rule).
- ``percentile:P``: the P-th percentile of the values (and the (100-P)-th for a tensor that can be
  negative), over all values of all calibration images pooled, so a handful of outliers (an
  impact in a sensor window, a saturated pixel) do not set the scale.
- ``mse``: the range that minimises the expected squared error of the uint8 tensor: values inside
  it are rounded to ``S = (a_max - a_min) / 255`` (error ``S^2 / 12`` each, the uniform rounding
  noise), values beyond it are clipped (error ``(v - a_max)^2``). Searched over `MSE_STEPS`
  clipping points between the largest value / `MSE_STEPS` and the largest value.

Percentile and MSE work on a histogram of each tensor's values (`Observer`): `BINS` bins over a
symmetric range ``[-R, R]`` that doubles (merging bins pairwise, exactly) when a batch exceeds it,
so the whole calibration set is summarised in one pass in fixed memory. Percentiles are
interpolated linearly inside a bin, i.e. exact to ``R / BINS``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from qlr.errors import QlrError

BINS = 8192  # over [-R, R]: 4096 per sign
MSE_STEPS = 256
METHODS = ("max", "percentile", "mse")
DEFAULT_PERCENTILE = 99.99
DEFAULT_CALIBRATION = "percentile:99.99"  # of the commands; chosen by measurement: docs/quantization.md


@dataclass(frozen=True)
class Calibration:
    """How activation ranges are chosen (see the module docstring)."""

    method: str = "max"
    percentile: float = DEFAULT_PERCENTILE

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise QlrError(f"calibration method must be one of {', '.join(METHODS)}, got {self.method!r}")
        if self.method == "percentile" and not 50.0 < self.percentile <= 100.0:
            raise QlrError(f"calibration percentile must be in (50, 100], got {self.percentile}")

    @property
    def name(self) -> str:
        return f"percentile:{self.percentile:g}" if self.method == "percentile" else self.method

    @staticmethod
    def parse(text: str) -> Calibration:
        """``max``, ``mse``, ``percentile`` (99.99) or ``percentile:P`` / ``pP`` (e.g. p99.9)."""
        t = text.strip().lower()
        m = re.fullmatch(r"(?:percentile|p)(?::?([0-9.]+))?", t)
        if m:
            try:
                return Calibration("percentile", float(m.group(1)) if m.group(1) else DEFAULT_PERCENTILE)
            except ValueError:
                pass
        if t in ("max", "mse"):
            return Calibration(t)
        raise QlrError(f"--calibration: expected max, mse or percentile[:P], got {text!r}")


class Observer:
    """Min, max and a histogram of one tensor's values over calibration batches."""

    def __init__(self) -> None:
        self.lo = math.inf
        self.hi = -math.inf
        self.r = 0.0
        self.hist = np.zeros(BINS, np.int64)
        self.count = 0

    def _grow(self, need: float) -> None:
        if self.r == 0.0:
            self.r = need
            return
        k = 0
        while self.r * 2**k < need:
            k += 1
        if k == 0:
            return
        f = 2**k
        # old bin i of [-R, R] falls into new bin BINS/2 - BINS/(2f) + i // f of [-fR, fR]
        new = np.zeros(BINS, np.int64)
        idx = BINS // 2 - BINS // (2 * f) + np.arange(BINS) // f if f <= BINS else np.full(BINS, BINS // 2)
        np.add.at(new, idx, self.hist)
        self.hist, self.r = new, self.r * f

    def observe(self, a: np.ndarray) -> None:
        a = np.asarray(a, dtype=np.float64).ravel()
        if a.size == 0:
            return
        if not np.all(np.isfinite(a)):
            raise QlrError("calibration produced NaN or infinite activations")
        self.lo, self.hi = min(self.lo, float(a.min())), max(self.hi, float(a.max()))
        need = max(abs(self.lo), abs(self.hi))
        if need > 0:
            self._grow(need)
        if self.r > 0:
            pos = np.clip(((a / self.r + 1.0) * (BINS / 2)).astype(np.int64), 0, BINS - 1)
            self.hist += np.bincount(pos, minlength=BINS)
        else:
            self.hist[BINS // 2] += a.size
        self.count += a.size

    # -------------------------------------------------------------- the ranges
    def _centers(self) -> np.ndarray:
        return (np.arange(BINS) + 0.5) / (BINS / 2) * self.r - self.r

    def _quantile(self, q: float) -> float:
        """The value below which a fraction q of the observed values lie (linear inside a bin)."""
        if self.r == 0.0:
            return 0.0
        cum = np.cumsum(self.hist)
        target = q * self.count
        i = int(np.searchsorted(cum, target))
        i = min(i, BINS - 1)
        before = cum[i - 1] if i else 0
        frac = (target - before) / self.hist[i] if self.hist[i] else 0.0
        width = 2 * self.r / BINS
        return float(-self.r + (i + frac) * width)

    def range(self, cal: Calibration) -> tuple[float, float]:
        """(a_min, a_max) for this tensor under ``cal`` (a_min <= 0 <= a_max is not required here)."""
        if self.count == 0:
            raise QlrError("calibration needs at least one image")
        if cal.method == "max" or self.r == 0.0:
            return self.lo, self.hi
        if cal.method == "percentile":
            hi = min(self.hi, max(self._quantile(cal.percentile / 100.0), 0.0)) if self.hi > 0 else self.hi
            lo = max(self.lo, min(self._quantile(1.0 - cal.percentile / 100.0), 0.0)) if self.lo < 0 else self.lo
            return lo, hi
        return self._mse_range()

    def _mse_range(self) -> tuple[float, float]:
        v = self._centers()
        n = self.hist.astype(np.float64)
        lo0, hi0 = min(self.lo, 0.0), max(self.hi, 0.0)
        alphas = np.arange(1, MSE_STEPS + 1) / MSE_STEPS
        lo, hi = alphas[:, None] * lo0, alphas[:, None] * hi0  # [K, 1]
        step = (hi - lo) / 255.0
        inside = ((v >= lo) & (v <= hi)).astype(np.float64)
        over = np.where(v > hi, v - hi, 0.0) + np.where(v < lo, lo - v, 0.0)
        # a value exactly 0 (a ReLU's zeros) is represented exactly: no rounding error
        zero = np.abs(v) <= self.r / BINS
        err = (inside * np.where(zero, 0.0, step**2 / 12.0) + over**2) @ n
        k = int(np.argmin(err))
        return float(lo[k, 0]), float(hi[k, 0])

"""Shared helpers of the int8 kernel tests: activation ranges, core counts per board, the
"outputs are spread, not saturated" check, and one run-and-compare step."""

from __future__ import annotations

import numpy as np
from compare import assert_exact, inputs_of

from qlr.kernels.spec import OpSpec

# Boards where every kernel run costs seconds: fewer shapes there, the same tails.
SLOW_TARGETS = {"qemu-m4", "pulp-open"}

# (out_zp, act_min, act_max): none with a mid zero point, ReLU, ReLU6 at S_y = 0.04 (6/0.04 = 150).
ACTS = {
    "none": (120, 0, 255),
    "relu": (10, 10, 255),
    "relu6": (0, 0, 150),
}


def act(name: str) -> dict[str, int]:
    z, lo, hi = ACTS[name]
    return {"out_zp": z, "act_min": lo, "act_max": hi}


def core_counts(kernels) -> list[int]:
    """1, an odd count (3) and the whole team: uneven splits on the 8-core boards."""
    return sorted({1, min(3, kernels.team_max), kernels.team_max})


def slow(kernels) -> bool:
    return getattr(kernels, "target", "") in SLOW_TARGETS


def assert_spread(y: np.ndarray, p: dict, what: str) -> None:
    """The golden output must not be mostly clamped: otherwise bit-exactness proves little about
    the rounding. At least 30% of the outputs strictly inside (act_min, act_max) and at least
    min(16, size/4) distinct values."""
    lo, hi = p["act_min"], p["act_max"]
    inside = float(np.mean((y > lo) & (y < hi)))
    distinct = len(np.unique(y))
    assert inside >= 0.3, f"{what}: only {inside:.0%} of outputs are unclamped (range [{lo}, {hi}])"
    assert distinct >= min(16, y.size // 4), f"{what}: only {distinct} distinct output values"


def run_and_compare(kernels, spec: OpSpec, p: dict, rng: np.random.Generator, what: str, *,
                    gain_shift: int = 0, spread: bool = True, cores: list[int] | None = None) -> None:
    """Random inputs for params `p`, golden output, then the device on each core count, bit-exact.
    `gain_shift` > 0 lowers every shift by that much (outputs x 2**gain_shift: saturation)."""
    arrays = inputs_of(spec)(p, rng)
    if gain_shift:
        arrays["shift"] = np.maximum(arrays["shift"].astype(np.int64) - gain_shift, 1).astype(np.uint8)
    ref = spec.golden({k: v.copy() for k, v in arrays.items()}, p)["y"]
    if spread and not gain_shift:
        assert_spread(ref, p, what)
    for c in cores or core_counts(kernels):
        got = kernels.run(spec, arrays, p, cores=c).outputs["y"]
        assert_exact(got, ref, f"{what} cores={c}")

"""Comparisons of device outputs with the golden model, with failure messages that show the
first mismatches side by side (index, expected, got)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from qlr.kernels.spec import Arrays, OpSpec, Params

U32 = float(np.finfo(np.float32).eps) / 2  # unit roundoff of float32, 2^-24


def _first_mismatches(bad: np.ndarray, ref: np.ndarray, got: np.ndarray, n: int = 5) -> str:
    idx = np.argwhere(bad)[:n]
    return "; ".join(f"{tuple(int(v) for v in i)}: expected {ref[tuple(i)]!r}, got {got[tuple(i)]!r}" for i in idx)


def assert_exact(got: np.ndarray, ref: np.ndarray, what: str) -> None:
    """Integer paths: bit-exact, same shape and dtype."""
    assert got.shape == ref.shape, f"{what}: shape {got.shape}, expected {ref.shape}"
    assert got.dtype == ref.dtype, f"{what}: dtype {got.dtype}, expected {ref.dtype}"
    bad = got != ref
    assert not bad.any(), f"{what}: {int(bad.sum())} of {bad.size} elements differ: " + _first_mismatches(bad, ref, got)


def f32_atol(k_terms: int, scale: float = 1.0) -> float:
    """Absolute tolerance for an FP32 output that is a sum of `k_terms` products, each at most
    `scale` in magnitude, compared with a reference summed in float64 and rounded once.

    Why: FP32 summation of k terms in any order errs by at most gamma_k * sum|t_i|, about
    k * u * (k * scale) in the worst case (Higham, Accuracy and Stability, 4.2). That bound is
    reached only by adversarial data; with the random inputs of these tests the error grows like
    sqrt(k). We take 16 * k * u * scale: above the worst error seen on every board at these sizes,
    and far below what a one-line kernel bug changes (a dropped, doubled or misplaced term moves
    an output by about one term, i.e. ~scale / 4 with uniform inputs)."""
    return 16.0 * max(k_terms, 1) * U32 * scale


def assert_f32_close(got: np.ndarray, ref: np.ndarray, *, k_terms: int, what: str, scale: float = 1.0,
                     rtol: float = 8 * U32) -> None:
    """FP32 paths: |got - ref| <= atol + rtol*|ref| elementwise; NaN or Inf in `got` always fails.
    `rtol` covers the final rounding of large outputs (a few ulp)."""
    assert got.shape == ref.shape, f"{what}: shape {got.shape}, expected {ref.shape}"
    assert got.dtype == np.float32, f"{what}: dtype {got.dtype}, expected float32"
    nonfinite = ~np.isfinite(got)
    assert not nonfinite.any(), f"{what}: {int(nonfinite.sum())} NaN/Inf outputs: " + _first_mismatches(
        nonfinite, ref, got)
    atol = f32_atol(k_terms, scale)
    err = np.abs(got.astype(np.float64) - ref.astype(np.float64))
    bad = err > atol + rtol * np.abs(ref.astype(np.float64))
    assert not bad.any(), (f"{what}: {int(bad.sum())} of {bad.size} outside atol={atol:.3g} rtol={rtol:.3g} "
                           f"(max error {err.max():.3g}): " + _first_mismatches(bad, ref, got))


def inputs_of(spec: OpSpec) -> Callable[[Params, np.random.Generator], Arrays]:
    """The op's random-input generator (every op spec the kernel tests use has one)."""
    if spec.make_inputs is None:
        raise AssertionError(f"op {spec.name} has no make_inputs")
    return spec.make_inputs


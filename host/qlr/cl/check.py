"""Compare a backend's learning event with the golden twin's: what must match and how closely.

Exact (integers, decided by the shared RNG and integer arithmetic):
  the new latents' LR codes, which new latents entered the memory and in which slots, the
  mini-batch composition, the whole LR memory (codes, labels, scale), the filled/update/event
  counters and the RNG state after the event.

Within a tolerance (float32 computed in a different order):
  back-end weights and momentum buffers: ``|got - ref| <= ATOL + RTOL * |ref|`` element-wise,
  with ATOL = 1e-5 and RTOL = 1e-3. Why: a device sums the same float32 products in another
  order (tiles, 8 cores, fused multiply-add), which changes each gradient by a few ulps (relative
  ~1e-6 for sums of ~1e3 terms). One event takes ~60 SGD steps from the SAME starting weights
  (the twin starts every event from the device's state), and momentum carries each difference
  forward about 1/(1-0.9) = 10 times, so honest differences stay around 1e-5 relative; 1e-3 leaves
  room for ReLU units that flip on a near-zero input. Real faults are far larger: a wrong
  dequantization scale, a replayed wrong slot, a missing weight-decay term or a wrong learning
  rate change the weights by 1e-2 relative or more (tests/host/test_cl_check.py shows each).
  ATOL covers weights that cross zero.
  per-iteration losses: same formula with RTOL = 1e-3, ATOL = 1e-5.
  accuracy: ``|got - ref| <= max(ACC_SAMPLES / n, ACC_ABS)`` with ACC_SAMPLES = 2, ACC_ABS = 0.005:
  equal weights up to the tolerance above can flip the argmax of a test sample whose two largest
  logits are within ~1e-5, which happens to a sample or two in a thousand.
NaN or infinity anywhere is always a mismatch.

Each function returns a list of messages, empty when everything matches; a message names the
event, the tensor, the worst index and both values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qlr.cl.event import EvalReport, EventReport
from qlr.cl.state import CLState


@dataclass(frozen=True)
class Tolerance:
    atol: float = 1e-5
    rtol: float = 1e-3
    loss_atol: float = 1e-5
    loss_rtol: float = 1e-3
    acc_samples: int = 2
    acc_abs: float = 0.005


DEFAULT = Tolerance()


def _where(event: int | str) -> str:
    return f"event {event}" if isinstance(event, int) else str(event)


def _idx(shape: tuple[int, ...], flat: int) -> str:
    return str(tuple(int(i) for i in np.unravel_index(flat, shape))) if shape else "()"


def compare_exact(event: int | str, name: str, ref: np.ndarray, got: np.ndarray) -> list[str]:
    """Bit-exact comparison of integer (or float, bitwise) arrays."""
    ref, got = np.asarray(ref), np.asarray(got)
    w = _where(event)
    if ref.shape != got.shape:
        return [f"{w}: {name}: shape {got.shape} differs from the golden {ref.shape}"]
    if ref.dtype.kind == "f" or got.dtype.kind == "f":
        bad = ~(ref == got)  # NaN equals nothing: always a mismatch
    else:
        bad = ref.astype(np.int64) != got.astype(np.int64)
    if not bad.any():
        return []
    flat = int(np.flatnonzero(bad.ravel())[0])
    return [f"{w}: {name}: {int(bad.sum())} of {bad.size} differ; first at {_idx(ref.shape, flat)}: "
            f"got {got.ravel()[flat]!r}, golden {ref.ravel()[flat]!r}"]


def compare_close(event: int | str, name: str, ref: np.ndarray, got: np.ndarray, atol: float, rtol: float) -> list[str]:
    """``|got - ref| <= atol + rtol*|ref|``; NaN/inf fail; reports the worst element."""
    ref = np.asarray(ref, dtype=np.float64)
    got = np.asarray(got, dtype=np.float64)
    w = _where(event)
    if ref.shape != got.shape:
        return [f"{w}: {name}: shape {got.shape} differs from the golden {ref.shape}"]
    if not np.all(np.isfinite(got)):
        flat = int(np.flatnonzero(~np.isfinite(got.ravel()))[0])
        return [f"{w}: {name}: non-finite value at {_idx(got.shape, flat)}: {got.ravel()[flat]!r}"]
    if not np.all(np.isfinite(ref)):
        return [f"{w}: {name}: the golden value is not finite (twin diverged)"]
    err = np.abs(got - ref)
    excess = err - (atol + rtol * np.abs(ref))
    if not (excess > 0).any():
        return []
    flat = int(np.argmax(excess.ravel()))
    return [f"{w}: {name}: {int((excess > 0).sum())} of {err.size} outside |d| <= {atol:g} + {rtol:g}*|ref|; "
            f"worst at {_idx(ref.shape, flat)}: got {got.ravel()[flat]:.9g}, golden {ref.ravel()[flat]:.9g} "
            f"(|d| = {err.ravel()[flat]:.3g})"]


def compare_params(event: int | str, what: str, ref: dict[str, np.ndarray], got: dict[str, np.ndarray],
                   tol: Tolerance = DEFAULT) -> list[str]:
    msgs = []
    missing, extra = sorted(set(ref) - set(got)), sorted(set(got) - set(ref))
    if missing or extra:
        msgs.append(f"{_where(event)}: {what}: missing {missing}, unexpected {extra}")
    for k in ref:
        if k in got:
            msgs += compare_close(event, f"{what} {k}", ref[k], got[k], tol.atol, tol.rtol)
    return msgs


def compare_states(event: int | str, ref: CLState, got: CLState, tol: Tolerance = DEFAULT,
                   weights: bool = True) -> list[str]:
    """The whole state: LR memory and counters exactly, weights (unless ``weights`` is False, e.g.
    when `compare_events` already compared them) and momentum within tolerance."""
    w = _where(event)
    msgs = []
    for name, r, g in (("filled slots", ref.filled, got.filled), ("memory updates", ref.updates, got.updates),
                       ("events done", ref.events, got.events)):
        if r != g:
            msgs.append(f"{w}: {name}: got {g}, golden {r}")
    if tuple(ref.rng) != tuple(got.rng):
        msgs.append(f"{w}: RNG state: got {[f'0x{x:08X}' for x in got.rng]}, golden {[f'0x{x:08X}' for x in ref.rng]} "
                    f"(the random draws were consumed differently)")
    if ref.lr_codes.dtype != got.lr_codes.dtype:
        msgs.append(f"{w}: LR codes dtype {got.lr_codes.dtype}, golden {ref.lr_codes.dtype}")
    else:
        msgs += compare_exact(event, "LR memory codes [slot, ...]", ref.lr_codes, got.lr_codes)
    msgs += compare_exact(event, "LR memory labels [slot]", ref.lr_labels, got.lr_labels)
    msgs += compare_exact(event, "LR scale", ref.lr_scale.astype(np.float32), np.asarray(got.lr_scale, np.float32))
    if weights:
        msgs += compare_params(event, "weight", ref.params, got.params, tol)
    msgs += compare_params(event, "momentum", ref.momentum, got.momentum, tol)
    return msgs


def compare_events(event: int, ref: EventReport, got: EventReport, tol: Tolerance = DEFAULT) -> list[str]:
    """One event's report: latents, composition, slots exactly; losses and weights within tolerance."""
    w = _where(event)
    msgs = []
    if ref.n_new != got.n_new:
        msgs.append(f"{w}: new images: got {got.n_new}, golden {ref.n_new}")
    if (ref.mix.cur, ref.mix.rep, ref.mix.iterations) != (got.mix.cur, got.mix.rep, got.mix.iterations):
        msgs.append(f"{w}: mini-batch composition: got {got.mix.cur} new + {got.mix.rep} replayed x "
                    f"{got.mix.iterations} iterations, golden {ref.mix.cur} + {ref.mix.rep} x {ref.mix.iterations}")
    msgs += compare_exact(event, "new latent codes [image, ...]", ref.codes, got.codes)
    msgs += compare_exact(event, "admitted new latents (index into the event)", ref.new_index, got.new_index)
    msgs += compare_exact(event, "LR slots written", ref.slots, got.slots)
    msgs += compare_close(event, "loss per iteration", ref.losses, got.losses, tol.loss_atol, tol.loss_rtol)
    msgs += compare_params(event, "weight", ref.params, got.params, tol)
    return msgs


def compare_evals(event: int | str, ref: EvalReport, got: EvalReport, tol: Tolerance = DEFAULT) -> list[str]:
    """Accuracy within max(acc_samples / n, acc_abs); the sample counts must agree."""
    w = _where(event)
    if ref.n != got.n:
        return [f"{w}: evaluation: got {got.n} samples, golden {ref.n}"]
    bound = max(tol.acc_samples / max(ref.n, 1), tol.acc_abs)
    if not np.isfinite(got.accuracy) or abs(got.accuracy - ref.accuracy) > bound:
        diff = np.flatnonzero(np.asarray(ref.predictions) != np.asarray(got.predictions)) \
            if len(ref.predictions) == len(got.predictions) else np.array([], int)
        first = f"; first differing prediction at test sample {int(diff[0])}" if len(diff) else ""
        return [f"{w}: accuracy: got {got.accuracy:.4f}, golden {ref.accuracy:.4f} (bound {bound:.4f}, "
                f"{len(diff)} predictions differ{first})"]
    return []

"""The golden twin of a learning event: what the device computes, step for step, in NumPy.

An event on images ``x`` (uint8) with labels ``y``:

(a) latents: the int8 front-end (golden int8 kernels, bit-exact) gives u8 latents; the codec
    turns them into LR codes (`qlr.cl.session.LatentCodec`): these codes must match the device's
    bit for bit.
(b) training: `qlr.cl.policy.plan_event` draws the epoch orders and the memory update from the
    state's RNG; for every mini-batch (new latents first, then replayed slots) the back-end sees
    ``float32(code) * S_Q``, runs forward, softmax cross-entropy (mean over the mini-batch),
    backward and SGD with momentum and weight decay (`qlr.golden.qlr_sgd_f32`: v = m v + g + wd w,
    w -= lr v) on every back-end weight and bias, all in float32, with the golden kernels.
(c) memory update: the admitted new latents' codes and labels are written to their slots.

Evaluation: test images take the same path (front-end, codes, ``float32(code) * S_Q``, back-end
forward); the prediction is the first index of the largest logit.

`GoldenTwin` holds a `CLState`; `set_state` lets a checker start an event from a device's state.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qlr import golden as G
from qlr.cl.policy import EventPlan, Mix, plan_event
from qlr.cl.rng import Rng
from qlr.cl.session import SessionSetup, front_latents
from qlr.cl.state import CLState
from qlr.errors import QlrError
from qlr.model import run_forward
from qlr.model.graph import LEARNABLE, Network
from qlr.train.backprop import backward, forward_train


class Diverged(QlrError):
    """A learning event produced a non-finite loss, weight or momentum (so a non-finite gradient:
    SGD carries it into the weights). The backend that raises it has rolled its state back to
    the state before the event; ``event`` is the event's index."""

    def __init__(self, message: str, event: int | None = None) -> None:
        super().__init__(message)
        self.event = event


def non_finite(losses: np.ndarray, params: dict[str, np.ndarray], momentum: dict[str, np.ndarray]) -> str | None:
    """What is not finite after an event ("loss of iteration 3", "weights of fc.weight"), or None."""
    bad = np.flatnonzero(~np.isfinite(np.asarray(losses, dtype=np.float64)))
    if bad.size:
        return f"loss of iteration {int(bad[0])} is {float(losses[bad[0]])}"
    for what, tensors in (("weights", params), ("momentum (gradients)", momentum)):
        for key, v in tensors.items():
            if not np.all(np.isfinite(v)):
                return f"{what} of {key} hold NaN or infinity"
    return None


def diverged_message(event: int, where: str, backend: str) -> str:
    return (f"event {event} diverged on {backend}: {where}; the state before event {event} is kept "
            "(lower --lr)")


class BackEnd:
    """The trainable back-end: a Network whose parameters ARE a state's arrays (updated in place)."""

    def __init__(self, back: Network) -> None:
        self.net = back.copy()
        self.keys = [f"{lay.name}.{k}" for lay in self.net.layers for k in lay.params if k in LEARNABLE]
        self._first = next(lay.name for lay in self.net.layers if any(k in LEARNABLE for k in lay.params))

    def bind(self, params: dict[str, np.ndarray]) -> None:
        missing = sorted(set(self.keys) - set(params))
        extra = sorted(set(params) - set(self.keys))
        if missing or extra:
            raise QlrError(f"back-end parameters: missing {missing}, unexpected {extra}")
        for lay in self.net.layers:
            for k in lay.params:
                if k in LEARNABLE:
                    p = params[f"{lay.name}.{k}"]
                    if p.shape != lay.params[k].shape or p.dtype != np.float32:
                        raise QlrError(f"back-end parameter {lay.name}.{k}: expected float32 {lay.params[k].shape}, "
                                       f"got {p.dtype} {p.shape}")
                    lay.params[k] = p

    def train_step(self, x: np.ndarray, y: np.ndarray, momentum: dict[str, np.ndarray], lr: float, mom: float,
                   wd: float) -> float:
        """One SGD step on a mini-batch; returns the mean loss (before the step)."""
        logits, tape = forward_train(self.net, x, bn="frozen")
        loss, dlogits = G.qlr_softmax_xent_f32(logits, y)
        grads, _ = backward(self.net, tape, dlogits, input_grad=False, stop_after=self._first)
        for lay in self.net.layers:
            g = grads.get(lay.name)
            if not g:
                continue
            for k, gk in g.items():
                w = lay.params[k]
                # Without momentum there is no momentum buffer (the device keeps none either): the
                # update uses a zero v and the state's momentum stays zero.
                v = momentum[f"{lay.name}.{k}"] if mom else np.zeros_like(w)
                G.qlr_sgd_f32(w, gk.astype(np.float32, copy=False), v, lr, mom, wd)
        return loss

    def logits(self, x: np.ndarray, batch: int = 1000) -> np.ndarray:
        outs = [run_forward(self.net, x[s : s + batch]) for s in range(0, len(x), batch)]
        k = self.net.output_shape[-1]
        return np.concatenate(outs) if outs else np.zeros((0, k), np.float32)


@dataclass
class EventReport:
    """What one learning event did (a device backend fills the same fields).

    codes: the new latents' LR codes [N, ...] (uint8, or float32 in FP32 mode), bit-exact targets;
    new_index/slots: new latent new_index[j] went to LR slot slots[j]; losses: mean loss of every
    iteration in training order (epoch-major), float32; params: back-end weights after the event;
    mix: the mini-batch composition; seconds: wall time per phase (front, train, update, total);
    counters: per-phase counts (iterations, samples trained; a device adds cycles and peak memory);
    plan: the twin's full draw (epoch orders), None for a device.
    """

    event: int
    n_new: int
    labels: np.ndarray
    codes: np.ndarray
    losses: np.ndarray
    mix: Mix
    new_index: np.ndarray
    slots: np.ndarray
    params: dict[str, np.ndarray]
    seconds: dict[str, float] = field(default_factory=dict)
    counters: dict[str, Any] = field(default_factory=dict)
    plan: EventPlan | None = None

    def epoch_losses(self) -> list[float]:
        it = max(self.mix.iterations, 1)
        n_ep = len(self.losses) // it if self.mix.iterations else 0
        return [float(np.mean(self.losses[e * it : (e + 1) * it])) for e in range(n_ep)]

    def summary(self) -> dict[str, Any]:
        """JSON-able figures (no large arrays)."""
        ep = self.epoch_losses()
        return {"event": self.event, "n_new": self.n_new, "classes": sorted({int(c) for c in self.labels}),
                "cur": self.mix.cur, "rep": self.mix.rep, "iterations": self.mix.iterations,
                "loss_first_epoch": ep[0] if ep else None, "loss_last_epoch": ep[-1] if ep else None,
                "admitted": int(len(self.slots)), "seconds": dict(self.seconds), "counters": dict(self.counters)}


@dataclass
class EvalReport:
    """Accuracy on a test set: predictions [N] (first index of the largest logit)."""

    accuracy: float
    n: int
    correct: int
    predictions: np.ndarray
    per_class: dict[int, float] = field(default_factory=dict)
    seconds: float = 0.0
    counters: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_predictions(cls, pred: np.ndarray, labels: np.ndarray, seconds: float = 0.0,
                         counters: dict[str, Any] | None = None) -> EvalReport:
        pred = np.asarray(pred, dtype=np.int64)
        labels = np.asarray(labels, dtype=np.int64)
        hit = pred == labels
        per = {int(c): float(np.mean(hit[labels == c])) for c in np.unique(labels)}
        n = len(labels)
        return cls(float(hit.mean()) if n else float("nan"), n, int(hit.sum()), pred, per, seconds, dict(counters or {}))


class GoldenTwin:
    """The learning event and evaluation on the golden model, from a `SessionSetup`."""

    def __init__(self, setup: SessionSetup, state: CLState | None = None) -> None:
        self.setup = setup
        self.config = setup.config
        self.codec = setup.codec
        self.back = BackEnd(setup.back)
        self._state = (setup.state if state is None else state).copy()
        self.back.bind(self._state.params)
        self._eval_key: str | None = None
        self._eval_codes: np.ndarray | None = None

    # ------------------------------------------------------------------ state
    def state(self) -> CLState:
        return self._state.copy()

    def set_state(self, state: CLState) -> None:
        """Continue from ``state`` (copied): e.g. a device's state at the start of an event."""
        state.validate("state given to the golden twin")
        want = (self.config.n_lr,) + self.setup.latent_shape
        if state.lr_codes.shape != want or state.lr_codes.dtype != self.codec.dtype:
            raise QlrError(f"state LR codes are {state.lr_codes.dtype} {state.lr_codes.shape}, this session "
                           f"needs {self.codec.dtype} {want}")
        self._state = state.copy()
        self.back.bind(self._state.params)

    # ------------------------------------------------------------------ latents
    def latents(self, images: np.ndarray) -> np.ndarray:
        """The LR codes of images (front-end + codec)."""
        return self.codec.encode(front_latents(self.setup, images))

    # ------------------------------------------------------------------ the event
    def event(self, images: np.ndarray, labels: np.ndarray, event: int | None = None) -> EventReport:
        t0 = time.perf_counter()
        codes = self.latents(images)
        t_front = time.perf_counter() - t0
        rep = self.event_codes(codes, labels, event)
        rep.seconds["front"] = t_front
        rep.seconds["total"] += t_front
        return rep

    def event_codes(self, codes: np.ndarray, labels: np.ndarray, event: int | None = None) -> EventReport:
        """An event on precomputed LR codes (the experiments' cached latents take this path)."""
        cfg, st = self.config, self._state
        labels = np.asarray(labels, dtype=np.int64)
        codes = np.asarray(codes)
        if codes.shape[1:] != self.setup.latent_shape or len(codes) != len(labels):
            raise QlrError(f"event codes {codes.shape} / labels {labels.shape} do not match the latent "
                           f"shape {self.setup.latent_shape}")
        k = self.back.net.output_shape[-1]
        if labels.size and (labels.min() < 0 or labels.max() >= k):
            raise QlrError(f"event labels must be in [0, {k}), got {labels.min()}..{labels.max()}")
        ev = st.events if event is None else event
        t0 = time.perf_counter()
        rng = Rng(state=st.rng)
        plan = plan_event(rng, len(codes), st.filled, cfg.n_lr, st.updates, cfg.epochs, cfg.mb)
        x_new = self.codec.decode(codes)
        x_mem = self.codec.decode(st.lr_codes[: st.filled])
        before = st.copy()
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected in _train
                losses = self._train(plan, x_new, x_mem, labels, st, ev)
            bad = non_finite(np.zeros(0), st.params, st.momentum)
            if bad is not None:
                raise Diverged(diverged_message(ev, bad, "golden"), ev)
        except Diverged:
            self._state = before  # roll back: the weights were updated in place
            self.back.bind(before.params)
            raise
        t1 = time.perf_counter()
        upd = plan.update
        assert upd is not None
        st.lr_codes[upd.slots] = codes[upd.new_index]
        st.lr_labels[upd.slots] = labels[upd.new_index]
        st.filled = upd.filled_after
        st.updates += 1
        st.events = ev + 1
        st.rng = rng.state
        t2 = time.perf_counter()
        iters = len(losses)
        return EventReport(
            ev, len(codes), labels.copy(), codes.copy(), np.array(losses, dtype=np.float32), plan.mix,
            upd.new_index.copy(), upd.slots.copy(), {key: v.copy() for key, v in st.params.items()},
            {"front": 0.0, "train": t1 - t0, "update": t2 - t1, "total": t2 - t0},
            {"iterations": iters, "samples": int(sum(len(n) + len(r) for _, _, n, r in plan.batches())),
             "rng_draws": rng.draws},
            plan)

    def _train(self, plan: EventPlan, x_new: np.ndarray, x_mem: np.ndarray, labels: np.ndarray,
               st: CLState, ev: int) -> list[float]:
        cfg = self.config
        losses = []
        for e, t, new, rp in plan.batches():
            xb = np.concatenate([x_new[new], x_mem[rp]]) if len(rp) else x_new[new]
            yb = np.concatenate([labels[new], st.lr_labels[rp]]) if len(rp) else labels[new]
            loss = self.back.train_step(xb, yb, st.momentum, cfg.lr, cfg.momentum, cfg.weight_decay)
            if not np.isfinite(loss):
                raise Diverged(diverged_message(ev, f"loss {loss} at epoch {e}, iteration {t}", "golden"), ev)
            losses.append(loss)
        return losses

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, images: np.ndarray, labels: np.ndarray) -> EvalReport:
        """Accuracy on images; the front-end is frozen, so the codes of the last image set
        evaluated are kept (keyed by a SHA-1 of the images) and reused."""
        t0 = time.perf_counter()
        x = np.ascontiguousarray(images)
        key = hashlib.sha1(x.tobytes()).hexdigest() + str(x.shape) + str(x.dtype)
        if key != self._eval_key:
            self._eval_codes, self._eval_key = self.latents(x), key
        codes = self._eval_codes
        assert codes is not None  # set on the first call (the key starts as None)
        rep = self.evaluate_codes(codes, labels)
        rep.seconds = time.perf_counter() - t0
        return rep

    def evaluate_codes(self, codes: np.ndarray, labels: np.ndarray) -> EvalReport:
        t0 = time.perf_counter()
        logits = self.back.logits(self.codec.decode(codes))
        return EvalReport.from_predictions(np.argmax(logits, axis=1), labels, time.perf_counter() - t0)

"""The integer side of a learning event: mini-batch mixing and the LR-memory replacement policy.

Everything here depends only on counts and on the shared RNG (`qlr.cl.rng.Rng`), never on data
or weights, so a device can compute the same plan in C before it trains. docs/cl-protocol.md
repeats these rules; they are normative for the firmware.

Notation: ``N`` new latents in the event, ``F`` filled LR slots at the start of the event (slots
``0 .. F-1`` are the filled ones: the memory fills in slot order), ``N_LR`` slots in all, ``mb``
the mini-batch size, ``E`` epochs, ``i`` the memory update's index (0 for the first update ever,
which fills the memory).

Mixing (Pellegrini et al.'s rule, with the guards made explicit)::

    if F == 0:   cur = min(N, mb); rep = 0                      # nothing to replay yet
    else:        nb  = max(1, (N + F) // mb)
                 cur = min(mb, max(1, N // nb)); rep = mb - cur
    iterations per epoch = ceil(N / cur)                          (0 when N == 0)

(N = 300, F = 1500, mb = 128 gives the paper's 21 new + 107 replayed.) Each epoch draws
``new_perm = shuffle(N)`` and then, only if ``rep > 0``, ``rep_perm = shuffle(F)``. Iteration ``t``
of the epoch trains on the mini-batch made of::

    new    latents new_perm[t*cur : min((t+1)*cur, N)]            (the last one may be shorter)
    replay slots   rep_perm[(t*rep + j) mod F]  for j in 0 .. rep-1

new latents first, then the replayed ones, in these orders. Every new latent is used exactly once
per epoch; the replay stream wraps around (a slot can come twice in an epoch, and twice in one
mini-batch when rep > F).

Memory update after the E epochs (the new latents' codes, as trained on)::

    free = N_LR - F
    h    = min(N, max(N_LR // (i + 1), free))    # admitted new latents; while there is room,
                                                 # everything that fits is admitted
    new  = sample(N, h)                          # which new latents, in this order
    fill = min(free, h)                          # new[0 .. fill) -> slots F, F+1, ..., F+fill-1
    slots_r = sample(F, h - fill)                # only if h > fill: new[fill + j] -> slots_r[j]
    F += fill; i += 1

Once the memory is full (free = 0) this is exactly the reference policy: h = min(N_LR // (i+1), N)
random new latents replace h random slots, and update 0 (F = 0) fills the memory. Replacements
are drawn among the slots filled before this event, so a new latent never overwrites another
new latent of the same event.

RNG consumption order in one event (each `shuffle`/`sample` draws exactly as many outputs as the
indices it returns): epoch 0 ``shuffle(N)``, [``shuffle(F)``], epoch 1 ..., epoch E-1 ..., then
``sample(N, h)``, [``sample(F, h - fill)``]. Bracketed draws happen only when their count is
positive (``rep > 0``, ``h > fill``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qlr.cl.rng import Rng


@dataclass(frozen=True)
class Mix:
    """The mini-batch composition of an event: ``cur`` new + ``rep`` replayed, ``iterations`` per epoch."""

    cur: int
    rep: int
    iterations: int


def mixing(n_new: int, filled: int, mb: int) -> Mix:
    """The mixing rule (module docstring)."""
    if n_new < 0 or filled < 0:
        raise ValueError(f"counts must be >= 0, got N={n_new}, F={filled}")
    if mb < 1:
        raise ValueError(f"mini-batch size must be >= 1, got {mb}")
    if n_new == 0:
        return Mix(0, 0, 0)
    if filled == 0:
        cur, rep = min(n_new, mb), 0
    else:
        nb = max(1, (n_new + filled) // mb)
        cur = min(mb, max(1, n_new // nb))
        rep = mb - cur
    return Mix(cur, rep, math.ceil(n_new / cur))


@dataclass(frozen=True)
class MemoryUpdate:
    """Which new latents enter the memory and where: ``new_index[j]`` goes to ``slots[j]``.

    ``fill`` of them go into empty slots (the first ``fill`` entries), the rest replace old ones.
    ``filled_after`` and ``update_index`` (i) describe the memory before/after this update.
    """

    new_index: np.ndarray
    slots: np.ndarray
    fill: int
    update_index: int
    filled_before: int
    filled_after: int

    @property
    def h(self) -> int:
        return len(self.new_index)


def admitted(n_lr: int, filled: int, update_index: int, n_new: int) -> tuple[int, int]:
    """(h, fill): how many new latents the update admits and how many of them fill empty slots."""
    if not 0 <= filled <= n_lr:
        raise ValueError(f"filled slots {filled} outside 0..N_LR={n_lr}")
    if update_index < 0 or n_new < 0:
        raise ValueError("update index and N must be >= 0")
    if n_lr == 0:
        return 0, 0
    free = n_lr - filled
    h = min(n_new, max(n_lr // (update_index + 1), free))
    return h, min(free, h)


def memory_update(rng: Rng, n_lr: int, filled: int, update_index: int, n_new: int) -> MemoryUpdate:
    """Draw the memory update (module docstring); consumes ``h`` (+ ``h - fill``) RNG outputs."""
    h, fill = admitted(n_lr, filled, update_index, n_new)
    new = rng.sample(n_new, h)
    slots = np.empty(h, dtype=np.int64)
    slots[:fill] = np.arange(filled, filled + fill)
    if h > fill:
        slots[fill:] = rng.sample(filled, h - fill)
    return MemoryUpdate(new, slots, fill, update_index, filled, filled + fill)


@dataclass
class EpochOrder:
    """One epoch's draws: the permutation of the new latents and of the filled replay slots
    (empty when nothing is replayed)."""

    new_perm: np.ndarray
    rep_perm: np.ndarray

    def batch(self, mix: Mix, t: int, filled: int) -> tuple[np.ndarray, np.ndarray]:
        """(new latent indices, replay slot indices) of iteration ``t`` (module docstring)."""
        if not 0 <= t < mix.iterations:
            raise IndexError(f"iteration {t} outside 0..{mix.iterations - 1}")
        new = self.new_perm[t * mix.cur : (t + 1) * mix.cur]
        if mix.rep == 0:
            return new, np.empty(0, dtype=np.int64)
        pos = (t * mix.rep + np.arange(mix.rep)) % filled
        return new, self.rep_perm[pos]


@dataclass
class EventPlan:
    """All the random choices of one event, drawn in the normative order (module docstring)."""

    n_new: int
    filled: int
    mix: Mix
    epochs: list[EpochOrder] = field(default_factory=list)
    update: MemoryUpdate | None = None
    rng_before: tuple[int, int, int, int] = (1, 0, 0, 0)
    rng_after: tuple[int, int, int, int] = (1, 0, 0, 0)

    def batches(self) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
        """Yield (epoch, iteration, new indices, replay slots) in training order."""
        for e, order in enumerate(self.epochs):
            for t in range(self.mix.iterations):
                new, rep = order.batch(self.mix, t, self.filled)
                yield e, t, new, rep

    def composition(self) -> dict[str, Any]:
        """A JSON-able summary a device mirror can compare against."""
        return {"n_new": self.n_new, "filled": self.filled, "cur": self.mix.cur, "rep": self.mix.rep,
                "iterations": self.mix.iterations, "epochs": len(self.epochs)}


def plan_event(rng: Rng, n_new: int, filled: int, n_lr: int, update_index: int, epochs: int, mb: int,
               update_memory: bool = True) -> EventPlan:
    """Draw every random choice of an event from ``rng`` (advancing it) in the normative order."""
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    mix = mixing(n_new, filled, mb)
    plan = EventPlan(n_new, filled, mix, rng_before=rng.state)
    for _ in range(epochs):
        new_perm = rng.shuffle(n_new)
        rep_perm = rng.shuffle(filled) if mix.rep > 0 else np.empty(0, dtype=np.int64)
        plan.epochs.append(EpochOrder(new_perm, rep_perm))
    if update_memory:
        plan.update = memory_update(rng, n_lr, filled, update_index, n_new)
    plan.rng_after = rng.state
    return plan

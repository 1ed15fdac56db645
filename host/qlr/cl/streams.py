"""Data streams of a continual-learning run: an initial batch, then learning events.

Three kinds (``ProtocolConfig.stream``):

- ``class`` (NICv2-like, one class per event): every class (initial ones included) gets
  ``events // C`` events and the first ``events % C`` classes of a shuffled class order one more;
  the event order is a shuffle of that list; an event's images are the next ``event_size`` of its
  class's pool (the class's training images not in the initial batch, shuffled once). Sessions are
  ignored. The initial batch: ``n_initial`` images of the initial classes (default the first
  half), the first ``n_initial / k`` of each in file order (the first classes take the remainder).
- ``session`` (new instances, e.g. per-user adaptation): each event is one session: its training
  images (all its classes), at most ``event_size`` of them. The initial batch is the first
  ``n_initial`` training images (file order) of the initial sessions: ``initial_sessions``, or the
  fewest sessions in ascending id that hold ``n_initial`` images. The other sessions are the
  events, in a shuffled order, ``events`` of them.
- ``mixed`` (new instances and new classes, NICv2 proper): each event is one class within one
  session (a "unit"), at most ``event_size`` images; the initial batch is the first ``n_initial``
  images of the initial classes within the initial sessions (chosen as above among those
  classes' images); every other (session, class) pair with images is a unit; ``events`` units in
  a shuffled order.

Random choices come from ``Rng(seed XOR STREAM_SALT)`` (`qlr.cl.rng`), in this order. ``class``:
``shuffle(C)`` for the class order that takes the remainder events, ``shuffle(events)`` for the
event order, one ``shuffle(len(pool))`` per class in label order. ``session``/``mixed``:
``shuffle(U)`` of the units (sessions in ascending id; units by session, then class), then for
each of the first ``events`` units in that order ``sample(n, event_size)`` of its ``n`` images
when ``n > event_size``, else ``shuffle(n)``.

Values left as None are chosen from the data by `resolve_protocol` (what "works on any data set
of a few thousand images"); an impossible stream is refused by `make_stream` before anything is
trained, with the exact shortfall and the option values that fix it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from qlr.cl.rng import Rng
from qlr.cl.source import Pool
from qlr.errors import QlrError

STREAM_SALT = 0x5EEDC0DE
STREAMS = ("class", "session", "mixed")
# the nominal values `resolve_protocol` lowers to what the data allows
NOMINAL_N_INITIAL = 3000
NOMINAL_EVENT_SIZE = 300


@dataclass(frozen=True)
class ProtocolConfig:
    """The data stream and the default network (used when no --model is given).

    None means "choose from the data" (`resolve_protocol` for the stream, `default_input_shape`
    for the network): ``size`` the data's own size (Fashion-MNIST: 32x32, its 28x28 images
    zero-padded), ``channels`` the data's channel count.
    """

    data: str = "fashion-mnist"
    stream: str = "class"
    initial_classes: tuple[int, ...] | None = None  # None: the first half of the classes
    initial_sessions: tuple[int, ...] | None = None  # session/mixed streams; None: see the module doc
    n_initial: int | None = NOMINAL_N_INITIAL
    events: int | None = 10
    event_size: int | None = NOMINAL_EVENT_SIZE
    test_per_class: int | None = 100
    # the default network (when no --model is given)
    width: float | None = 0.25
    size: tuple[int, int] | None = (32, 32)
    channels: int | None = None
    fit: str = "auto"
    pretrain_epochs: int = 8
    pretrain_lr: float = 0.1
    pretrain_batch: int = 64
    pretrain_seed: int = 0

    def __post_init__(self) -> None:
        for name in ("n_initial", "events", "event_size", "test_per_class", "channels", "pretrain_epochs",
                     "pretrain_batch"):
            v = getattr(self, name)
            if v is not None and int(v) < 1:
                raise QlrError(f"protocol: --{name.replace('_', '-')} must be >= 1, got {v}")
        if self.stream not in STREAMS:
            raise QlrError(f"--stream must be one of {', '.join(STREAMS)}, got {self.stream!r}")
        if self.stream == "session" and self.initial_classes is not None:
            raise QlrError("--initial-classes does not apply to --stream session: its initial batch holds every "
                           "class of the initial sessions (--stream mixed takes initial classes)")
        size: Any = self.size
        if size is not None:
            if isinstance(size, int):  # a plain int from Python callers means a square input
                size = (size, size)
            if len(size) != 2 or min(size) < 1:
                raise QlrError(f"--size must be positive (H or HxW), got {size}")
            object.__setattr__(self, "size", (int(size[0]), int(size[1])))
        if self.width is not None and not (self.width > 0 and math.isfinite(self.width)):
            raise QlrError(f"--width must be > 0, got {self.width}")

    @property
    def resolved(self) -> bool:
        return None not in (self.n_initial, self.events, self.event_size, self.test_per_class)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("initial_classes", "initial_sessions", "size"):
            d[k] = None if getattr(self, k) is None else list(getattr(self, k))
        return d

    def with_(self, **kw: Any) -> ProtocolConfig:
        return replace(self, **kw)


@dataclass
class Stream:
    """One seed's stream over a `Pool`: initial batch, event index lists, test set."""

    pool: Pool
    config: ProtocolConfig
    seed: int
    initial_classes: list[int]
    initial_index: np.ndarray
    event_classes: list[list[int]]  # the classes of each event's images
    event_index: list[np.ndarray] = field(default_factory=list)
    event_sessions: list[int | None] = field(default_factory=list)  # session of each event (None: class stream)
    initial_sessions: list[int] = field(default_factory=list)

    @property
    def initial(self) -> tuple[np.ndarray, np.ndarray]:
        return self.pool.train_x[self.initial_index], self.pool.train_y[self.initial_index]

    @property
    def test(self) -> tuple[np.ndarray, np.ndarray]:
        return self.pool.test_x, self.pool.test_y

    def event(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        idx = self.event_index[i]
        return self.pool.train_x[idx], self.pool.train_y[idx]

    def __len__(self) -> int:
        return len(self.event_index)

    def describe(self) -> dict[str, Any]:
        """JSON-able description for run records."""
        new_at: dict[str, int] = {}
        seen = set(self.initial_classes)
        for i, classes in enumerate(self.event_classes):
            for c in classes:
                if c not in seen:
                    new_at[str(c)] = i
                    seen.add(c)
        sizes = [int(len(e)) for e in self.event_index]
        return {**self.config.to_dict(), "seed": self.seed, "data": self.pool.name, "classes": self.pool.classes,
                "initial_classes": self.initial_classes, "initial_sessions": self.initial_sessions,
                "n_initial": int(len(self.initial_index)), "event_classes": self.event_classes,
                "event_sessions": self.event_sessions, "event_sizes": sizes,
                "event_size": max(sizes) if sizes else self.config.event_size,
                "new_class_first_event": new_at, "test_size": int(len(self.pool.test_y)),
                "class_names": self.pool.class_names}


# ----------------------------------------------------------------------------- choosing values


def initial_classes_of(pool: Pool, cfg: ProtocolConfig) -> list[int]:
    if cfg.initial_classes is None:
        return pool.classes[: max(1, len(pool.classes) // 2)]
    bad = [c for c in cfg.initial_classes if c not in pool.classes]
    if bad:
        raise QlrError(f"--initial-classes {list(cfg.initial_classes)}: {bad} not in the data's classes {pool.classes}")
    return list(cfg.initial_classes)


def _sessions_of(pool: Pool, cfg: ProtocolConfig) -> np.ndarray:
    if pool.train_sessions is None:
        raise QlrError(f"--stream {cfg.stream}: {pool.name} has no 'sessions' field (a data set .npz with one "
                       f"session id per image); use --stream class")
    return pool.train_sessions


def _session_candidates(pool: Pool, cfg: ProtocolConfig) -> np.ndarray:
    """Training images the initial batch of a session/mixed stream may take (mixed: initial classes only)."""
    if cfg.stream == "mixed":
        return np.flatnonzero(np.isin(pool.train_y, initial_classes_of(pool, cfg)))
    return np.arange(len(pool.train_y))


def initial_sessions_of(pool: Pool, cfg: ProtocolConfig, n_initial: int) -> list[int]:
    """The explicit initial sessions, or the fewest sessions (ascending id) holding ``n_initial``
    candidate images (all sessions when they hold fewer)."""
    sess = _sessions_of(pool, cfg)
    ids = pool.sessions
    if cfg.initial_sessions is not None:
        bad = [s for s in cfg.initial_sessions if s not in ids]
        if bad:
            raise QlrError(f"--initial-sessions {list(cfg.initial_sessions)}: {bad} not among the data's sessions")
        return sorted({int(s) for s in cfg.initial_sessions})
    cand = sess[_session_candidates(pool, cfg)]
    counts = np.array([int(np.sum(cand == s)) for s in ids])
    reach = int(np.searchsorted(np.cumsum(counts), n_initial)) + 1
    return ids[: min(reach, len(ids))]


def _class_counts(pool: Pool) -> dict[int, int]:
    return {c: int(np.sum(pool.train_y == c)) for c in pool.classes}


def resolve_protocol(pool: Pool, cfg: ProtocolConfig, default_events: int = 10) -> ProtocolConfig:
    """``cfg`` with every None stream value chosen from the data (see the module docstring):

    - ``test_per_class``: the pool's (`qlr.cl.source.auto_test_per_class`);
    - ``n_initial``: 3000, or half of the images the initial batch can draw from when fewer;
    - ``events``: ``default_events`` (class stream), or as many units as there are when fewer;
    - ``event_size``: 300, or the largest size every class's events can have (class stream).
    """
    out = cfg.with_(test_per_class=pool.test_per_class)
    if cfg.stream == "class":
        counts = _class_counts(pool)
        init_cls = initial_classes_of(pool, cfg)
        n_init = cfg.n_initial
        if n_init is None:
            n_init = max(1, min(NOMINAL_N_INITIAL, sum(counts[c] for c in init_cls) // 2))
        events = default_events if cfg.events is None else cfg.events
        size = cfg.event_size
        if size is None:
            per_init = _per_class_initial(init_cls, n_init)
            worst = -(-events // len(pool.classes))  # the most events a class can get, whatever the seed
            room = min((counts[c] - per_init.get(c, 0)) // worst for c in pool.classes)
            size = max(1, min(NOMINAL_EVENT_SIZE, room))
        return out.with_(n_initial=n_init, events=events, event_size=size)
    sess = _sessions_of(pool, cfg)
    n_init = cfg.n_initial
    if n_init is None:
        cand = _session_candidates(pool, cfg)
        if cfg.initial_sessions is not None:
            n_init = max(1, min(NOMINAL_N_INITIAL, int(np.sum(np.isin(sess[cand], cfg.initial_sessions)))))
        else:
            n_init = max(1, min(NOMINAL_N_INITIAL, len(cand) // 2))
    out = out.with_(n_initial=n_init, event_size=NOMINAL_EVENT_SIZE if cfg.event_size is None else cfg.event_size)
    if cfg.events is None:
        units = len(_units(pool, out, _initial_index_sessions(pool, out)[0]))
        out = out.with_(events=max(1, min(default_events, units)))
    return out


# ----------------------------------------------------------------------------- class stream


def _per_class_initial(classes: list[int], n_initial: int) -> dict[int, int]:
    per, extra = divmod(n_initial, len(classes))
    return {c: per + (1 if j < extra else 0) for j, c in enumerate(classes)}


def initial_index(pool: Pool, cfg: ProtocolConfig) -> np.ndarray:
    """The initial batch of a class stream (seed-independent): the first images of each initial
    class in file order."""
    want = _per_class_initial(initial_classes_of(pool, cfg), _need(cfg.n_initial, "n_initial"))
    counts = _class_counts(pool)
    short = {c: n for c, n in want.items() if counts[c] < n}
    if short:
        k = len(want)
        fit = min(counts[c] for c in want) * k
        lines = ", ".join(f"class {c} has {counts[c]} (needs {n})" for c, n in short.items())
        raise QlrError(f"protocol: the initial batch of {cfg.n_initial} images over {k} classes is infeasible: "
                       f"{lines}. Fix: --n-initial {fit} or less")
    return np.sort(np.concatenate([np.flatnonzero(pool.train_y == c)[:n] for c, n in want.items()]))


def _need(v: int | None, name: str) -> int:
    if v is None:
        raise QlrError(f"protocol: {name} is not resolved (call resolve_protocol first)")
    return int(v)


def _class_counts_per_event(classes: list[int], class_order: list[int], events: int) -> dict[int, int]:
    per, extra = divmod(events, len(classes))
    counts = dict.fromkeys(classes, per)
    for c in class_order[:extra]:
        counts[c] += 1
    return counts


def _class_fixes(pool: Pool, cfg: ProtocolConfig, class_order: list[int]) -> str:
    """The option values that make an infeasible class stream feasible (each alone)."""
    total = _class_counts(pool)
    init_cls = initial_classes_of(pool, cfg)
    n_init, events, size = _need(cfg.n_initial, "n_initial"), _need(cfg.events, "events"), _need(cfg.event_size, "event_size")

    def ok(n_init: int, events: int, size: int) -> bool:
        per_init = _per_class_initial(init_cls, n_init)
        counts = _class_counts_per_event(pool.classes, class_order, events)
        return all(counts[c] * size <= total[c] - per_init.get(c, 0) for c in pool.classes)

    fixes = []
    max_size = max((s for s in range(size - 1, 0, -1) if ok(n_init, events, s)), default=0)
    if max_size:
        fixes.append(f"--event-size {max_size}")
    max_events = max((e for e in range(events - 1, 0, -1) if ok(n_init, e, size)), default=0)
    if max_events:
        fixes.append(f"--events {max_events}")
    lo, hi = 1, n_init - 1  # the largest n_initial that works (monotone: fewer initial images leave more)
    if hi >= 1 and ok(1, events, size):
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if ok(mid, events, size) else (lo, mid - 1)
        fixes.append(f"--n-initial {lo}")
    return ", or ".join(fixes) if fixes else "fewer events, smaller events and a smaller initial batch together"


def _class_stream(pool: Pool, cfg: ProtocolConfig, seed: int) -> Stream:
    rng = Rng(seed ^ STREAM_SALT)
    classes = pool.classes
    init_cls = initial_classes_of(pool, cfg)
    init = initial_index(pool, cfg)
    events, size = _need(cfg.events, "events"), _need(cfg.event_size, "event_size")
    class_order = [classes[j] for j in rng.shuffle(len(classes))]
    counts = _class_counts_per_event(classes, class_order, events)
    multiset = [c for c in classes for _ in range(counts[c])]
    event_classes = [multiset[j] for j in rng.shuffle(len(multiset))]
    in_init = np.zeros(len(pool.train_y), bool)
    in_init[init] = True
    avail = {c: np.flatnonzero((pool.train_y == c) & ~in_init) for c in classes}
    short = [c for c in classes if counts[c] * size > len(avail[c])]
    if short:
        lines = "; ".join(f"class {c} has {len(avail[c])} images outside the initial batch, its {counts[c]} "
                          f"event(s) of {size} need {counts[c] * size} (short by {counts[c] * size - len(avail[c])})"
                          for c in short)
        raise QlrError(f"protocol: the stream of {events} events of {size} images is infeasible on {pool.name} "
                       f"(seed {seed}): {lines}. Fix: {_class_fixes(pool, cfg, class_order)}")
    pools = {c: avail[c][rng.shuffle(len(avail[c]))] for c in classes}
    used = dict.fromkeys(classes, 0)
    index = []
    for c in event_classes:
        index.append(pools[c][used[c] : used[c] + size])
        used[c] += size
    return Stream(pool, cfg, seed, init_cls, init, [[c] for c in event_classes], index,
                  [None] * len(index), [])


# ----------------------------------------------------------------------------- session and mixed streams


def _initial_index_sessions(pool: Pool, cfg: ProtocolConfig) -> tuple[np.ndarray, list[int]]:
    n_init = _need(cfg.n_initial, "n_initial")
    init_sessions = initial_sessions_of(pool, cfg, n_init)
    cand = _session_candidates(pool, cfg)
    cand = cand[np.isin(_sessions_of(pool, cfg)[cand], init_sessions)]
    if len(cand) < n_init:
        raise QlrError(f"protocol: the initial batch needs {n_init} images, the initial session(s) "
                       f"{init_sessions} hold {len(cand)}. Fix: --n-initial {max(1, len(cand))} or less, or more "
                       f"--initial-sessions")
    return np.sort(cand[:n_init]), init_sessions


def _units(pool: Pool, cfg: ProtocolConfig, init: np.ndarray) -> list[tuple[int, int | None, np.ndarray]]:
    """(session, class or None, training indices not in the initial batch) of every unit."""
    sess = _sessions_of(pool, cfg)
    left = np.ones(len(pool.train_y), bool)
    left[init] = False
    init_sessions = {int(s) for s in np.unique(sess[init])}
    if cfg.initial_sessions is not None:
        init_sessions |= {int(s) for s in cfg.initial_sessions}
    units: list[tuple[int, int | None, np.ndarray]] = []
    for s in pool.sessions:
        mine = left & (sess == s)
        if cfg.stream == "session":
            if s not in init_sessions and mine.any():
                units.append((s, None, np.flatnonzero(mine)))
            continue
        for c in pool.classes:
            idx = np.flatnonzero(mine & (pool.train_y == c))
            if len(idx) and (s not in init_sessions or c not in initial_classes_of(pool, cfg)):
                units.append((s, c, idx))
    return units


def _session_stream(pool: Pool, cfg: ProtocolConfig, seed: int) -> Stream:
    init, init_sessions = _initial_index_sessions(pool, cfg)
    units = _units(pool, cfg, init)
    events, size = _need(cfg.events, "events"), _need(cfg.event_size, "event_size")
    what = "session(s)" if cfg.stream == "session" else "(session, class) unit(s)"
    if events > len(units):
        fixes = [f"--events {len(units)}"] if units else []
        if cfg.initial_sessions is None and len(init_sessions) > 1:
            fixes.append(f"a smaller --n-initial (the initial batch takes sessions {init_sessions})")
        raise QlrError(f"protocol: --stream {cfg.stream} with {events} events is infeasible on {pool.name}: it has "
                       f"{len(units)} {what} outside the initial batch (short by {events - len(units)}). Fix: "
                       + (", or ".join(fixes) if fixes else "a data set with more sessions"))
    rng = Rng(seed ^ STREAM_SALT)
    order = rng.shuffle(len(units))[:events]
    index, sessions, classes = [], [], []
    for j in order:
        s, _, idx = units[j]
        pick = rng.sample(len(idx), size) if len(idx) > size else rng.shuffle(len(idx))
        chosen = idx[pick]
        index.append(chosen)
        sessions.append(s)
        classes.append(sorted(int(c) for c in np.unique(pool.train_y[chosen])))
    init_cls = sorted(int(c) for c in np.unique(pool.train_y[init]))
    return Stream(pool, cfg, seed, init_cls, init, classes, index, sessions, init_sessions)


def make_stream(pool: Pool, cfg: ProtocolConfig, seed: int) -> Stream:
    """The seed's stream (module docstring); ``cfg`` is resolved first if it has None values."""
    if not cfg.resolved:
        cfg = resolve_protocol(pool, cfg)
    builder: Callable[[Pool, ProtocolConfig, int], Stream] = _class_stream if cfg.stream == "class" else _session_stream
    return builder(pool, cfg, seed)


def auto_note(before: ProtocolConfig, after: ProtocolConfig, pool: Pool) -> str | None:
    """One line naming the stream values chosen from the data (None when all were given)."""
    chosen = [(k, getattr(after, k)) for k in ("n_initial", "events", "event_size", "test_per_class")
              if getattr(before, k) is None]
    if not chosen:
        return None
    what = ", ".join(f"--{k.replace('_', '-')} {v}" for k, v in chosen)
    return (f"stream on {pool.name} ({len(pool.train_y)} training images, {len(pool.classes)} classes"
            + (f", {len(pool.sessions)} sessions" if pool.train_sessions is not None else "")
            + f"): {what} (chosen from the data)")

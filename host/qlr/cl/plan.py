"""The memory plan of the learning firmware: where every buffer of a learning event lives.

`plan_for(content, config, board)` takes what a device will learn with (the image's layer table,
its front-end int8 and back-end FP32 parameters, the LR memory geometry), a continual-learning
configuration (`PlanConfig`: N_LR, Q_LR, mini-batch, new images per event, epochs, momentum) and
a board (`qlr.boards.Board`), and returns a `MemoryPlan`: a list of `Allocation`s, each at an
offset inside the free window of one memory level. The device setup receives the offsets
(`MemoryPlan.to_dict()`) and places its buffers there; `qlr memreport` prints the plan next to
what the ELF itself takes. Pure and deterministic: the same inputs give the same plan.

Conventions:

- Windows: the part of a level the application may use, as the firmware's `qlr_mem_region`
  returns it (L1/L2: from `__l1_free_start` / `__l2_free_start` to the end of the level; L3: the
  whole level, reached by offset). Offsets are relative to the window's first byte. Without
  windows from an ELF (`qlr.report.elf.windows_from_elf`) the plan assumes the whole level
  (`board_windows`): exact for the host board, an upper bound on the embedded boards.
- Every allocation starts at a multiple of `ALIGN` (64 bytes, for the DMA); sizes are the exact
  byte counts, so the space between two allocations is alignment padding only.
- Nothing is overlaid: buffers of different phases (front-end, training) do not share memory.

Where things go (the rules, also in docs/memory.md):

- ``lr`` (L3): the packed latents, ``N_LR * ceil(E * Q_LR / 8)`` bytes (E elements per latent,
  one byte-aligned row each), the labels (u16 each) and the FP32 scales (1, or one per channel).
- ``weights`` (L2): front-end int8 weights, int32 biases and multipliers, u8 shifts (sizes of the
  image's sections); back-end FP32 weights and biases; the u8 code maxima of the LR scales
  (``lr.code_max``, used to quantize new latents) when the image has them or scales are per
  channel.
- ``optimizer`` (L2): one SGD momentum buffer per back-end weight and bias (none at momentum 0).
- ``gradients`` (L2): one FP32 gradient per back-end weight and bias, accumulated over the
  micro-batches of a mini-batch; two activation-gradient buffers of ``ub`` samples of the largest
  back-end tensor (ping-pong), plus one accumulation buffer per back-end tensor read by more than
  one layer.
- ``activations`` (L2): the front-end's u8 buffers for one image (as many as tensors live at once:
  two for a chain, three around a residual add; each as big as the largest front-end tensor,
  the input image included); the back-end input (``ub`` dequantized latents, FP32) and every
  back-end layer's FP32 output for ``ub`` samples, kept for the backward pass (a flatten is a
  view and takes nothing).
- ``data``: the ``n_new`` images of an event (u8), their labels (u16) and their new latent codes
  (packed at Q_LR). In L2 when they fit next to everything else at the micro-batch chosen with
  the data in L3; otherwise in L3 (after the LR memory) when L3 has room; otherwise in L2 at a
  smaller micro-batch. A bigger micro-batch wins over keeping the data in L2, because training
  reads its buffers ``epochs`` times per event and the front-end reads each image once.
- ``tiles`` (L1): the LR-load double buffer (two buffers of whole latent rows, as many as a
  micro-batch needs, each at most a quarter of the L1 window; a row bigger than that is loaded in
  chunks of whole 64-byte blocks and whole elements) and the kernel tile set (half of the L1
  window, which the tiled kernels divide into their double-buffered tiles).

The micro-batch ``ub``: the back-end runs a mini-batch of ``mb`` latents in micro-batches of
``ub`` samples, accumulating the weight gradients. `plan_for` chooses the largest ``ub <= mb``
whose L2 allocations fit the L2 window with the data in L3 (or, when L3 has no room for the data,
with the data in L2); L2 need grows with ``ub``, so a binary search finds it. If even ``ub = 1``
does not fit, the plan does not fit and `plan_for` raises `PlanError` naming the level, its
budget, the need and the biggest allocations.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from qlr.errors import QlrError
from qlr.image.content import ImageContent
from qlr.image.pack import back_records

ALIGN = 64
LEVELS = ("L1", "L2", "L3")
CATEGORIES = ("lr", "weights", "optimizer", "gradients", "activations", "data", "tiles")
Q_MIN, Q_MAX = 1, 8

# Layer kinds and stages of the image format (qlr.image.format), repeated as plain ints so this
# module only needs the records' fields.
_CONV2D, _DWCONV2D, _PWCONV, _LINEAR, _AVGPOOL, _GAVGPOOL, _ADD, _FLATTEN = 1, 2, 3, 4, 5, 6, 7, 8
_PARAM_KINDS = (_CONV2D, _DWCONV2D, _PWCONV, _LINEAR)
_FRONT, _BACK = 0, 1
_NO_INPUT = 0xFFFF


class PlanError(QlrError):
    """A configuration does not fit a board: names the level, its budget, the need and the
    biggest allocations there."""

    def __init__(self, message: str, level: str = "", budget: int = 0, need: int = 0,
                 biggest: tuple[Allocation, ...] = ()) -> None:
        super().__init__(message)
        self.level = level
        self.budget = budget
        self.need = need
        self.biggest = biggest


@dataclass(frozen=True)
class Allocation:
    """One buffer: ``size`` bytes at ``offset`` from the start of ``level``'s window."""

    level: str
    name: str
    category: str
    offset: int
    size: int
    align: int = ALIGN

    @property
    def end(self) -> int:
        return self.offset + self.size


@dataclass(frozen=True)
class Window:
    """The free part of a level: ``size`` bytes; ``base`` its address when known (None for L3 and
    for windows not read from an ELF)."""

    level: str
    size: int
    base: int | None = None


@dataclass(frozen=True)
class PlanConfig:
    """The continual-learning settings that decide memory.

    n_lr: latents in the LR memory; q_lr: bits per latent element (1..8); mb: mini-batch (new +
    replayed latents per SGD step); n_new: new images per learning event; epochs: passes over
    the event's data (recorded; memory does not depend on it); per_channel: one LR scale per
    latent channel instead of one per tensor; momentum: SGD momentum (0 = no momentum buffers).
    """

    n_lr: int
    q_lr: int
    mb: int = 128
    n_new: int = 128
    epochs: int = 4
    per_channel: bool = False
    momentum: float = 0.9

    def __post_init__(self) -> None:
        def need_int(name: str, lo: int, hi: int | None = None) -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise QlrError(f"plan config: field '{name}' must be an int, got {v!r}")
            if v < lo or (hi is not None and v > hi):
                rng = f"{lo}..{hi}" if hi is not None else f">= {lo}"
                raise QlrError(f"plan config: field '{name}' must be {rng}, got {v}")

        need_int("n_lr", 0)
        need_int("q_lr", Q_MIN, Q_MAX)
        need_int("mb", 1)
        need_int("n_new", 0)
        need_int("epochs", 1)
        if not (isinstance(self.momentum, (int, float)) and math.isfinite(self.momentum) and self.momentum >= 0):
            raise QlrError(f"plan config: field 'momentum' must be a finite number >= 0, got {self.momentum!r}")

    @classmethod
    def from_content(cls, content: Any, **overrides: Any) -> PlanConfig:
        """Defaults from the image's LR memory (N, Q, scale per channel or not), then overrides
        (keys whose value is None are ignored)."""
        d: dict[str, Any] = {}
        lr = getattr(content, "lr", None)
        if lr is not None:
            d["n_lr"] = int(lr.codes.shape[0])
            d["q_lr"] = int(lr.bits)
            d["per_channel"] = int(getattr(lr.scale, "size", 1)) > 1
        d.update({k: v for k, v in overrides.items() if v is not None})
        for k in ("n_lr", "q_lr"):
            if k not in d:
                raise QlrError(f"plan config: the image has no LR memory, so '{k}' must be given")
        return cls(**d)


    @classmethod
    def of(cls, config: Any, **overrides: Any) -> PlanConfig:
        """From any object carrying some of these fields (e.g. `qlr.cl.session.CLConfig`, which has
        no ``n_new`` or ``per_channel``: pass them here), then overrides (None values ignored)."""
        if isinstance(config, PlanConfig) and not overrides:
            return config
        names = ("n_lr", "q_lr", "mb", "n_new", "epochs", "per_channel", "momentum")
        d = {n: getattr(config, n) for n in names if hasattr(config, n)}
        d.update({k: v for k, v in overrides.items() if v is not None})
        if d.get("q_lr", 0) is None:
            raise QlrError("plan config: field 'q_lr' is None (FP32 latents): a device stores Q-bit codes, 1..8")
        return cls(**d)


def _as_config(config: Any) -> PlanConfig:
    return PlanConfig.of(config)


def align_up(n: int, a: int = ALIGN) -> int:
    return -(-n // a) * a


def packed_row_bytes(elements: int, bits: int) -> int:
    """Bytes of one latent of ``elements`` codes at ``bits`` bits: ceil(elements * bits / 8)."""
    return -(-elements * bits // 8)


def board_windows(board: Any) -> dict[str, Window]:
    """Windows covering each whole level of a board (no code, data or stacks subtracted)."""
    return {lvl: Window(lvl, int(board.memory[lvl].size), None) for lvl in LEVELS}


# ----------------------------------------------------------------------------- network geometry


def _prod(shape: Iterable[int]) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def _weight_elems(r: Any) -> int:
    cin, cout = int(r.in_shape[2]), int(r.out_shape[2])
    if r.kind == _CONV2D:
        return cout * int(r.kernel[0]) * int(r.kernel[1]) * cin
    if r.kind == _DWCONV2D:
        return int(r.kernel[0]) * int(r.kernel[1]) * cin
    return cout * cin


def _front_param_sizes(i: int, r: Any, fp: Any) -> list[tuple[str, int]]:
    """(suffix, bytes) of a front-end layer's sections; from the image's arrays when present."""
    cout = int(r.out_shape[2])
    out: list[tuple[str, int]] = []
    if r.kind in _PARAM_KINDS:
        w = fp.weight.size if fp is not None and fp.weight is not None else _weight_elems(r)
        out.append(("weight", int(w)))
        if r.flags & 1:
            out.append(("bias", 4 * int(fp.bias.size if fp is not None and fp.bias is not None else cout)))
        n_mult = fp.mult.size if fp is not None else cout
        n_shift = fp.shift.size if fp is not None else cout
    elif r.kind in (_AVGPOOL, _GAVGPOOL):
        n_mult = n_shift = 1
    elif r.kind == _ADD:
        n_mult, n_shift = 2, 1
    else:
        return out
    out.append(("mult", 4 * int(n_mult)))
    out.append(("shift", int(n_shift)))
    return out


def _hwc(shape: Sequence[int]) -> tuple[int, int, int]:
    return (int(shape[0]), int(shape[1]), int(shape[2]))


@dataclass(frozen=True)
class _Geometry:
    input_shape: tuple[int, int, int]
    latent_shape: tuple[int, int, int]
    front: tuple[int, ...]
    back: tuple[int, ...]
    fe_params: tuple[tuple[str, int], ...]  # (name, bytes)
    be_params: tuple[tuple[str, int], ...]
    fe_slots: int  # u8 buffers live at once in the front-end
    fe_slot_bytes: int
    be_outputs: tuple[tuple[int, int], ...]  # (layer, elements) of back-end outputs kept for backward
    be_max_elems: int
    be_branch: tuple[tuple[int, int], ...]  # (layer, elements) of back-end tensors read by > 1 layer


def _storage_of(layers: list[Any], i: int) -> int:
    """The layer whose buffer holds layer i's output (a flatten is a view of its input)."""
    while i != _NO_INPUT and layers[i].kind == _FLATTEN:
        i = layers[i].input0
    return i


def _front_slots(layers: list[Any], front: list[int]) -> int:
    """Buffers the front-end needs for one image: greedy slots, freed after the last reader."""
    if not front:
        return 0
    readers: dict[int, int] = {}  # storage -> last front layer that reads it
    last_front = front[-1]
    for i in front:
        r = layers[i]
        for s in ((r.input0, r.input1) if r.kind == _ADD else (r.input0,)):
            readers[_storage_of(layers, s)] = i
    readers[_storage_of(layers, last_front)] = len(layers)  # the latent lives to the end
    live = {_NO_INPUT}
    peak = 1
    for i in front:
        if layers[i].kind != _FLATTEN:
            live.add(i)
            peak = max(peak, len(live))
        for s in list(live):
            if readers.get(s, -1) <= i:
                live.discard(s)
    return peak


def _geometry(content: Any) -> _Geometry:
    layers = list(getattr(content, "layers", None) or [])
    if not layers:
        raise QlrError("image: no NETWORK section (layer table): the memory plan needs the network")
    front = [i for i, r in enumerate(layers) if r.stage == _FRONT]
    back = [i for i, r in enumerate(layers) if r.stage == _BACK]
    if not back:
        raise QlrError("image: NETWORK has no back-end (stage BACK) layer: nothing to train")
    input_shape = _hwc(layers[0].in_shape)
    latent_shape = _hwc(layers[front[-1]].out_shape if front else layers[0].in_shape)
    fparams = getattr(content, "front", {}) or {}
    fe: list[tuple[str, int]] = []
    for i in front:
        fe += [(f"fe.{i}.{suf}", n) for suf, n in _front_param_sizes(i, layers[i], fparams.get(i))]
    be: list[tuple[str, int]] = []
    for i in back:
        r = layers[i]
        if r.kind in _PARAM_KINDS:
            be.append((f"be.{i}.weight", 4 * _weight_elems(r)))
            if r.flags & 1:
                be.append((f"be.{i}.bias", 4 * int(r.out_shape[2])))
    fe_tensors = [_prod(input_shape)] + [_prod(layers[i].out_shape) for i in front]
    outs = tuple((i, _prod(layers[i].out_shape)) for i in back if layers[i].kind != _FLATTEN)
    latent_elems = _prod(latent_shape)
    be_max = max([latent_elems] + [n for _, n in outs])
    consumers: dict[int, int] = {}
    for i in back:
        r = layers[i]
        for s in ((r.input0, r.input1) if r.kind == _ADD else (r.input0,)):
            st = _storage_of(layers, s)
            if st != _NO_INPUT and layers[st].stage == _BACK:  # the latent needs no gradient
                consumers[st] = consumers.get(st, 0) + 1
    branch = tuple((s, _prod(layers[s].out_shape)) for s in sorted(consumers) if consumers[s] > 1)
    return _Geometry(input_shape, latent_shape, tuple(front), tuple(back), tuple(fe), tuple(be),
                     _front_slots(layers, front), max(fe_tensors) if front else 0, outs, be_max, branch)


def content_for_network(net: Any, lr_layer: int) -> Any:
    """An `ImageContent` with only the layer table of ``net`` split at LR layer ``lr_layer``
    (BatchNorm folded, activations fused as `qlr image pack` does), for planning a network before
    it is quantized. Front-end requantization is taken as per channel (one multiplier and shift
    per output channel), the upper bound of the two schemes."""
    front, back = net.fold_batchnorm().split(lr_layer)
    frecs, _ = back_records(front, 0, _NO_INPUT)
    for r in frecs:
        r.stage = _FRONT
    brecs, _ = back_records(back, len(frecs), len(frecs) - 1)
    return ImageContent(layers=frecs + brecs)


# ----------------------------------------------------------------------------- the plan


@dataclass
class MemoryPlan:
    """Where every buffer of a learning event lives on one board (see the module docstring).

    ``ub`` is the micro-batch the device must use; ``data_level`` where the event's data go.
    """

    board: str
    config: PlanConfig
    windows: dict[str, Window]
    allocations: list[Allocation]
    ub: int
    data_level: str
    latent_shape: tuple[int, int, int]
    lr_row_bytes: int
    lr_tile_rows: int  # whole latent rows per LR tile buffer; 0 when a row is loaded in chunks
    lr_tile_bytes: int
    kernel_tile_bytes: int
    notes: list[str] = field(default_factory=list)

    # --- queries
    def at(self, level: str) -> list[Allocation]:
        return [a for a in self.allocations if a.level == level]

    def used(self, level: str) -> int:
        """Bytes from the window start to the end of the last allocation (padding included)."""
        return max((a.end for a in self.at(level)), default=0)

    def budget(self, level: str) -> int:
        return self.windows[level].size

    def free(self, level: str) -> int:
        return self.budget(level) - self.used(level)

    def category_bytes(self, category: str, level: str | None = None) -> int:
        return sum(a.size for a in self.allocations
                   if a.category == category and (level is None or a.level == level))

    def by_category(self, level: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for a in self.at(level):
            out[a.category] = out.get(a.category, 0) + a.size
        return out

    @property
    def lr_bytes(self) -> int:
        """Bytes of the LR memory: packed latents + labels + scales."""
        return self.category_bytes("lr")

    def get(self, name: str) -> Allocation:
        for a in self.allocations:
            if a.name == name:
                return a
        raise KeyError(name)

    def biggest(self, level: str, k: int = 4) -> tuple[Allocation, ...]:
        return tuple(sorted(self.at(level), key=lambda a: (-a.size, a.name))[:k])

    def overflows(self) -> list[str]:
        return [lvl for lvl in LEVELS if self.used(lvl) > self.budget(lvl)]

    def fits(self) -> bool:
        return not self.overflows()

    def error(self, level: str) -> PlanError:
        need, budget = self.used(level), self.budget(level)
        big = self.biggest(level)
        items = ", ".join(f"{a.name} ({a.category}) {fmt_bytes(a.size)}" for a in big)
        where = f"the {self.board} {level} window"
        if self.windows[level].base is not None:
            where += " (free part after code, data and stacks)"
        extra = ""
        if level == "L2" and self.ub == 1 and self.config.mb > 1:
            extra = " even at micro-batch 1"
        elif level == "L2":
            extra = f" at micro-batch {self.ub}"
        msg = (f"{level}: the learning event needs {need} bytes ({fmt_bytes(need)}){extra} but "
               f"{where} has {budget} bytes ({fmt_bytes(budget)}): over by {need - budget} bytes; "
               f"biggest: {items}")
        return PlanError(msg, level, budget, need, big)

    def check(self) -> MemoryPlan:
        """Raises `PlanError` for the first level (L1, L2, L3) that overflows; returns self."""
        bad = self.overflows()
        if bad:
            raise self.error(bad[0])
        return self

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: the configuration, the chosen micro-batch and every allocation."""
        return {
            "board": self.board,
            "config": asdict(self.config),
            "ub": self.ub,
            "data_level": self.data_level,
            "align": ALIGN,
            "latent_shape": list(self.latent_shape),
            "latent_elements": _prod(self.latent_shape),
            "lr_row_bytes": self.lr_row_bytes,
            "lr_bytes": self.lr_bytes,
            "lr_tile_rows": self.lr_tile_rows,
            "lr_tile_bytes": self.lr_tile_bytes,
            "kernel_tile_bytes": self.kernel_tile_bytes,
            "fits": self.fits(),
            "windows": {lvl: {"base": w.base, "size": w.size, "used": self.used(lvl), "free": self.free(lvl),
                              "categories": self.by_category(lvl)}
                        for lvl, w in self.windows.items()},
            "allocations": [asdict(a) for a in self.allocations],
            "notes": list(self.notes),
        }


def fmt_bytes(n: int) -> str:
    """A short human size: 512 B, 12.5 KiB, 3.25 MiB (binary units)."""
    a = abs(n)
    if a < 1024:
        return f"{n} B"
    if a < 1 << 20:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1 << 20):.2f} MiB"


class _Placer:
    def __init__(self) -> None:
        self.allocs: list[Allocation] = []
        self.top: dict[str, int] = dict.fromkeys(LEVELS, 0)

    def add(self, level: str, name: str, category: str, size: int) -> None:
        if size <= 0:
            return
        off = align_up(self.top[level])
        self.allocs.append(Allocation(level, name, category, off, int(size), ALIGN))
        self.top[level] = off + int(size)


def _lcm(a: int, b: int) -> int:
    return a * b // math.gcd(a, b)


def _tiles(w1: int, ub: int, row: int, q: int) -> tuple[int, int, int]:
    """(rows per LR tile buffer, bytes per LR tile buffer, kernel tile set bytes) for an L1 window."""
    quarter = (w1 // 4) // ALIGN * ALIGN
    kernel = (w1 // 2) // ALIGN * ALIGN
    rows = min(ub, quarter // row) if row else 0
    if rows >= 1:
        return rows, rows * row, kernel
    grain = _lcm(ALIGN, q)  # whole 64-byte blocks holding whole elements (8 codes per q bytes)
    chunk = quarter // grain * grain
    return 0, min(chunk, align_up(row, grain)), kernel


def _layout(g: _Geometry, cfg: PlanConfig, content: Any, w1: int, ub: int, data_level: str) -> _Placer:
    p = _Placer()
    e = _prod(g.latent_shape)
    row = packed_row_bytes(e, cfg.q_lr)
    n_scales = g.latent_shape[2] if cfg.per_channel else 1
    lr = getattr(content, "lr", None)
    # L3: the LR memory
    p.add("L3", "lr.latents", "lr", cfg.n_lr * row)
    p.add("L3", "lr.labels", "lr", 2 * cfg.n_lr)
    p.add("L3", "lr.scale", "lr", 4 * n_scales)
    # L2: weights, optimizer, gradients, activations
    for name, n in g.fe_params:
        p.add("L2", name, "weights", n)
    for name, n in g.be_params:
        p.add("L2", name, "weights", n)
    if cfg.per_channel or (lr is not None and getattr(lr, "code_max", None) is not None):
        p.add("L2", "lr.code_max", "weights", n_scales)
    if cfg.momentum:
        for name, n in g.be_params:
            p.add("L2", "opt." + name[3:], "optimizer", n)
    for name, n in g.be_params:
        p.add("L2", "grad." + name[3:], "gradients", n)
    p.add("L2", "grad.act.0", "gradients", 4 * ub * g.be_max_elems)
    p.add("L2", "grad.act.1", "gradients", 4 * ub * g.be_max_elems)
    for i, n in g.be_branch:
        p.add("L2", f"grad.act.acc.{i}", "gradients", 4 * ub * n)
    for k in range(g.fe_slots):
        p.add("L2", f"fe.buf.{k}", "activations", g.fe_slot_bytes)
    p.add("L2", "act.input", "activations", 4 * ub * e)
    for i, n in g.be_outputs:
        p.add("L2", f"act.{i}", "activations", 4 * ub * n)
    # the event's data
    p.add(data_level, "data.images", "data", cfg.n_new * _prod(g.input_shape))
    p.add(data_level, "data.labels", "data", 2 * cfg.n_new)
    p.add(data_level, "data.latents", "data", cfg.n_new * row)
    # L1: tiles
    rows, tile, kernel = _tiles(w1, ub, row, cfg.q_lr)
    p.add("L1", "tiles.lr.0", "tiles", tile)
    p.add("L1", "tiles.lr.1", "tiles", tile)
    p.add("L1", "tiles.kernel", "tiles", kernel)
    return p


def plan_for(content: Any, config: Any, board: Any, windows: Mapping[str, Window] | None = None,
             strict: bool = True) -> MemoryPlan:
    """The memory plan of a learning event (see the module docstring for every rule).

    ``content``: an `ImageContent` (only ``layers``, ``front`` and ``lr`` are read); ``config``: a
    `PlanConfig` or any object with its fields; ``board``: a `qlr.boards.Board`; ``windows``: the
    free windows per level (default: the whole levels, `board_windows`). With ``strict`` (the
    default) raises `PlanError` when the plan does not fit; otherwise returns it anyway
    (`MemoryPlan.fits()` is then False) so a report can show it.
    """
    cfg = _as_config(config)
    g = _geometry(content)
    lr = getattr(content, "lr", None)
    if lr is not None and tuple(int(d) for d in lr.codes.shape[1:]) != g.latent_shape:
        raise QlrError(f"image: LR_LATENTS shape {tuple(lr.codes.shape[1:])} is not the latent shape {g.latent_shape}")
    win = dict(windows) if windows is not None else board_windows(board)
    for lvl in LEVELS:
        if lvl not in win:
            raise QlrError(f"memory plan: no window for level {lvl} on board {board.name}")
    w1, w2 = win["L1"].size, win["L2"].size

    def tops(ub: int, data_level: str) -> dict[str, int]:
        return _layout(g, cfg, content, w1, ub, data_level).top

    def largest_ub(data_level: str) -> int | None:
        """The largest ub in [1, mb] whose L2 need fits (None if not even 1): L2 grows with ub."""
        if tops(1, data_level)["L2"] > w2:
            return None
        lo, hi = 1, cfg.mb
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if tops(mid, data_level)["L2"] <= w2:
                lo = mid
            else:
                hi = mid - 1
        return lo

    ub3 = largest_ub("L3")
    if ub3 is not None and tops(ub3, "L2")["L2"] <= w2:
        ub, data_level = ub3, "L2"  # the data fit L2 even at the largest micro-batch
    elif ub3 is not None and tops(ub3, "L3")["L3"] <= win["L3"].size:
        ub, data_level = ub3, "L3"
    else:  # L3 has no room for the data (or L2 none for ub = 1): keep the data in L2 if possible
        ub2 = largest_ub("L2")
        lr_alone_fits = tops(1, "L2")["L3"] <= win["L3"].size
        if ub2 is not None and lr_alone_fits:
            ub, data_level = ub2, "L2"
        else:
            ub, data_level = (ub3, "L3") if ub3 is not None else (1, "L3")
    placed = _layout(g, cfg, content, w1, ub, data_level)
    e = _prod(g.latent_shape)
    row = packed_row_bytes(e, cfg.q_lr)
    rows, tile, kernel = _tiles(w1, ub, row, cfg.q_lr)
    notes = []
    if ub < cfg.mb:
        notes.append(f"micro-batch {ub} < mini-batch {cfg.mb}: L2 holds the activations of {ub} sample{'s' if ub > 1 else ''} at a time")
    if data_level == "L3" and cfg.n_new:
        notes.append("the event's images and new latents are kept in L3 (they do not fit L2 next to the training buffers)")
    if rows == 0:
        notes.append(f"an LR row ({row} B) is bigger than a quarter of L1: rows are loaded in chunks of {tile} B")
    if tile <= 0 or kernel <= 0:
        least = 4 * _lcm(ALIGN, cfg.q_lr)
        raise PlanError(f"L1: the {board.name} L1 window has {w1} bytes, too small for the LR double buffer "
                        f"and the kernel tiles (needs at least {least} bytes)", "L1", w1, least, ())
    plan = MemoryPlan(board=board.name, config=cfg, windows=win, allocations=placed.allocs, ub=ub,
                      data_level=data_level, latent_shape=g.latent_shape, lr_row_bytes=row,
                      lr_tile_rows=rows, lr_tile_bytes=tile, kernel_tile_bytes=kernel, notes=notes)
    if strict:
        plan.check()
    return plan

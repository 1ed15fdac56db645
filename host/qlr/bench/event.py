"""`qlr bench --event RUN.json`: one learning event's cost by component, from a run record.

A device run (`qlr learn --board B --record RUN.json`) records, per event, the firmware's counter
for each phase (front-end, LR load, forward, backward, update), the mini-batches and
micro-batches run, and the bytes moved between the memory levels. This module turns one event's
figures into a table: each phase's counter, its share, its cost per unit of work (per new image
for the front-end, per mini-batch for the rest), the bytes per level, and the total, converted
to seconds at the clock the paper used for that kind of board: cycles of pulp-open at VEGA's
375 MHz; instructions of qemu-m4 at the STM32L476's 80 MHz (one instruction per cycle assumed: a
lower bound of the real time, since the M4's VFMA alone takes 3 cycles). qemu-rv32's count is
of all harts together and is not converted.

The paper's figures (Ravaglia et al. 2021, per learning event, MobileNet-V1 1.0 @ 128, N_LR 1500)
are printed beside them, marked as another configuration when the run's is not the paper's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qlr.cl.device.backend import PHASES as COUNTER_KEYS
from qlr.errors import QlrError

# The device backend's counter keys (front, lr_load, ...) and how the table names them.
PHASES = ("front-end", "LR load", "forward", "backward", "update")
LABEL = dict(zip(COUNTER_KEYS, PHASES, strict=True))

# board -> (Hz, what the conversion means). qemu-rv32 counts the instructions of all its harts
# together, which has no clock to convert at: its table stays in instructions.
CLOCKS: dict[str, tuple[float, str]] = {
    "pulp-open": (375e6, "cycles at VEGA's 375 MHz"),
    "qemu-m4": (80e6, "instructions at the STM32L476's 80 MHz, 1 per cycle (a lower bound)"),
    "stm32l476": (80e6, "cycles at the STM32L476's 80 MHz"),
}

# Per learning event, MobileNet-V1 1.0 @ 128x128, N_LR 1500 (../shared/REFERENCE.md).
PAPER: dict[int, dict[str, float]] = {
    27: {"vega_trainable_s": 2.07, "vega_frozen_s": 1.25, "vega_j": 0.13, "stm32_s": 139.0, "stm32_j": 4.80},
    23: {"vega_s": 877.0, "vega_j": 54.3, "stm32_s": 5.86e4},
}

BYTE_FIELDS = (
    ("lr_rows_l3_bytes", "LR rows read L3 -> L2"),
    ("data_l3_bytes", "images read from / latents written to L3"),
    ("params_l3_to_l2_bytes", "parameters streamed L3 -> L2"),
    ("params_l2_to_l3_bytes", "parameters streamed L2 -> L3"),
)


@dataclass
class EventCost:
    board: str
    unit: str
    event: int
    n_new: int
    iterations: int
    micro_batches: int
    cores: int
    phases: dict[str, int]
    bytes: dict[str, int]
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.phases.values())

    def per_unit(self, phase: str) -> tuple[float, str]:
        """The phase's counter per unit of its work: per new image (front-end), per mini-batch."""
        c = self.phases[phase]
        if phase == "front-end":
            return c / max(self.n_new, 1), "image"
        return c / max(self.iterations, 1), "mini-batch"

    def seconds(self, counter: float) -> float | None:
        """The counter in seconds at the paper's clock for this unit; ns are seconds already."""
        if self.unit == "ns":
            return counter / 1e9
        clock = CLOCKS.get(self.board)
        return counter / clock[0] if clock else None

    def is_paper_config(self) -> bool:
        c = self.config
        return (c.get("width") == 1.0 and c.get("input_shape", [None])[0] == 128 and c.get("lr_layer") in PAPER
                and c.get("n_lr") == 1500)

    def as_dict(self) -> dict[str, Any]:
        return {"board": self.board, "unit": self.unit, "event": self.event, "n_new": self.n_new,
                "iterations": self.iterations, "micro_batches": self.micro_batches, "cores": self.cores,
                "phases": {p: {"counter": c, "share": c / self.total if self.total else 0.0,
                               "per": self.per_unit(p)[1], "per_unit": self.per_unit(p)[0],
                               "seconds": self.seconds(c)} for p, c in self.phases.items()},
                "total": {"counter": self.total, "seconds": self.seconds(self.total)},
                "bytes": self.bytes, "config": self.config, "paper_config": self.is_paper_config(),
                "paper": PAPER.get(int(self.config.get("lr_layer", 0))),
                "clock": self.clock_note()}

    def clock_note(self) -> str:
        if self.unit == "ns":
            return "real time (the host board)"
        return CLOCKS[self.board][1] if self.board in CLOCKS else f"none: {self.unit} of all cores together"


def _mapping(v: Any) -> Mapping[str, Any]:
    return v if isinstance(v, Mapping) else {}


def _int(entry: Mapping[str, Any], key: str, where: str) -> int:
    v = entry.get(key)
    if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
        raise QlrError(f"{where}: field {key!r} is {v!r}, not a count")
    return int(v)


def event_cost(record: Mapping[str, Any], event: int | None = None, path: str = "the record") -> EventCost:
    """The cost of event `event` (default: the last) of a device run record."""
    events = record.get("events")
    if record.get("format") != "qlr-cl-run/1" or not isinstance(events, Sequence):
        raise QlrError(f"{path}: not a qlr run record (qlr learn --record)")
    if not events:
        raise QlrError(f"{path}: the run recorded no event yet")
    i = len(events) - 1 if event is None else event
    if not 0 <= i < len(events):
        raise QlrError(f"{path}: no event {i} (the record has events 0..{len(events) - 1})")
    e = events[i]
    where = f"{path}: event {i}"
    counters = e.get("counters")
    if not isinstance(counters, Mapping) or not all(k in counters for k in COUNTER_KEYS):
        board = record.get("board", "?")
        raise QlrError(f"{where} has no per-phase counters: it ran on board {board!r}; "
                       "only device runs (qlr learn --board B) record them")
    run = _mapping(record.get("run"))
    cl = _mapping(run.get("cl"))
    net = _mapping(_mapping(record.get("model")).get("network"))
    config = {"width": net.get("width"), "input_shape": net.get("input_shape"), "lr_layer": cl.get("lr_layer"),
              "n_lr": cl.get("n_lr"), "q_lr": cl.get("q_lr"), "mb": cl.get("mb"), "epochs": cl.get("epochs")}
    # iterations: mini-batches per epoch (the event's mix); the phases' counters cover all epochs
    per_epoch = _int(e, "iterations", where)
    epochs = cl.get("epochs")
    if not isinstance(epochs, int) or epochs < 1:
        raise QlrError(f"{path}: run.cl.epochs is {epochs!r}, not a positive count")
    iterations = per_epoch * epochs
    return EventCost(
        board=str(record.get("board", run.get("board", "?"))), unit=str(counters.get("unit", "?")), event=i,
        n_new=_int(e, "n_new", where), iterations=iterations,
        micro_batches=_int(counters, "micro_batches", where), cores=_int(counters, "cores", where),
        phases={LABEL[k]: _int(counters, k, where) for k in COUNTER_KEYS},
        bytes={k: _int(counters, k, where) for k, _ in BYTE_FIELDS if k in counters}, config=config)


def _fmt_s(s: float | None) -> str:
    if s is None:
        return "-"
    return f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.2f} s"


def table(c: EventCost, markdown: bool = False) -> str:
    """The event's cost as a text (or Markdown) table, with the paper's figures below it."""
    rows = [("phase", f"{c.unit}", "share", f"{c.unit} per unit", "seconds")]
    for p in PHASES:
        n = c.phases[p]
        per, what = c.per_unit(p)
        rows.append((p, f"{n:,}", f"{100 * n / c.total:.1f} %" if c.total else "-", f"{per:,.0f} / {what}",
                     _fmt_s(c.seconds(n))))
    rows.append(("total", f"{c.total:,}", "100 %", "", _fmt_s(c.seconds(c.total))))
    widths = [max(len(r[k]) for r in rows) for k in range(5)]
    out = []
    if markdown:
        out.append("| " + " | ".join(rows[0]) + " |")
        out.append("|" + "|".join("---" for _ in rows[0]) + "|")
        out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    else:
        out += ["  ".join(v.rjust(w) if k else v.ljust(w) for k, (v, w) in enumerate(zip(r, widths))) for r in rows]
    out.append("")
    out.append(f"{c.n_new} new images, {c.iterations} mini-batches ({c.micro_batches} micro-batches), "
               f"{c.cores} cores; seconds: {c.clock_note()}")
    for k, what in BYTE_FIELDS:
        if k in c.bytes:
            out.append(f"  {what}: {c.bytes[k]:,} bytes")
    lr = c.config.get("lr_layer")
    paper = PAPER.get(int(lr)) if isinstance(lr, int) else None
    if paper is None:
        out.append("paper (MobileNet-V1 1.0 @ 128, N_LR 1500): per event, l27 VEGA 2.07 s trainable + 1.25 s "
                   "frozen, 0.13 J; STM32L476 139 s, 4.80 J; l23 VEGA 877 s, 54.3 J")
    else:
        same = "the same configuration" if c.is_paper_config() else "another configuration (MobileNet-V1 1.0 @ 128, N_LR 1500)"
        figures = ", ".join(f"{k} {v:g}" for k, v in paper.items())
        out.append(f"paper, l{lr}, {same}: {figures}")
    return "\n".join(out)

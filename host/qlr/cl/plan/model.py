"""The plan's data model: windows, allocations, the plan itself and its error (see `qlr.cl.plan`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from qlr.cl.plan.config import PlanConfig
from qlr.errors import QlrError

ALIGN = 64
LEVELS = ("L1", "L2", "L3")
# What a buffer is for (memreport shows one row per category and level).
CATEGORIES = ("lr", "image", "weights", "optimizer", "gradients", "activations", "data", "event", "staging",
              "tiles")
# When a buffer is live: "all" (the whole session), "front" (the front-end of one image) or
# "train" (training and prediction). Front and train buffers share one overlay region of L2.
PHASES = ("all", "front", "train")


def align_up(n: int, a: int = ALIGN) -> int:
    return -(-n // a) * a


def packed_row_bytes(elements: int, bits: int) -> int:
    """Bytes of one latent of ``elements`` codes at ``bits`` bits: ceil(elements * bits / 8)."""
    return -(-elements * bits // 8)


def fmt_bytes(n: int) -> str:
    """A short human size: 512 B, 12.5 KiB, 3.25 MiB (binary units)."""
    a = abs(n)
    if a < 1024:
        return f"{n} B"
    if a < 1 << 20:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1 << 20):.2f} MiB"


class PlanError(QlrError):
    """A configuration does not fit a board: names the level, its budget, the need, the biggest
    allocations there and what would make it fit."""

    def __init__(self, message: str, level: str = "", budget: int = 0, need: int = 0,
                 biggest: tuple["Allocation", ...] = ()) -> None:
        super().__init__(message)
        self.level = level
        self.budget = budget
        self.need = need
        self.biggest = biggest


@dataclass(frozen=True)
class Allocation:
    """One buffer: ``size`` bytes at ``offset`` from the start of ``level``'s window, live during
    ``phase``; ``streamed``: a tensor whose home is L3 and which the device brings through the L2
    staging buffers chunk by chunk."""

    level: str
    name: str
    category: str
    offset: int
    size: int
    align: int = ALIGN
    phase: str = "all"
    streamed: bool = False

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


def board_windows(board: Any) -> dict[str, Window]:
    """Windows covering each whole level of a board (no code, data or stacks subtracted)."""
    return {lvl: Window(lvl, int(board.memory[lvl].size), None) for lvl in LEVELS}


@dataclass
class MemoryPlan:
    """Where every buffer of a learning session lives on one board (see `qlr.cl.plan`).

    ``ub``: the micro-batch the device trains with; ``data_level``: where the event's images go;
    ``stage_bytes``: the size of each of the two L2 staging buffers (0 when nothing is streamed);
    ``traffic``: the estimated bytes moved between L3 and L2 per learning event by streaming.
    """

    board: str
    config: PlanConfig
    windows: dict[str, Window]
    allocations: list[Allocation]
    ub: int
    data_level: str
    latent_shape: tuple[int, int, int]
    lr_row_bytes: int
    stage_bytes: int
    kernel_tile_bytes: int
    traffic: int
    traffic_by_tensor: dict[str, int] = field(default_factory=dict)  # streamed tensor -> bytes per event
    notes: list[str] = field(default_factory=list)
    hints: dict[str, str] = field(default_factory=dict)  # level -> what would make it fit

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
        """Bytes per category of the buffers live the whole session (the overlay is apart)."""
        out: dict[str, int] = {}
        for a in self.at(level):
            if a.phase == "all":
                out[a.category] = out.get(a.category, 0) + a.size
        return out

    def overlay(self, level: str) -> dict[str, int]:
        """The overlay region of a level: bytes of its front-end and its training buffers, and the
        span they share (empty when the level has none)."""
        parts = [a for a in self.at(level) if a.phase != "all"]
        if not parts:
            return {}
        out = {ph: sum(a.size for a in parts if a.phase == ph) for ph in ("front", "train")}
        out["span"] = max(a.end for a in parts) - min(a.offset for a in parts)
        return out

    @property
    def lr_bytes(self) -> int:
        """Bytes of the LR memory: packed latents + labels + scales."""
        return self.category_bytes("lr")

    @property
    def streamed(self) -> list[Allocation]:
        return [a for a in self.allocations if a.streamed]

    def get(self, name: str) -> Allocation:
        for a in self.allocations:
            if a.name == name:
                return a
        raise KeyError(name)

    def has(self, name: str) -> bool:
        return any(a.name == name for a in self.allocations)

    def biggest(self, level: str, k: int = 4) -> tuple[Allocation, ...]:
        return tuple(sorted(self.at(level), key=lambda a: (-a.size, a.name))[:k])

    def overflows(self) -> list[str]:
        return [lvl for lvl in LEVELS if self.used(lvl) > self.budget(lvl)]

    def fits(self) -> bool:
        return not self.overflows()

    def error(self, level: str, hint: str = "") -> PlanError:
        need, budget = self.used(level), self.budget(level)
        big = self.biggest(level)
        items = ", ".join(f"{a.name} ({a.category}) {fmt_bytes(a.size)}" for a in big)
        where = f"the {self.board} {level} window" + (
            " (free part after code, data and stacks)" if self.windows[level].base is not None else "")
        extra = ""
        if level == "L2" and self.ub == 1 and self.config.mb > 1:
            extra = " even at micro-batch 1"
        elif level == "L2":
            extra = f" at micro-batch {self.ub}"
        if level == "L2" and self.streamed:
            extra += " with every streamable tensor in L3"
        msg = (f"{level}: the learning event needs {need} bytes ({fmt_bytes(need)}){extra} but "
               f"{where} has {budget} bytes ({fmt_bytes(budget)}): over by {need - budget} bytes; "
               f"biggest: {items}")
        if hint:
            msg += f"; {hint}"
        return PlanError(msg, level, budget, need, big)

    def check(self) -> "MemoryPlan":
        """Raises `PlanError` for the first level (L1, L2, L3) that overflows; returns self."""
        bad = self.overflows()
        if bad:
            raise self.error(bad[0], self.hints.get(bad[0], ""))
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
            "latent_elements": self.latent_shape[0] * self.latent_shape[1] * self.latent_shape[2],
            "lr_row_bytes": self.lr_row_bytes,
            "lr_bytes": self.lr_bytes,
            "stage_bytes": self.stage_bytes,
            "kernel_tile_bytes": self.kernel_tile_bytes,
            "traffic_bytes_per_event": self.traffic,
            "traffic_by_tensor": dict(self.traffic_by_tensor),
            "streamed": [a.name for a in self.streamed],
            "fits": self.fits(),
            "windows": {lvl: {"base": w.base, "size": w.size, "used": self.used(lvl), "free": self.free(lvl),
                              "categories": self.by_category(lvl), "overlay": self.overlay(lvl)}
                        for lvl, w in self.windows.items()},
            "allocations": [asdict(a) for a in self.allocations],
            "notes": list(self.notes),
            "hints": dict(self.hints),
        }

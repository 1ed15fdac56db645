"""Memory use per region of a board: the firmware's own code, data and stacks (from its ELF) plus
the learning event's buffers (the memory plan), against each region's budget.

A region's ``used`` is everything from its base to the end of what is placed in it: for L1 and
L2 the ELF's part runs up to the start of the free window (so the alignment padding before the
window counts), then the plan's allocations follow from the window's start; L3 holds only the
plan; FLASH (Cortex-M boards) holds code and the load image of ``.data``. Bytes used that no row
names (alignment between sections and between allocations) are shown as ``padding``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qlr.boards.registry import Board
from qlr.cl.plan import LEVELS, MemoryPlan, fmt_bytes
from qlr.report.elf import FirmwareMemory

# (key, label) in the order the report shows them
ROWS: tuple[tuple[str, str], ...] = (
    ("code", "code"),
    ("static", "static data"),
    ("stack", "stacks"),
    ("lr", "LR memory"),
    ("image", "image"),
    ("weights", "weights"),
    ("optimizer", "optimizer"),
    ("gradients", "gradients"),
    ("activations", "activations"),
    ("data", "data"),
    ("event", "event state"),
    ("staging", "staging"),
    ("overlay", "overlay"),
    ("tiles", "tiles"),
    ("padding", "padding"),
)


@dataclass
class RegionUsage:
    region: str
    base: int
    budget: int
    rows: dict[str, int]  # key of ROWS -> bytes (only non-zero rows)
    used: int
    consumers: list[tuple[str, str, int]]  # (name, category, bytes), biggest first
    window: dict[str, Any] | None = None  # {"base", "size"} of the free window in this region

    @property
    def free(self) -> int:
        return self.budget - self.used

    @property
    def percent(self) -> float:
        return 100.0 * self.used / self.budget if self.budget else (0.0 if not self.used else float("inf"))

    @property
    def fits(self) -> bool:
        return self.used <= self.budget

    def shortfall(self) -> str:
        """What does not fit: the need, the budget, the excess and the biggest consumers."""
        big = ", ".join(f"{n} ({c}) {fmt_bytes(s)}" for n, c, s in self.consumers[:4])
        return (f"needs {self.used} bytes ({fmt_bytes(self.used)}) but has {self.budget} bytes "
                f"({fmt_bytes(self.budget)}): over by {self.used - self.budget} bytes "
                f"({fmt_bytes(self.used - self.budget)}); biggest: {big}")

    def verdict(self) -> str:
        if self.fits:
            return f"{self.region}: fits, {self.percent:.1f}% used, {fmt_bytes(self.free)} free"
        return f"{self.region}: DOES NOT FIT: {self.shortfall()}"


@dataclass
class MemoryReport:
    board: str
    elf: str | None
    board_source: str
    regions: list[RegionUsage]
    plan: MemoryPlan | None = None
    notes: list[str] = field(default_factory=list)

    def fits(self) -> bool:
        return all(r.fits for r in self.regions)

    def failure(self) -> str | None:
        """One line naming the first region that does not fit, its excess and biggest consumers,
        and the excess of every other region that does not fit (None when all fit)."""
        bad = [r for r in self.regions if not r.fits]
        if not bad:
            return None
        ub = f" (at micro-batch {self.plan.ub} of {self.plan.config.mb})" if self.plan is not None else ""
        also = "".join(f"; also {r.region} over by {r.used - r.budget} bytes ({fmt_bytes(r.used - r.budget)})"
                       for r in bad[1:])
        hint = self.plan.hints.get(bad[0].region, "") if self.plan is not None else ""
        return f"{bad[0].region} of board {self.board} {bad[0].shortfall()}{ub}" + (f"; {hint}" if hint else "") + also

    def to_dict(self) -> dict[str, Any]:
        return {
            "board": self.board,
            "board_source": self.board_source,
            "elf": self.elf,
            "fits": self.fits(),
            "regions": [{
                "region": r.region, "base": r.base, "budget": r.budget, "used": r.used, "free": r.free,
                "percent": round(r.percent, 3), "fits": r.fits, "rows": dict(r.rows), "window": r.window,
                "biggest": [{"name": n, "category": c, "bytes": s} for n, c, s in r.consumers[:8]],
            } for r in self.regions],
            "plan": self.plan.to_dict() if self.plan is not None else None,
            "notes": list(self.notes),
        }

    def format(self) -> str:
        lines = [f"board {self.board} (from {self.board_source})" + (f", firmware {self.elf}" if self.elf else "")]
        if self.plan is not None:
            c = self.plan.config
            lines.append(f"learning event: N_LR {c.n_lr} at Q_LR {c.q_lr} bits "
                         f"({'per-channel' if c.per_channel else 'per-tensor'} scale), latent "
                         f"{'x'.join(map(str, self.plan.latent_shape))} = {self.plan.lr_row_bytes} B/row, "
                         f"mini-batch {c.mb} in micro-batches of {self.plan.ub}, {c.n_new} new images per "
                         f"event (data in {self.plan.data_level}), {c.epochs} epochs, momentum {c.momentum:g}"
                         + (f", {c.n_eval} test images" if c.n_eval else ""))
            lines.append(f"LR memory: {self.plan.lr_bytes} bytes ({fmt_bytes(self.plan.lr_bytes)})")
        for r in self.regions:
            lines.append("")
            win = ""
            if r.window is not None and r.window.get("base") is not None:
                win = f", free window 0x{r.window['base']:08x} + {fmt_bytes(r.window['size'])}"
            lines.append(f"{r.region} @ 0x{r.base:08x}, budget {r.budget} bytes ({fmt_bytes(r.budget)}){win}")
            w = max([len(label) for _, label in ROWS] + [4])
            for key, label in ROWS:
                if r.rows.get(key):
                    n = r.rows[key]
                    pct = 100.0 * n / r.budget if r.budget else 0.0
                    lines.append(f"  {label:<{w}} {n:>12,d}  {fmt_bytes(n):>10}  {pct:6.1f}%")
            lines.append(f"  {'used':<{w}} {r.used:>12,d}  {fmt_bytes(r.used):>10}  {r.percent:6.1f}%")
            lines.append(f"  {'free':<{w}} {r.free:>12,d}  {fmt_bytes(r.free):>10}")
            lines.append("  " + r.verdict())
        for note in self.notes + (self.plan.notes if self.plan is not None else []):
            lines.append(f"note: {note}")
        lines.append("")
        lines.append(f"verdict: fits board {self.board}" if self.fits() else f"verdict: DOES NOT FIT: {self.failure()}")
        return "\n".join(lines)


def memory_report(board: Board, firmware: FirmwareMemory | None = None, plan: MemoryPlan | None = None,
                  board_source: str = "--board") -> MemoryReport:
    """The use of each of ``board``'s regions by the firmware (if given) and the plan (if given)."""
    regions: list[RegionUsage] = []
    order = [lvl for lvl in LEVELS if lvl in board.memory] + sorted(set(board.memory) - set(LEVELS))
    notes: list[str] = []
    if firmware is None:
        notes.append("no ELF: code, data and stacks are not counted and the plan uses the whole levels")
    for name in order:
        reg = board.memory[name]
        rows: dict[str, int] = {}
        consumers: list[tuple[str, str, int]] = []
        used = 0
        window = None
        if firmware is not None:
            pieces = firmware.in_region(name)
            for p in pieces:
                rows[p.category] = rows.get(p.category, 0) + p.size
                consumers.append((p.name, p.category, p.size))
            if name in firmware.windows and name != "L3":
                w = firmware.windows[name]
                window = {"base": w.base, "size": w.size}
                used = (w.base - reg.base) if w.base is not None else 0
            else:
                used = max((p.end for p in pieces), default=reg.base) - reg.base
        if plan is not None and name in plan.windows:
            for cat, n in plan.by_category(name).items():
                rows[cat] = rows.get(cat, 0) + n
            ov = plan.overlay(name)
            if ov:
                rows["overlay"] = ov["span"]
                notes.append(f"{name} overlay: the front-end's buffers ({fmt_bytes(ov['front'])}) and the "
                             f"training buffers ({fmt_bytes(ov['train'])}) take turns in the same "
                             f"{fmt_bytes(ov['span'])}")
            consumers += [(a.name, a.category, a.size) for a in plan.at(name)]
            used += plan.used(name)
            if window is None and name != "L3":
                w = plan.windows[name]
                window = {"base": w.base, "size": w.size}
        named = sum(rows.values())
        if used > named:
            rows["padding"] = used - named
        rows = {k: v for k, v in rows.items() if v}
        consumers.sort(key=lambda t: (-t[2], t[0]))
        regions.append(RegionUsage(name, reg.base, reg.size, rows, used, consumers, window))
    return MemoryReport(board.name, firmware.path if firmware is not None else None, board_source,
                        regions, plan, notes)

"""Board descriptions: one TOML file per board in <repo>/boards/.

A board is data: toolchain, compiler and linker flags, memory map (L1/L2/L3 base and size),
worker core count, counter unit and runner command. SCons (the build) and the Python runners
both read boards through this module, so the two can never disagree about a board.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qlr import REPO_ROOT
from qlr.errors import QlrError

BOARDS_DIR = REPO_ROOT / "boards"
PLATFORMS = ("host", "riscv-virt", "stm32", "pulp")
LEVELS = ("L1", "L2", "L3")
# runs_here: true (its runner is installed by tools/setup), false (build only), or the name of a
# simulator that must be found first (`qlr.boards.runner.find_gvsoc`).
SIMULATORS = ("gvsoc",)


@dataclass(frozen=True)
class MemoryRegion:
    name: str
    base: int
    size: int

    @property
    def end(self) -> int:
        return self.base + self.size


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    platform: str
    toolchain: str
    cc: str
    cflags: tuple[str, ...]
    ldflags: tuple[str, ...]
    libs: tuple[str, ...]
    team_max: int
    counter_unit: str
    runs_here: bool | str
    memory: dict[str, MemoryRegion]
    runner: dict[str, Any]
    path: Path
    platform_sources: tuple[str, ...] = ()
    clock_hz: int | None = None
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def region(self, level: str) -> MemoryRegion:
        return self.memory[level]


@dataclass(frozen=True)
class RunTarget:
    """A board, in one build variant, whose firmware runs on this machine: what the per-board
    tests run on. `name` is the board's name, or BOARD-VARIANT (e.g. host-asan)."""

    name: str
    board: str
    variant: str
    simulator: str | None  # a simulator the board needs found first (runs_here = "gvsoc"), or None


def board_names() -> list[str]:
    return sorted(p.stem for p in BOARDS_DIR.glob("*.toml"))


def run_targets(boards_dir: Path | None = None) -> list[RunTarget]:
    """Every board whose runs_here is not false, once plain and once per [variants.NAME] table,
    in name order: adding a board file adds its targets."""
    bdir = boards_dir or BOARDS_DIR
    out = []
    for name in sorted(p.stem for p in bdir.glob("*.toml")):
        b = load_board(name, bdir)
        if b.runs_here is False:
            continue
        sim = b.runs_here if isinstance(b.runs_here, str) else None
        for variant in ("", *sorted(b.variants)):
            out.append(RunTarget(name + (f"-{variant}" if variant else ""), name, variant, sim))
    return out


def _need(d: dict[str, Any], key: str, typ: type | None, where: str) -> Any:
    if key not in d:
        raise QlrError(f"{where}: missing field '{key}'")
    v = d[key]
    if typ is not None and not isinstance(v, typ):
        raise QlrError(f"{where}: field '{key}' must be {typ.__name__}, got {type(v).__name__}")
    return v


def load_board(name: str, boards_dir: Path | None = None) -> Board:
    """Loads and validates boards/<name>.toml; errors name the file and the field."""
    bdir = boards_dir or BOARDS_DIR
    path = bdir / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in bdir.glob("*.toml")))
        raise QlrError(f"unknown board '{name}' (no {path}); known boards: {known}")
    try:
        d = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise QlrError(f"{path}: not valid TOML: {e}") from None
    where = str(path)
    if _need(d, "name", str, where) != name:
        raise QlrError(f"{where}: field 'name' is '{d['name']}', expected '{name}' (the file name)")
    platform = _need(d, "platform", str, where)
    if platform not in PLATFORMS:
        raise QlrError(f"{where}: field 'platform' is '{platform}', expected one of {PLATFORMS}")
    team_max = _need(d, "team_max", int, where)
    if not 1 <= team_max <= 64:
        raise QlrError(f"{where}: field 'team_max' must be 1..64, got {team_max}")
    mem_d = _need(d, "memory", dict, where)
    memory: dict[str, MemoryRegion] = {}
    for level, r in mem_d.items():
        rw = f"{where}: memory.{level}"
        if not isinstance(r, dict):
            raise QlrError(f"{rw}: must be a table with base and size")
        base, size = _need(r, "base", int, rw), _need(r, "size", int, rw)
        if base < 0 or size < 0 or base + size > 2**32:
            raise QlrError(f"{rw}: base 0x{base:x} + size 0x{size:x} is outside a 32-bit address space")
        memory[level] = MemoryRegion(level, base, size)
    for level in LEVELS:
        if level not in memory:
            raise QlrError(f"{where}: memory.{level} is missing (every board needs L1, L2 and L3)")
    # Address ranges of mapped regions must not overlap (the host board allocates, base 0).
    mapped = sorted((r for r in memory.values() if r.base and r.size), key=lambda r: r.base)
    for a, b in zip(mapped, mapped[1:]):
        if a.end > b.base:
            raise QlrError(f"{where}: memory.{a.name} (0x{a.base:x}+0x{a.size:x}) overlaps memory.{b.name}")
    runs_here = d.get("runs_here", False)
    if not (isinstance(runs_here, bool) or runs_here in SIMULATORS):
        raise QlrError(f"{where}: field 'runs_here' must be true, false or one of {', '.join(SIMULATORS)} "
                       f"(a simulator it needs), got {runs_here!r}")
    variants = d.get("variants", {})
    if not isinstance(variants, dict) or not all(isinstance(v, dict) for v in variants.values()):
        raise QlrError(f"{where}: field 'variants' must hold one table per variant ([variants.NAME])")
    known_fields = {"name", "description", "platform", "toolchain", "cc", "cflags", "ldflags", "libs",
             "team_max", "counter_unit", "runs_here", "memory", "runner", "platform_sources",
             "clock_hz", "variants"}
    return Board(
        name=name,
        description=d.get("description", ""),
        platform=platform,
        toolchain=_need(d, "toolchain", str, where),
        cc=_need(d, "cc", str, where),
        cflags=tuple(_need(d, "cflags", list, where)),
        ldflags=tuple(_need(d, "ldflags", list, where)),
        libs=tuple(d.get("libs", [])),
        team_max=team_max,
        counter_unit=_need(d, "counter_unit", str, where),
        runs_here=runs_here,
        memory=memory,
        runner=_need(d, "runner", dict, where),
        path=path,
        platform_sources=tuple(d.get("platform_sources", [])),
        clock_hz=d.get("clock_hz"),
        variants=variants,
        extra={k: v for k, v in d.items() if k not in known_fields},
    )

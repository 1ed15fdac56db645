"""What a firmware ELF places in each memory region of its board (read with pyelftools).

Every allocated section becomes a `Piece` in the region of the board's memory map that holds its
address, in one of three categories:

- ``code``: ``.text*``, ``.rodata*``, ``.srodata*``, ``.init*``, ``.fini*`` and any other
  read-only allocated section (``.isr_vector``, ``.ARM.exidx``, ``.eh_frame``);
- ``stack``: the stack sections of the platforms' linker scripts (``.stacks`` on riscv-virt,
  ``.stack`` on Cortex-M, ``.fc_stack`` on pulp: any section whose name contains "stack") and the
  stack ranges they mark with symbols inside other sections (``__cl_stacks_start`` ..
  ``__cl_stacks_end``, the cluster cores' stacks at the start of pulp's ``.l1``);
- ``static``: ``.data*``, ``.sdata*``, ``.bss*``, ``.sbss*``, ``.tdata``, ``.tbss_space``, ``.l1``
  and any other writable allocated section. A thread-local ``.tbss`` takes no address space (its
  room is ``.tbss_space``) and is skipped.

A section loaded at another address than it runs at (``.data`` ``AT > FLASH`` on Cortex-M) also
takes its load image in the region of its load address (from the PT_LOAD program headers).

Windows: the free part of L1 and L2 as the firmware computes it (`qlr_mem_region`): from the
symbol ``__l1_free_start`` / ``__l2_free_start`` to ``__qlr_l1_end`` / ``__qlr_l2_end`` (the
region's end when absent); L3 is the whole region, reached by offset.

The board: ``--board``, else a ``.qlr_board`` section holding the board's name (NUL-padded ASCII)
if the firmware has one, else the build directory the ELF sits in (``build/NAME[-variant]/``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from elftools.common.exceptions import ELFError
from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from qlr.boards.registry import Board, board_names, load_board
from qlr.cl.plan import ALIGN, LEVELS, Window, align_up
from qlr.errors import QlrError

MARKER_SECTION = ".qlr_board"
# ELF e_machine expected per board platform
MACHINES = {"riscv-virt": "EM_RISCV", "pulp": "EM_RISCV", "stm32": "EM_ARM"}
HOST_HELP = ("the host board's firmware is a native executable: its memory levels are buffers it "
             "allocates at the sizes in boards/host.toml, not a linker memory map. memreport reads "
             "the ELFs of the embedded boards; for the host run `qlr memreport --board host --image IMG` "
             "(the plan against the whole levels)")
_STACK_RANGE = re.compile(r"^(__\w*stacks?)_start$")
_CODE_PREFIXES = (".text", ".rodata", ".srodata", ".init", ".fini")
_STATIC_PREFIXES = (".data", ".sdata", ".bss", ".sbss", ".tdata", ".tbss_space")


@dataclass(frozen=True)
class Piece:
    """A run of bytes the ELF places: ``size`` bytes at ``addr`` in ``region``."""

    name: str
    category: str  # code | static | stack
    region: str
    addr: int
    size: int

    @property
    def end(self) -> int:
        return self.addr + self.size


@dataclass
class FirmwareMemory:
    path: str
    board: str
    machine: str
    pieces: list[Piece]
    windows: dict[str, Window]
    symbols: dict[str, int] = field(default_factory=dict)
    biggest_objects: list[tuple[str, str, int]] = field(default_factory=list)  # (symbol, region, size)

    def in_region(self, region: str) -> list[Piece]:
        return [p for p in self.pieces if p.region == region]


def _open(path: str) -> tuple[BinaryIO, ELFFile]:
    try:
        f = open(path, "rb")
    except OSError as e:
        raise QlrError(f"{path}: cannot read ({e.strerror})") from None
    try:
        return f, ELFFile(f)
    except ELFError as e:
        f.close()
        raise QlrError(f"{path}: not an ELF file ({e})") from None


def _marker(elf: ELFFile) -> str | None:
    sec = elf.get_section_by_name(MARKER_SECTION)
    if sec is None:
        return None
    raw = sec.data().split(b"\0", 1)[0]
    try:
        name = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        name = ""
    return name or None


def board_from_path(path: str | os.PathLike[str]) -> str | None:
    """The board of build/NAME[-variant][-fault-F]/x.elf: the longest board name the directory
    equals or starts with followed by '-'."""
    d = Path(path).resolve().parent.name
    cands = [n for n in board_names() if d == n or d.startswith(n + "-")]
    return max(cands, key=len) if cands else None


def board_for_elf(path: str | os.PathLike[str], explicit: str | None = None) -> tuple[str, str]:
    """(board name, how it was found) for an ELF; QlrError when it cannot be told."""
    path = os.fspath(path)
    f, elf = _open(path)
    try:
        marker = _marker(elf)
    finally:
        f.close()
    if explicit:
        if marker and marker != explicit:
            raise QlrError(f"{path}: its {MARKER_SECTION} section says board '{marker}', but --board is '{explicit}'")
        return explicit, "--board"
    if marker:
        return marker, f"the ELF's {MARKER_SECTION} section"
    from_path = board_from_path(path)
    if from_path:
        return from_path, f"its build directory ({Path(path).resolve().parent.name}/)"
    raise QlrError(f"{path}: cannot tell which board this ELF is for (no --board, no {MARKER_SECTION} section, "
                   f"not in a build/NAME/ directory); pass --board NAME (known: {', '.join(board_names())})")


def _region_of(board: Board, addr: int, size: int) -> str | None:
    for name, r in board.memory.items():
        if r.size and r.base <= addr and addr + size <= r.end:
            return name
    return None


def _regions_text(board: Board) -> str:
    return ", ".join(f"{n} 0x{r.base:08x}+0x{r.size:x}" for n, r in sorted(board.memory.items()))


def read_firmware(path: str | os.PathLike[str], board: Board | str) -> FirmwareMemory:
    """Reads an embedded board's ELF: its pieces per region, its free windows, its big objects."""
    path = os.fspath(path)
    b = load_board(board) if isinstance(board, str) else board
    f, elf = _open(path)
    try:
        machine = elf.header["e_machine"]
        if b.platform == "host" or machine in ("EM_X86_64", "EM_386", "EM_AARCH64"):
            raise QlrError(f"{path}: {HOST_HELP}")
        want = MACHINES.get(b.platform)
        if want and machine != want:
            raise QlrError(f"{path}: the ELF is for {machine[3:]} but board {b.name} ({b.platform}) needs "
                           f"{want[3:]}: wrong ELF or wrong --board")
        symbols: dict[str, int] = {}
        objects: list[tuple[str, int, int]] = []
        symtab = elf.get_section_by_name(".symtab")
        if isinstance(symtab, SymbolTableSection):
            for s in symtab.iter_symbols():
                if s.name:
                    symbols[s.name] = int(s["st_value"])
                    if s["st_info"]["type"] == "STT_OBJECT" and s["st_size"] > 0:
                        objects.append((s.name, int(s["st_value"]), int(s["st_size"])))
        segments = [seg for seg in elf.iter_segments() if seg["p_type"] == "PT_LOAD"]
        raw: list[Piece] = []
        for sec in elf.iter_sections():
            flags = sec["sh_flags"]
            size, addr = int(sec["sh_size"]), int(sec["sh_addr"])
            if not flags & SH_FLAGS.SHF_ALLOC or size == 0:
                continue
            nobits = sec["sh_type"] == "SHT_NOBITS"
            if flags & SH_FLAGS.SHF_TLS and nobits:
                continue  # .tbss: its room is .tbss_space
            name = sec.name
            writable = bool(flags & SH_FLAGS.SHF_WRITE)
            if "stack" in name:
                cat = "stack"
            elif name.startswith(_STATIC_PREFIXES):
                cat = "static"
            elif name.startswith(_CODE_PREFIXES) or not writable:
                cat = "code"
            else:
                cat = "static"  # any other writable section (.l1, ...)
            region = _region_of(b, addr, size)
            if region is None:
                raise QlrError(f"{path}: section {name} at 0x{addr:08x}..0x{addr + size:08x} lies outside every "
                               f"memory region of board {b.name} ({_regions_text(b)}): is the ELF built for another board?")
            raw.append(Piece(name, cat, region, addr, size))
            if not nobits:
                for seg in segments:
                    v, p, fsz = int(seg["p_vaddr"]), int(seg["p_paddr"]), int(seg["p_filesz"])
                    if v <= addr and addr + size <= v + fsz and p != v:
                        lma = addr - v + p
                        lreg = _region_of(b, lma, size)
                        if lreg is None:
                            raise QlrError(f"{path}: the load image of {name} at 0x{lma:08x} lies outside every "
                                           f"memory region of board {b.name} ({_regions_text(b)})")
                        raw.append(Piece(f"{name} (load image)", "static" if writable else "code", lreg, lma, size))
                        break
        # carve the stack ranges marked by symbols out of the sections holding them
        pieces = raw
        for sym, start in sorted(symbols.items()):
            m = _STACK_RANGE.match(sym)
            if not m or m.group(1) + "_end" not in symbols:
                continue
            end = symbols[m.group(1) + "_end"]
            if end <= start:
                continue
            out: list[Piece] = []
            for pc in pieces:
                if pc.category == "stack" or end <= pc.addr or start >= pc.end:
                    out.append(pc)
                    continue
                lo, hi = max(start, pc.addr), min(end, pc.end)
                if lo > pc.addr:
                    out.append(Piece(pc.name, pc.category, pc.region, pc.addr, lo - pc.addr))
                out.append(Piece(f"{pc.name} ({m.group(1)}_start..{m.group(1)}_end)", "stack", pc.region, lo, hi - lo))
                if hi < pc.end:
                    out.append(Piece(pc.name, pc.category, pc.region, hi, pc.end - hi))
            pieces = out
        windows = _windows(b, symbols, pieces)
        big = sorted(((n, _region_of(b, a, s) or "?", s) for n, a, s in objects), key=lambda t: (-t[2], t[0]))
        return FirmwareMemory(path, b.name, machine, pieces, windows, symbols, big[:20])
    finally:
        f.close()


def _windows(b: Board, symbols: dict[str, int], pieces: list[Piece]) -> dict[str, Window]:
    out: dict[str, Window] = {}
    for lvl in LEVELS:
        r = b.memory[lvl]
        if lvl == "L3":
            out[lvl] = Window(lvl, r.size, None)
            continue
        low = lvl.lower()
        start = symbols.get(f"__{low}_free_start")
        if start is None:  # no marker: after the last thing placed in the region
            start = align_up(max((p.end for p in pieces if p.region == lvl), default=r.base), ALIGN)
        end = symbols.get(f"__qlr_{low}_end", r.end)
        if not r.base <= start <= end <= r.end:
            raise QlrError(f"board {b.name}: the ELF's {lvl} window 0x{start:08x}..0x{end:08x} is outside "
                           f"{lvl} 0x{r.base:08x}..0x{r.end:08x}: is the ELF built for another board?")
        out[lvl] = Window(lvl, end - start, start)
    return out


def windows_from_elf(path: str | os.PathLike[str], board: Board | str) -> dict[str, Window]:
    """The free windows of an ELF (for `qlr.cl.plan.plan_for(..., windows=...)`)."""
    return read_firmware(path, board).windows

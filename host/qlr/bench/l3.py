"""`qlr bench --l3`: L3 <-> L2 bandwidth of a board's runtime (qlr_l3_read / qlr_l3_write).

For each transfer size (64 B .. 256 KiB by default) the device times, with L3_BENCH, reads
(L3 -> L2) and writes (L2 -> L3) between the start of its L2 window and the middle of L3, in two
ways: one synchronous call per transfer (`sync`: the latency of starting and waiting is paid
every time) and all the repeats started asynchronously on one job with one wait at the end
(`queued`: what the double-buffered streaming of the learning event sees). Figures are bytes
per counter unit: bytes/cycle on pulp-open, bytes/instruction under QEMU, bytes/ns (GB/s) on
the host board.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from qlr.errors import QlrError
from qlr.kernels.run import DeviceKernels
from qlr.link.link import info_int

SIZES = (64, 256, 1024, 4096, 16384, 65536, 262144)
BYTES_PER_POINT = 256 * 1024  # bytes moved per measurement (fewer repeats for large sizes)
MAX_REPEATS = 64


@dataclass
class L3Row:
    nbytes: int
    repeats: int
    read: float          # bytes per counter unit, synchronous
    write: float
    read_queued: float   # bytes per counter unit, all repeats queued then one wait
    write_queued: float
    read_counter: int    # counter delta of one synchronous read of nbytes (latency)


@dataclass
class L3Report:
    board: str
    unit: str
    rows: list[L3Row] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)


def repeats_for(nbytes: int) -> int:
    return max(1, min(MAX_REPEATS, BYTES_PER_POINT // nbytes))


def run_l3_bench(k: DeviceKernels, sizes: tuple[int, ...] = SIZES) -> L3Report:
    """Measures every size that fits both the device's L2 window and its L3."""
    l3_size = info_int(k.info, "l3_window")
    usable = [n for n in sizes if n <= k.l2_size and 2 * n <= l3_size]
    if not usable:
        raise QlrError(f"{k.board}: no transfer size of {list(sizes)} fits its L2 window ({k.l2_size} bytes) "
                       f"and L3 ({l3_size} bytes)")
    k.fill(0, max(usable), seed=7, kind="bytes")
    l3_off = (l3_size // 2) & ~63
    rep = L3Report(board=k.board, unit=k.unit)
    for n in usable:
        reps = repeats_for(n)
        bw: dict[tuple[bool, bool], float] = {}
        for write in (False, True):
            for queued in (False, True):
                c = k.l3_transfer(write=write, l2_offset=0, l3_offset=l3_off, nbytes=n, repeats=reps, queued=queued)
                bw[(write, queued)] = n * reps / c if c else float("nan")
        one = k.l3_transfer(write=False, l2_offset=0, l3_offset=l3_off, nbytes=n, repeats=1)
        rep.rows.append(L3Row(n, reps, bw[(False, False)], bw[(True, False)], bw[(False, True)], bw[(True, True)], one))
    return rep


def _size(n: int) -> str:
    return f"{n // 1024} KiB" if n >= 1024 and n % 1024 == 0 else f"{n} B"


def table(rep: L3Report, *, markdown: bool = False) -> str:
    u = {"cycles": "cycle", "instructions": "instr", "ns": "ns"}.get(rep.unit, rep.unit)
    head = ["size", f"read B/{u}", f"write B/{u}", f"read queued B/{u}", f"write queued B/{u}",
            f"one read ({rep.unit})"]
    body = [[_size(r.nbytes), f"{r.read:.3f}", f"{r.write:.3f}", f"{r.read_queued:.3f}", f"{r.write_queued:.3f}",
             str(r.read_counter)] for r in rep.rows]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" if i else "---" for i in range(len(head))) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(len(h), *(len(row[i]) for row in body)) for i, h in enumerate(head)]
    out = ["  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True))]
    out += ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in body]
    return "\n".join(out)


def to_json(rep: L3Report) -> str:
    return json.dumps(asdict(rep), indent=2)

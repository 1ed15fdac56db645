"""qlr bench: MAC per cycle (per instruction under QEMU) and parallel speedup of the FP32 training
kernels on a board, for the paper's layer shapes (see qlr.bench.layers).

It builds the board's firmware, starts its command server (QEMU, GVSoC or the host itself), fills
the inputs on the device, and times forward, input-gradient and weight-gradient passes on 1, 2, 4
and 8 cores (capped by the board's team). Boards with a DMA and a small L1 (pulp-open) run the
tiled ops wherever the tensors do not fit L1; the row says which op ran.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
from pathlib import Path

from tqdm import tqdm

from qlr import REPO_ROOT
from qlr.bench import l3 as L3
from qlr.bench import layers as L
from qlr.bench import report
from qlr.bench.event import event_cost
from qlr.bench.event import table as event_table
from qlr.bench.run import BenchReport, plan, run_bench
from qlr.boards.registry import load_board
from qlr.boards.runner import GVSOC_OPTION_HELP
from qlr.boards.session import board_session
from qlr.errors import QlrError
from qlr.kernels.run import DeviceKernels

KINDS = ("pw", "dw", "linear")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--board", required=False, help="board to measure (see `qlr boards`); required unless --from-json")
    p.add_argument("--cores", default=None,
                   help="comma-separated team sizes (default 1,2,4,8 capped by the board's team)")
    p.add_argument("--op", default=None,
                   help="comma-separated filter: passes (fw, bw_input, bw_weight) and/or layer kinds (pw, dw, linear)")
    p.add_argument("--layer", default=None,
                   help="comma-separated filter: layer indices (20 or l20) or model names (pw10, fc)")
    p.add_argument("--quick", action="store_true",
                   help=f"a small subset: layers {', '.join(map(str, L.QUICK))} and at most 2 cores (for tests)")
    p.add_argument("--l3", action="store_true",
                   help="measure L3 <-> L2 bandwidth (qlr_l3_read/write, 64 B .. 256 KiB) instead of kernels")
    p.add_argument("--json", action="store_true", help="print the results as JSON instead of the table")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown (docs/performance.md)")
    p.add_argument("--from-json", metavar="FILE", default=None,
                   help="do not measure: re-print (or --plot) the results a --json run saved")
    p.add_argument("--plot", metavar="FILE.png", default=None, help="also save a plot (needs matplotlib)")
    p.add_argument("--gvsoc", default=None, help=GVSOC_OPTION_HELP)
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed for one kernel run")
    p.add_argument("--seed", type=int, default=1, help="seed of the inputs filled on the device")
    p.add_argument("--no-build", action="store_true", help="use the firmware already built")
    p.add_argument("--event", metavar="RUN.json", default=None,
                   help="do not measure kernels: one learning event's cost by phase, from a device run's record "
                        "(qlr learn --board B --record RUN.json), in the board's counter and in seconds at the "
                        "paper's clock, beside the paper's figures")
    p.add_argument("--event-index", type=int, default=None, metavar="N",
                   help="with --event: the event to report (default: the last recorded)")


def parse_filters(op: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(passes, kinds) of an --op value."""
    if not op:
        return L.PASSES, KINDS
    items = [s.strip() for s in op.split(",") if s.strip()]
    bad = [s for s in items if s not in L.PASSES and s not in KINDS]
    if bad:
        raise QlrError(f"--op {','.join(bad)}: unknown; give passes ({', '.join(L.PASSES)}) and/or layer kinds "
                       f"({', '.join(KINDS)})")
    passes = tuple(p for p in L.PASSES if p in items) or L.PASSES
    kinds = tuple(k for k in KINDS if k in items) or KINDS
    return passes, kinds


def parse_cores(spec: str | None, team_max: int, quick: bool) -> list[int]:
    if spec is None:
        cores = [c for c in (1, 2, 4, 8) if c <= team_max]
        return cores[:2] if quick else cores
    try:
        cores = sorted({int(s) for s in spec.split(",") if s.strip()})
    except ValueError:
        raise QlrError(f"--cores {spec!r}: give comma-separated integers, e.g. 1,2,4,8") from None
    bad = [c for c in cores if not 1 <= c <= team_max]
    if not cores or bad:
        raise QlrError(f"--cores {spec!r}: each must be 1..{team_max} on this board")
    return cores


def git_commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
                             timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (sha or "unknown") + ("+dirty" if dirty else "")


def main(args: argparse.Namespace) -> int:
    if args.event:
        return _event(args)
    if args.from_json:
        try:
            rep = report.from_json(json.loads(Path(args.from_json).read_text()))
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise QlrError(f"--from-json {args.from_json}: not a saved qlr bench JSON ({e})") from None
        return _output(rep, args)
    if not args.board:
        raise QlrError("--board is required (or --from-json FILE to re-print a saved run)")
    board = load_board(args.board)  # QlrError names the known boards
    if not board.runs_here:
        raise QlrError(f"board {board.name} cannot run here (runs_here = false): flash it and measure over its port")
    if args.l3:
        return _bench_l3(board.name, args)
    passes, kinds = parse_filters(args.op)
    layers = L.select(L.paper_layers(), args.layer)
    if args.quick and not args.layer:
        layers = [b for b in layers if b.index in L.QUICK]
    layers = [b for b in layers if b.kind in kinds]
    if not layers:
        raise QlrError("the --op and --layer filters leave no layer to measure")
    cores = parse_cores(args.cores, board.team_max, args.quick)
    work = plan(layers, passes)

    if args.plot:  # fail before minutes of simulation, not after
        report.require_matplotlib()
    commit = git_commit()  # of the sources the firmware is built from, before minutes of measuring
    with board_session(board, rebuild=not args.no_build, gvsoc=args.gvsoc) as session:
        k = DeviceKernels(session.link, timeout=args.timeout)
        dma = bool(board.extra.get("dma"))
        l1_size = k.l1_size
        with tqdm(total=len(work) * len(cores), desc=f"bench {board.name}", unit="run", file=sys.stderr,
                  disable=None, leave=False) as bar:
            def progress(label: str) -> None:
                bar.set_postfix_str(label)
                bar.update(1)

            rep = run_bench(k, work, cores, dma=dma, l1_size=l1_size, seed=args.seed, progress=progress)
        rep.meta = _meta(k, commit)
    return _output(rep, args)


def _event(args: argparse.Namespace) -> int:
    try:
        record = json.loads(Path(args.event).read_text())
    except OSError as e:
        raise QlrError(f"--event {args.event}: cannot read it ({e.strerror})") from None
    except ValueError as e:
        raise QlrError(f"--event {args.event}: not JSON ({e})") from None
    if not isinstance(record, dict):
        raise QlrError(f"--event {args.event}: not a qlr run record (qlr learn --record)")
    cost = event_cost(record, args.event_index, args.event)
    if args.json:
        print(json.dumps(cost.as_dict(), indent=1))
    else:
        print(f"learning event {cost.event} of {args.event} on {cost.board}")
        print(event_table(cost, markdown=args.markdown))
    return 0


def _meta(k: DeviceKernels, commit: str) -> dict[str, str]:
    return {"date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": commit, "firmware": str(k.info.get("firmware", "")),
            "command": "qlr bench " + " ".join(sys.argv[2:] if sys.argv[1:2] == ["bench"] else sys.argv[1:])}


def _bench_l3(board: str, args: argparse.Namespace) -> int:
    commit = git_commit()
    with board_session(board, rebuild=not args.no_build, gvsoc=args.gvsoc) as session:
        k = DeviceKernels(session.link, timeout=args.timeout)
        rep = L3.run_l3_bench(k)
        rep.meta = _meta(k, commit)
    if args.json:
        print(L3.to_json(rep))
    else:
        print(f"L3 <-> L2 bandwidth on {rep.board} ({rep.unit}); date {rep.meta['date']}, commit {rep.meta['commit']}")
        print(L3.table(rep, markdown=args.markdown))
    return 0


def _output(rep: BenchReport, args: argparse.Namespace) -> int:
    if args.json:
        print(report.to_json(rep))
    else:
        print(report.header(rep))
        print(f"date {rep.meta.get('date', '?')}, commit {rep.meta.get('commit', '?')}")
        print(report.table(rep, markdown=args.markdown))
    if args.plot:
        report.plot(rep, args.plot)
        if not args.json:
            print(f"plot: {args.plot}")
    return 0

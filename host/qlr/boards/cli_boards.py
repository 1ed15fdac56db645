"""qlr boards: list the boards, their memory maps and how they run."""

from __future__ import annotations

import argparse
import json

from qlr.boards.registry import board_names, load_board
from qlr.boards.runner import find_gvsoc


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", help="show one board in full")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _kib(n: int) -> str:
    return f"{n // 1024} KiB" if n < 1 << 20 else f"{n / (1 << 20):g} MiB"


def main(args: argparse.Namespace) -> int:
    names = [args.name] if args.name else board_names()
    boards = [load_board(n) for n in names]
    if args.json:
        print(json.dumps([{
            "name": b.name, "description": b.description, "platform": b.platform,
            "cc": b.cc, "team_max": b.team_max, "counter_unit": b.counter_unit,
            "runs_here": b.runs_here, "runner": b.runner.get("kind"),
            "memory": {k: {"base": r.base, "size": r.size} for k, r in b.memory.items()},
        } for b in boards], indent=2))
        return 0
    for b in boards:
        runs = b.runs_here
        if runs == "gvsoc":
            runs = "yes (GVSoC found)" if find_gvsoc() else "needs GVSoC (tools/setup --gvsoc SRC, or $GVSOC)"
        else:
            runs = "yes" if runs else "build only"
        mem = ", ".join(f"{k} {_kib(r.size)}" for k, r in sorted(b.memory.items()))
        print(f"{b.name:10s} {b.description}")
        print(f"{'':10s} platform {b.platform}, {b.cc}, {b.team_max} worker core(s), "
              f"counter in {b.counter_unit}; runs here: {runs}")
        print(f"{'':10s} {mem}")
    return 0

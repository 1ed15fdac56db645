"""qlr run: run a firmware ELF on a board or emulator, stream its console, return its status."""

from __future__ import annotations

import argparse
import json
import sys

from qlr.boards.labgrid import run_labgrid
from qlr.boards.registry import board_names, load_board
from qlr.boards.runner import GVSOC_OPTION_HELP, run


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("elf", help="firmware ELF, e.g. build/qemu-rv32/selftest.elf")
    p.add_argument("--board", required=True, choices=board_names(), help="board to run on")
    p.add_argument("--cores", type=int, default=None,
                   help="worker cores of the team (default: all the board has)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds before the run is killed")
    p.add_argument("--gvsoc", default=None, help=GVSOC_OPTION_HELP)
    p.add_argument("--port", default=None,
                   help="serial port of a real board's console (default: the board's serial_url)")
    p.add_argument("--labgrid", metavar="ENV.yaml", default=None,
                   help="start the firmware with this labgrid environment's drivers instead of the built-in runner "
                        "(boards/labgrid/*.yaml; docs/distributed.md)")
    p.add_argument("--json", action="store_true", help="print a JSON record instead of the console")
    p.add_argument("--quiet", action="store_true", help="do not stream the console")


def main(args: argparse.Namespace) -> int:
    stream = None if (args.json or args.quiet) else (lambda line: print(line, flush=True))
    if args.labgrid:
        res = run_labgrid(load_board(args.board), args.elf, args.labgrid, timeout=args.timeout, on_line=stream)
    else:
        res = run(args.board, args.elf, cores=args.cores, timeout=args.timeout, gvsoc=args.gvsoc,
                  on_line=stream, serial_url=args.port)
    if args.json:
        print(json.dumps(res.to_json(), indent=2))
    elif res.ok:
        print(f"qlr run: {res.elf} on {res.board}: passed ({res.seconds:.1f} s)", file=sys.stderr)
    if not res.ok:
        print(f"qlr run: error: {res.error}", file=sys.stderr)
        return res.status if res.status not in (None, 0) else 1
    return 0

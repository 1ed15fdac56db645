"""qlr build: build the firmware for a board (the same as `scons board=NAME`)."""

from __future__ import annotations

import argparse

from qlr.boards.build import build
from qlr.boards.registry import board_names


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--board", required=True, choices=board_names() + ["all"])
    p.add_argument("--variant", default="", help="e.g. asan (host board)")
    p.add_argument("--fault", default="", choices=["", "barrier", "copy"],
                   help="inject a runtime fault on purpose")
    p.add_argument("targets", nargs="*", help="selftest, server, ... (default: everything)")


def main(args: argparse.Namespace) -> int:
    out = build(args.board, args.variant, args.fault, tuple(args.targets), quiet=False)
    print(f"qlr build: firmware in {out}")
    return 0

"""The device side of continual learning, host half: open an image on the CL firmware and run
its front-end (`image_frontend`), and the `qlr learn` backend for boards (`backend`)."""

from __future__ import annotations

import argparse

from qlr.boards.runner import GVSOC_OPTION_HELP


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `qlr learn` for device boards."""
    g = parser.add_argument_group("device boards")
    g.add_argument("--cores", type=int, default=None, help="worker cores of the team (default: all the board has)")
    g.add_argument("--gvsoc", default=None, help=GVSOC_OPTION_HELP)
    g.add_argument("--fault", default="", choices=("", "cl-policy", "cl-dequant"),
                   help="run a firmware broken on purpose (shows that --check catches it)")


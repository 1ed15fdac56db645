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
    g.add_argument("--labgrid", metavar="ENV.yaml", default=None,
                   help="start the board with this labgrid environment's drivers instead of the built-in runner "
                        "(boards/labgrid/*.yaml; docs/distributed.md)")
    g.add_argument("--fault", default="", choices=("", "cl-policy", "cl-dequant"),
                   help="run a firmware broken on purpose (shows that --check catches it)")
    g.add_argument("--l2-budget", type=_bytes, default=None, metavar="BYTES",
                   help="plan as if the board's L2 window had at most BYTES (e.g. 96K, 1.5M): smaller micro-batches "
                        "and tensors streamed from L3 on a board with L2 to spare; the firmware checks every buffer")
    g.add_argument("--micro-batch", type=int, default=None, metavar="N",
                   help="expert: train in micro-batches of N samples instead of the plan's choice")
    g.add_argument("--stream-all", action="store_true",
                   help="expert: keep every tensor that can stream in L3 (measures L3 traffic; exercises every "
                        "streaming path)")
    g.add_argument("--link-noise", type=_rate, default=0.0, metavar="RATE",
                   help="test: flip, drop or duplicate each byte on the link with this probability, both ways "
                        "(e.g. 1e-4); the session must end with the result of a clean run")


def _rate(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a probability: {text!r}") from None
    if not 0.0 <= v < 0.1:
        raise argparse.ArgumentTypeError(f"a noise rate must be in [0, 0.1), got {text!r}")
    return v


def _bytes(text: str) -> int:
    """'98304', '96K', '1.5M' -> bytes (binary units)."""
    t = text.strip().upper().removesuffix("B")
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(t[-1:], 1)
    try:
        value = float(t[:-1] if mult > 1 else t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 98304, 96K, 1.5M)") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"a size must be > 0, got {text!r}")
    return int(value * mult)


"""The `qlr` command: one subcommand per job, each implemented in its own module.

A subcommand module defines `add_arguments(parser)` and `main(args) -> int`. Modules are
imported only when their subcommand runs, so `qlr --help` stays fast and a broken optional
dependency in one subcommand does not take down the others.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from qlr import __version__
from qlr.errors import QlrError

# name -> (module, one-line description). Keep sorted by name.
COMMANDS: dict[str, tuple[str, str]] = {
    "bench": ("qlr.bench.cli", "Kernel MAC/cycle and parallel speedup on a board for the paper's layer shapes"),
    "boards": ("qlr.boards.cli_boards", "List the boards, their memory maps and runners"),
    "build": ("qlr.boards.cli_build", "Build the firmware for a board (wraps `scons board=NAME`)"),
    "data": ("qlr.data.cli", "Data sets: write the synthetic IMU data set with sessions, describe a data set"),
    "experiment": ("qlr.cl.cli_experiment", "Continual-learning experiments on the golden model: LR layer x N_LR x Q_LR sweep, baselines"),
    "image": ("qlr.image.cli", "Binary images for a device: pack a quantized network, inspect, verify"),
    "import": ("qlr.model.cli_import", "Import a network from a PyTorch checkpoint (.pt/.pth, no torch needed) or ONNX"),
    "kernel": ("qlr.kernels.cli", "Run one kernel op on a board or the golden model; list ops; write the op reference"),
    "learn": ("qlr.cl.cli_learn", "Continual learning with latent replays on a board or the golden twin (run record, plot)"),
    "link": ("qlr.link.cli", "Talk to a running firmware over the link: ping, info, memory, self-tests"),
    "memreport": ("qlr.report.cli_memreport", "Memory use per region of a firmware ELF and a learning event's plan, against the board"),
    "model": ("qlr.model.cli", "Describe networks: per-layer shapes, parameters and MACs"),
    "quant": ("qlr.quant.cli", "Post-training quantization: per-layer error and top-1 agreement report"),
    "run": ("qlr.boards.cli_run", "Run a firmware ELF on a board or emulator and return its status"),
    "train": ("qlr.train.cli", "Train a network on the golden model (make a pretrained front-end)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qlr",
        description="On-device continual learning with quantized latent replays: host tools.",
        # Wide enough that no one-line description wraps (argparse breaks lines at hyphens).
        formatter_class=lambda prog: argparse.HelpFormatter(prog, max_help_position=16, width=120),
    )
    parser.add_argument("--version", action="version", version=f"qlr {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name, (module, help_text) in sorted(COMMANDS.items()):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        # Arguments are added lazily (see main) so that --help here imports nothing heavy.
    return parser


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _sigterm_as_interrupt() -> signal.Handlers | Callable[[int, FrameType | None], Any] | int | None:
    """SIGTERM raises KeyboardInterrupt in the main thread, so a killed command unwinds like an
    interrupted one: emulators it started are stopped and a run record ends in `killed`. Returns
    the previous handler (None outside the main thread, where signals cannot be handled)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_interrupt)


# Options that name a file a command writes: checked before any work, so that a run does not
# end, minutes later, in a folder that does not exist.
OUTPUT_OPTIONS = ("out", "record", "plot")


def _missing_output_folder(args: argparse.Namespace) -> str | None:
    for dest in OUTPUT_OPTIONS:
        value = getattr(args, dest, None)
        if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
            continue
        folder = os.path.dirname(os.path.abspath(os.fspath(value)))
        if not os.path.isdir(folder):
            return (f"--{dest} {os.fspath(value)}: the folder {folder} does not exist "
                    f"(create it first: mkdir -p {folder})")
    return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv:
        parser.print_help()
        return 2
    # Find the subcommand, then rebuild its parser with its own arguments.
    name = next((a for a in argv if not a.startswith("-")), None)
    if name in COMMANDS:
        module_name, help_text = COMMANDS[name]
        module = importlib.import_module(module_name)
        sub_parser = argparse.ArgumentParser(prog=f"qlr {name}", description=help_text)
        module.add_arguments(sub_parser)
        rest = argv[argv.index(name) + 1 :]
        args = sub_parser.parse_args(rest)
        missing = _missing_output_folder(args)
        if missing:
            print(f"qlr {name}: error: {missing}", file=sys.stderr)
            return 1
        previous = _sigterm_as_interrupt()
        try:
            return int(module.main(args) or 0)
        except QlrError as e:
            print(f"qlr {name}: error: {e}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print(f"qlr {name}: interrupted", file=sys.stderr)
            return 130
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
    parser.parse_args(argv)  # prints help / version, or an error for an unknown command
    return 2

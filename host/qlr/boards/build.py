"""Building firmware from Python (tests, `qlr build`): runs SCons for a board."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from qlr import REPO_ROOT
from qlr.errors import QlrError


def build_dir(board: str, variant: str = "", fault: str = "") -> Path:
    tag = board + (f"-{variant}" if variant else "") + (f"-fault-{fault}" if fault else "")
    return REPO_ROOT / "build" / tag


def scons_command() -> list[str]:
    exe = shutil.which("scons")
    if exe:
        return [exe]
    return [sys.executable, "-m", "SCons"]


def build(board: str, variant: str = "", fault: str = "", targets: tuple[str, ...] = (),
          quiet: bool = True, jobs: int = 2) -> Path:
    """Builds the firmware of `board` and returns its build directory; raises QlrError with the
    compiler's output when the build fails."""
    cmd = scons_command() + ["-Q", f"-j{jobs}", f"board={board}"]
    if variant:
        cmd.append(f"variant={variant}")
    if fault:
        cmd.append(f"fault={fault}")
    cmd += list(targets)
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=quiet, text=True)
    if proc.returncode != 0:
        out = (proc.stdout or "") + (proc.stderr or "") if quiet else ""
        raise QlrError(f"build for board {board} failed ({' '.join(cmd)}):\n{out[-4000:]}")
    return build_dir(board, variant, fault)

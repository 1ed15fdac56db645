"""The `qlr` command: help lists every subcommand with its one-line description, both as
`qlr` and as `python -m qlr`, and every subcommand's own --help works (its module imports)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from qlr.cli import COMMANDS


def _help(cmd: list[str]) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.parametrize("launcher", ["module", "script"])
def test_top_level_help_lists_subcommands(launcher):
    if launcher == "script":
        exe = shutil.which("qlr")
        assert exe, "the `qlr` script is not on PATH (tools/setup installs it with pip)"
        cmd = [exe, "--help"]
    else:
        cmd = [sys.executable, "-m", "qlr", "--help"]
    text = " ".join(_help(cmd).split())
    for name, (_module, description) in COMMANDS.items():
        assert name in text
        assert " ".join(description.split()) in text, f"description of '{name}' missing"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_subcommand_help(name):
    text = _help([sys.executable, "-m", "qlr", name, "--help"])
    assert text.startswith(f"usage: qlr {name}")


def test_unknown_command_fails():
    out = subprocess.run([sys.executable, "-m", "qlr", "no-such-command"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2 and "invalid choice" in out.stderr


def test_qlr_error_is_one_line_without_traceback(tmp_path):
    out = subprocess.run([sys.executable, "-m", "qlr", "run", "--board", "host",
                          str(tmp_path / "missing.elf")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "qlr run: error: no firmware at" in out.stderr and "Traceback" not in out.stderr

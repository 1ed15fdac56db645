"""Board files drive the test targets: `qlr.boards.registry.run_targets` lists every board whose
`runs_here` is not false, plain and once per `[variants.NAME]`, and rejects a `runs_here` it does
not understand; `tests/conftest.py` parametrizes the per-board tests from that list."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TARGETS

from qlr.boards.registry import BOARDS_DIR, RunTarget, load_board, run_targets
from qlr.errors import QlrError

HOST = (BOARDS_DIR / "host.toml").read_text()


def board_file(d: Path, name: str, runs_here: str, variants: str = "") -> None:
    text = HOST.replace('name = "host"', f'name = "{name}"')
    text = text.replace("runs_here = true", f"runs_here = {runs_here}")
    text = text.split("[variants.asan]")[0] + variants
    (d / f"{name}.toml").write_text(text)


def test_targets_follow_runs_here_and_variants(tmp_path):
    board_file(tmp_path, "alpha", "true", "[variants.asan]\ncflags = []\n[variants.tsan]\ncflags = []\n")
    board_file(tmp_path, "beta", "false")
    board_file(tmp_path, "gamma", '"gvsoc"')
    assert run_targets(tmp_path) == [
        RunTarget("alpha", "alpha", "", None), RunTarget("alpha-asan", "alpha", "asan", None),
        RunTarget("alpha-tsan", "alpha", "tsan", None), RunTarget("gamma", "gamma", "", "gvsoc")]


def test_a_new_board_file_adds_its_target(tmp_path):
    board_file(tmp_path, "alpha", "true")
    before = run_targets(tmp_path)
    board_file(tmp_path, "delta", "true")
    assert [t.name for t in run_targets(tmp_path)] == [t.name for t in before] + ["delta"]


@pytest.mark.parametrize("value", ['"yes"', '"qemu"', "1"])
def test_unknown_runs_here_is_an_error_naming_the_field(tmp_path, value):
    board_file(tmp_path, "alpha", value)
    with pytest.raises(QlrError, match=r"alpha\.toml: field 'runs_here' must be true, false or one of gvsoc"):
        load_board("alpha", tmp_path)


def test_the_suite_runs_on_the_repository_boards():
    """The conftest's targets are the repository's board files read through run_targets: today
    host, host-asan, pulp-open (needs GVSoC), qemu-m4 and qemu-rv32; stm32l476 is build only."""
    assert sorted(TARGETS) == ["host", "host-asan", "pulp-open", "qemu-m4", "qemu-rv32"]
    assert TARGETS["pulp-open"].simulator == "gvsoc" and TARGETS["host-asan"].variant == "asan"
    assert "stm32l476" not in TARGETS and load_board("stm32l476").runs_here is False

"""Shared pytest fixtures.

`device` gives a test a handle on a board that can run firmware here; a test that takes it runs
once per target: every board whose `boards/NAME.toml` says `runs_here = true` (or names the
simulator it needs, `runs_here = "gvsoc"`), plain and in each of its `[variants.NAME]` (so
host, host-asan, qemu-rv32, qemu-m4 and pulp-open today; a new board file adds its tests). A
board whose simulator is missing skips with a message saying how to get it. Narrow it with
`@pytest.mark.parametrize("device", ["qemu-rv32"], indirect=True)` or `pytest --board NAME`.
Firmware is built once per session per board, through SCons, so only what changed recompiles.

CI sets `QLR_REQUIRE_GVSOC=1`: then a pulp-open test without GVSoC fails instead of skipping, so
the board the paper is about cannot drop out of CI unseen. `pytest --fault F` (or
`QLR_TEST_FAULT=F`) builds every board's firmware with a runtime fault injected on purpose
(`scons fault=F`, e.g. `barrier`): the board tests must then fail, which shows they can.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from qlr.boards import load_board
from qlr.boards.build import build
from qlr.boards.registry import RunTarget, run_targets
from qlr.boards.runner import GVSOC_HELP, RunResult, find_gvsoc, run
from qlr.boards.session import BoardSession, board_session
from qlr.kernels.run import DeviceKernels
from qlr.link import Link

TARGETS: dict[str, RunTarget] = {t.name: t for t in run_targets()}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--board", action="append", default=None, choices=sorted(TARGETS),
                     help="run the board tests only on this board (repeatable)")
    parser.addoption("--fault", default=os.environ.get("QLR_TEST_FAULT", ""),
                     help="build every board's firmware with this runtime fault (scons fault=F): "
                          "the board tests must then fail")


_session_fault = ""


def pytest_configure(config: pytest.Config) -> None:
    global _session_fault
    _session_fault = str(config.getoption("--fault"))


def gvsoc_for_tests() -> str:
    """The GVSoC launcher, or a skip naming `tools/setup --gvsoc` (a failure under
    QLR_REQUIRE_GVSOC=1, as in CI)."""
    gvsoc = find_gvsoc()
    if gvsoc is None:
        if os.environ.get("QLR_REQUIRE_GVSOC") == "1":
            pytest.fail("QLR_REQUIRE_GVSOC=1 but " + GVSOC_HELP)
        pytest.skip(GVSOC_HELP)
    return gvsoc


_built: dict[tuple[str, str, str, tuple[str, ...]], Path] = {}


def build_once(board: str, variant: str = "", fault: str = "", targets: tuple[str, ...] = ()) -> Path:
    """SCons for (board, variant, fault, targets) once per test session; its build directory.
    Firmware programs get the session's fault (--fault) unless one is asked for."""
    if not targets:
        fault = fault or _session_fault
    key = (board, variant, fault, targets)
    if key not in _built:
        _built[key] = build(board, variant, fault, targets)
    return _built[key]


@dataclass
class DeviceHandle:
    """A board the tests can run firmware on."""

    target: str
    board: str
    variant: str
    gvsoc: str | None = None

    @property
    def team_max(self) -> int:
        return load_board(self.board).team_max

    def build_dir(self, fault: str = "") -> Path:
        return build_once(self.board, self.variant, fault)

    def elf(self, program: str, fault: str = "") -> Path:
        return self.build_dir(fault) / f"{program}.elf"

    def run(self, program: str, *, cores: int | None = None, fault: str = "",
            timeout: float = 120.0) -> RunResult:
        return run(self.board, self.elf(program, fault), cores=cores, timeout=timeout,
                   gvsoc=self.gvsoc)

    def session(self, program: str = "server", *, cores: int | None = None,
                timeout: float | None = None) -> contextlib.AbstractContextManager[BoardSession]:
        """`program` running with its link open (qlr.boards.session.board_session)."""
        return board_session(self.board, program=program, elf=self.elf(program), cores=cores, gvsoc=self.gvsoc,
                             timeout=timeout)


def handle_for(request: pytest.FixtureRequest) -> DeviceHandle:
    """The DeviceHandle of request.param's target; skips targets not selected with --board and
    boards whose simulator is not installed."""
    target = TARGETS[request.param]
    chosen = request.config.getoption("--board")
    if chosen and target.name not in chosen:
        pytest.skip(f"board {target.name} not selected (--board {' '.join(chosen)})")
    gvsoc = gvsoc_for_tests() if target.simulator == "gvsoc" else None
    return DeviceHandle(target.name, target.board, target.variant, gvsoc)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "device" in metafunc.fixturenames and not any(
            m.name == "parametrize" and "device" in m.args[0] for m in metafunc.definition.iter_markers()):
        chosen = metafunc.config.getoption("--board") or list(TARGETS)
        metafunc.parametrize("device", chosen, indirect=True)


@pytest.fixture
def device(request: pytest.FixtureRequest) -> DeviceHandle:
    return handle_for(request)


# ---- one firmware per board for a whole module or session -------------------------------------

@contextlib.contextmanager
def board_link(request: pytest.FixtureRequest, program: str,
               gvsoc_timeout: float | None = None) -> Iterator[tuple[Link, DeviceHandle]]:
    """Starts `program` on request.param's board with its link open and yields
    (link, DeviceHandle) (see handle_for for skips); `gvsoc_timeout` overrides the link's
    per-response timeout on GVSoC boards."""
    handle = handle_for(request)
    with handle.session(program, timeout=gvsoc_timeout if handle.gvsoc else None) as session:
        yield session.link, handle


class BoardKernels(DeviceKernels):
    """DeviceKernels that also say which test target they run on (slow boards run fewer cases)."""

    def __init__(self, link: Link, target: str) -> None:
        super().__init__(link)
        self.target = target


@pytest.fixture(scope="session", params=list(TARGETS))
def kernels(request: pytest.FixtureRequest) -> Iterator[BoardKernels]:
    """A `qlr.kernels.run.DeviceKernels` on a board's command server, started once per session
    and shared by every kernel test on that board (`kernels.run(spec, arrays, params, cores=N)`).
    Narrow with `pytest --board NAME`."""
    with board_link(request, "server") as (link, handle):
        yield BoardKernels(link, handle.target)


def c_test_program(board: str, name: str, variant: str = "") -> Path:
    """A C test program of `scons board=BOARD [variant=V] tests` (SConstruct's TEST_PROGRAMS,
    TEST_SHARED_LIBS and the tiny memreport programs), built with the firmware's flags once per
    test session."""
    path = build_once(board, variant, "", ("tests",)) / "tests" / name
    assert path.is_file(), f"scons board={board} tests did not build {path}"
    return path

"""Shared pytest fixtures.

`device` gives a test a handle on a board that can run firmware here; a test that takes it runs
once per board (host, host with ASan/UBSan, qemu-rv32, qemu-m4, and pulp-open where GVSoC is
installed; it skips with a message saying how to point at GVSoC otherwise). Narrow it with
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
from dataclasses import dataclass
from pathlib import Path

import pytest

from qlr.boards import load_board
from qlr.boards.build import build
from qlr.boards.runner import GVSOC_HELP, RunResult, find_gvsoc, run, start

# name -> (board, variant)
TARGETS: dict[str, tuple[str, str]] = {
    "host": ("host", ""),
    "host-asan": ("host", "asan"),
    "qemu-rv32": ("qemu-rv32", ""),
    "qemu-m4": ("qemu-m4", ""),
    "pulp-open": ("pulp-open", ""),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--board", action="append", default=None, choices=sorted(TARGETS),
                     help="run the board tests only on this board (repeatable)")
    parser.addoption("--fault", default=os.environ.get("QLR_TEST_FAULT", ""),
                     help="build every board's firmware with this runtime fault (scons fault=F): "
                          "the board tests must then fail")


_session_fault = ""


def pytest_configure(config: pytest.Config) -> None:
    global _session_fault
    _session_fault = config.getoption("--fault")


def gvsoc_for_tests() -> str:
    """The GVSoC launcher, or a skip naming `tools/setup --gvsoc` (a failure under
    QLR_REQUIRE_GVSOC=1, as in CI)."""
    gvsoc = find_gvsoc()
    if gvsoc is None:
        if os.environ.get("QLR_REQUIRE_GVSOC") == "1":
            pytest.fail("QLR_REQUIRE_GVSOC=1 but " + GVSOC_HELP)
        pytest.skip(GVSOC_HELP)
    return gvsoc


_built: dict[tuple[str, str, str], Path] = {}


def build_once(board: str, variant: str = "", fault: str = "") -> Path:
    fault = fault or _session_fault
    key = (board, variant, fault)
    if key not in _built:
        _built[key] = build(board, variant, fault)
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

    @contextlib.contextmanager
    def started(self, program: str = "server", *, cores: int | None = None):
        """Starts `program` with its link open; yields the runner's Device (see link_url)."""
        dev = start(self.board, self.elf(program), cores=cores, link=True, gvsoc=self.gvsoc)
        try:
            yield dev
        finally:
            dev.close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "device" in metafunc.fixturenames and not any(
            m.name == "parametrize" and "device" in m.args[0] for m in metafunc.definition.iter_markers()):
        chosen = metafunc.config.getoption("--board") or list(TARGETS)
        metafunc.parametrize("device", chosen, indirect=True)


@pytest.fixture
def device(request: pytest.FixtureRequest) -> DeviceHandle:
    target = request.param
    chosen = request.config.getoption("--board")
    if chosen and target not in chosen:
        pytest.skip(f"board {target} not selected (--board {' '.join(chosen)})")
    board, variant = TARGETS[target]
    gvsoc = gvsoc_for_tests() if board == "pulp-open" else None
    return DeviceHandle(target, board, variant, gvsoc)


# ---- kernel ops: one command server per board for the whole session ---------------------------

@contextlib.contextmanager
def board_link(request: pytest.FixtureRequest, program: str, pulp_timeout: float = 120.0):
    """Starts `program` on request.param's board with its link open and yields
    (link, DeviceHandle); skips boards not selected with --board and pulp-open without GVSoC.
    The firmware is asked to exit when the block ends normally; the link always closes."""
    from qlr.link import open_device_link

    target = request.param
    chosen = request.config.getoption("--board")
    if chosen and target not in chosen:
        pytest.skip(f"board {target} not selected (--board {' '.join(chosen)})")
    board, variant = TARGETS[target]
    gvsoc = gvsoc_for_tests() if board == "pulp-open" else None
    handle = DeviceHandle(target, board, variant, gvsoc)
    with handle.started(program) as dev:
        link = open_device_link(dev, timeout=10.0 if board != "pulp-open" else pulp_timeout, retries=2)
        try:
            yield link, handle
            with contextlib.suppress(Exception):
                link.exit(0)
        finally:
            link.close()


@pytest.fixture(scope="session", params=list(TARGETS))
def kernels(request: pytest.FixtureRequest):
    """A `qlr.kernels.run.DeviceKernels` on a board's command server, started once per session
    and shared by every kernel test on that board (`kernels.run(spec, arrays, params, cores=N)`).
    Narrow with `pytest --board NAME`."""
    from qlr.kernels.run import DeviceKernels

    with board_link(request, "server") as (link, handle):
        k = DeviceKernels(link)
        k.target = handle.target
        yield k

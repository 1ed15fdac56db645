"""The one host path to a running board: build the firmware, start it on the board's runner with
its link, open the link, and shut both down however the block ends.

Every caller that needs a firmware it can talk to goes through `board_session` (`qlr kernel`,
`qlr bench`, `qlr learn`, `qlr link --board`, the test suite's board fixtures), so the choice of
simulator, the GVSoC check, the link's timeouts and the clean-up are written once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qlr.boards.build import build, build_dir
from qlr.boards.labgrid import start_labgrid
from qlr.boards.registry import Board, load_board
from qlr.boards.runner import GVSOC_HELP, Device, LineSink, find_gvsoc, start
from qlr.errors import QlrError
from qlr.link import ExecTransport, Link, open_device_link
from qlr.link.link import check_firmware_version

# Seconds to wait for one response: GVSoC runs the firmware about 1000x slower than QEMU.
LINK_TIMEOUT_S = 10.0
LINK_TIMEOUT_GVSOC_S = 120.0


def link_timeout(board: Board) -> float:
    """The default per-response timeout of a board's link."""
    return LINK_TIMEOUT_GVSOC_S if board.runner.get("kind") == "gvsoc" else LINK_TIMEOUT_S


@dataclass
class BoardSession:
    """A firmware running on a board with its link open (see `board_session`)."""

    board: Board
    device: Device
    link: Link
    exited: bool = False

    def exit(self, status: int = 0, timeout: float = 10.0) -> int | None:
        """Asks the firmware to exit with `status` and returns the status its process ended
        with (None when the board has no process status to wait for)."""
        self.link.exit(status)
        self.exited = True
        if isinstance(self.link.transport, ExecTransport):  # the host board: the link's own process
            return self.link.transport.wait(timeout)
        return self.device.wait(timeout).status


def resolve_gvsoc(board: Board, gvsoc: str | None) -> str | None:
    """The GVSoC launcher a gvsoc-run board needs (QlrError saying how to get one if there is
    none); `gvsoc` unchanged for other boards."""
    if board.runner.get("kind") != "gvsoc":
        return gvsoc
    found = find_gvsoc(gvsoc)
    if found is None:
        raise QlrError(f"board {board.name} needs GVSoC. {GVSOC_HELP}")
    return found


@contextlib.contextmanager
def board_session(board: str | Board, *, program: str = "server", variant: str = "", fault: str = "",
                  cores: int | None = None, gvsoc: str | None = None, rebuild: bool = True,
                  elf: str | Path | None = None, timeout: float | None = None, retries: int = 2,
                  console: LineSink | None = None, check_version: bool = True,
                  labgrid: str | Path | None = None) -> Iterator[BoardSession]:
    """Yields a `BoardSession` with `program` running on `board` and its link open.

    rebuild: run SCons first (only what changed recompiles); otherwise use the firmware already
    in build/BOARD[-VARIANT][-fault-F]/. elf: start this ELF instead of `program`'s. fault: a
    firmware built with a fault injected on purpose (tests of the tests). timeout: seconds per
    response (default: `link_timeout`). console: gets every console line of the device.
    check_version: refuse (QlrError) a firmware whose INFO version is not this host package's; the
    two are built from one description of every command and op.
    When the block ends normally the firmware is asked to exit (unless `BoardSession.exit` was
    called); the link and the simulator are always closed. labgrid: a labgrid environment (YAML)
    whose drivers start the firmware and carry the link instead of the built-in runner
    (`qlr.boards.labgrid`)."""
    b = load_board(board) if isinstance(board, str) else board
    gvsoc = resolve_gvsoc(b, gvsoc)
    if elf is None:
        bdir = build(b.name, variant, fault) if rebuild else build_dir(b.name, variant, fault)
        elf = bdir / f"{program}.elf"
    per_response = link_timeout(b) if timeout is None else timeout
    if labgrid is not None:
        lg = start_labgrid(b, elf, labgrid, link=True, on_line=console)
        dev: Device = lg
        try:
            link = Link(lg.link_transport(), timeout=per_response, retries=retries, console=console)
        except BaseException:
            dev.close()
            raise
    else:
        dev = start(b, elf, cores=cores, link=True, gvsoc=gvsoc, on_line=console)
    try:
        if labgrid is None:
            link = open_device_link(dev, timeout=per_response, retries=retries, console=console)
    except BaseException:
        dev.close()
        raise
    session = BoardSession(b, dev, link)
    try:
        if check_version:
            check_firmware_version(link.info())
        yield session
        if not session.exited:
            with contextlib.suppress(QlrError):  # a firmware that already stopped has nothing to say
                link.exit(0)
    finally:
        link.close()
        dev.close()

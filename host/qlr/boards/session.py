"""A command-server session on a board: build the firmware, start it with its link, yield an
open `qlr.link.Link`, and shut both down however the block ends (used by `qlr kernel run`,
`qlr bench` and `qlr learn`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from qlr.boards.build import build
from qlr.boards.registry import load_board
from qlr.boards.runner import GVSOC_HELP, find_gvsoc, start
from qlr.errors import QlrError


@contextlib.contextmanager
def server_session(board: str, *, program: str = "server", cores: int | None = None,
                   gvsoc: str | None = None, rebuild: bool = True, timeout: float | None = None,
                   retries: int = 2, fault: str = "") -> Iterator[object]:
    """Yields a Link to `program` running on `board` (the link's `device` attribute is the
    runner's Device). `rebuild` runs SCons first (only what changed recompiles). `fault` picks a
    firmware built with a fault injected on purpose (tests of the tests)."""
    from qlr.link import open_device_link

    b = load_board(board)
    if b.runner.get("kind") == "gvsoc":
        gvsoc = find_gvsoc(gvsoc)
        if gvsoc is None:
            raise QlrError(f"board {board} needs GVSoC. {GVSOC_HELP}")
    if rebuild:
        bdir = build(board, fault=fault)
    else:
        from qlr.boards.build import build_dir

        bdir = build_dir(board, "", fault)
    elf = bdir / f"{program}.elf"
    if timeout is None:
        timeout = 120.0 if b.runner.get("kind") == "gvsoc" else 10.0
    dev = start(b, elf, cores=cores, link=True, gvsoc=gvsoc)
    link = None
    try:
        link = open_device_link(dev, timeout=timeout, retries=retries)
        link.device = dev
        yield link
        with contextlib.suppress(Exception):
            link.exit(0)
    finally:
        if link is not None:
            link.close()
        dev.close()

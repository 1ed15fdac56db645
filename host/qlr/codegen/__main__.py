"""`python3 -m qlr.codegen DIR`: writes every generated firmware file into DIR."""

from __future__ import annotations

import sys
from pathlib import Path

from qlr.codegen import commands_c, ops_c, write_if_changed


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0].startswith("-"):
        print("usage: python3 -m qlr.codegen DIR   (writes the generated firmware files into DIR)", file=sys.stderr)
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    out = Path(argv[0])
    write_if_changed(out / "qlr_commands.h", commands_c.header())
    write_if_changed(out / "qlr_ops_gen.h", ops_c.header())
    write_if_changed(out / "qlr_ops_gen.c", ops_c.source())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

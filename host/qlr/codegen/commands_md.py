"""docs/commands.md, rendered from `qlr.link.commands` (`python3 -m qlr.codegen.commands_md
--write docs/commands.md`; a test fails when the file is out of date)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qlr.link.commands import COMMANDS
from qlr.link.layout import Layout

INTRO = """# Link commands

Generated from `host/qlr/link/commands.py` by `python3 -m qlr.codegen.commands_md --write
docs/commands.md`; a test fails when this file is out of date. Do not edit by hand.

Every payload layout of the host-device link, in one place: the host packs and unpacks them with
`qlr.link.commands`, and the firmware build generates its C structs, decoders and encoders from
the same description (`build/<board>/qlr_commands.h`). Framing, retries and status codes:
[link-protocol.md](link-protocol.md). Integers are little-endian, `pad` bytes are zero (a request
with a non-zero reserved byte gets `E_ARGUMENT`, a wrong length `E_LENGTH`); offsets are relative
to the L2 or L3 window of the `MEM_*` commands, and every range is checked against its window.
"""


def _table(layout: Layout, title: str) -> list[str]:
    if not layout.fields and not layout.tail:
        return [f"{title}: empty.", ""]
    out = [f"{title} ({layout.size} bytes{' + variable part' if layout.variable else ''}):", "",
           "| offset | type | field | meaning |", "|---|---|---|---|"]
    at = 0
    for f in layout.fields:
        t = f.type if f.count == 1 else f"{f.type}[{f.count}]"
        name = "" if f.type == "pad" else f"`{f.name}`"
        out.append(f"| {at} | {t} | {name} | {f.doc} |")
        at += f.size
    if layout.records is not None:
        rec = layout.records
        fields = ", ".join(f"{f.type} `{f.name}`" for f in rec.fields)
        out.append(f"| {at} | records | | `{layout.count_field}` x ({fields}); {rec.size} bytes each |")
    if layout.tail:
        out.append(f"| {at} | ... | | {layout.tail} |")
    return out + [""]


def render() -> str:
    lines = [INTRO, "| code | command | served by |", "|---|---|---|"]
    lines += [f"| `0x{c.code:02X}` | [`{c.name}`](#{c.name.lower()}) | `{c.source}` |" for c in COMMANDS]
    lines.append("")
    for c in COMMANDS:
        lines += [f"## {c.name}", "", f"Code `0x{c.code:02X}`. {c.doc}", ""]
        lines += _table(c.request, "Request")
        lines += _table(c.reply, "Reply")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m qlr.codegen.commands_md", description=__doc__)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--write", metavar="FILE", help="write the reference to FILE")
    g.add_argument("--check", metavar="FILE", help="exit 1 when FILE differs from the description")
    a = ap.parse_args(argv)
    text = render()
    if a.write:
        Path(a.write).write_text(text)
        return 0
    if Path(a.check).read_text() != text:
        print(f"{a.check} is out of date: python3 -m qlr.codegen.commands_md --write {a.check}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

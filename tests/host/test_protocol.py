"""The one description of the link commands (qlr.link.commands) and what is built from it: the
host's packing and unpacking, the firmware's C header (qlr.codegen.commands_c), docs/commands.md;
plus the codes and status values the C headers still spell out themselves, compared with it."""

from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

import pytest

from qlr.codegen import commands_c, commands_md
from qlr.link import Status
from qlr.link.commands import BASE, BY_CODE, COMMANDS, KERNEL_STATUS
from qlr.link.errors import LinkError, LinkProtocolError
from qlr.link.frame import Command as FrameCommand
from qlr.link.layout import Layout
from qlr.link.link import check_firmware_version

REPO = Path(__file__).resolve().parents[2]
INCLUDE = REPO / "firmware" / "include"


def _values(layout: Layout, rng: random.Random) -> dict:
    out = {}
    for f in layout.fields:
        if f.type == "pad":
            continue
        bits = {"u8": 8, "u16": 16, "u32": 32, "u64": 64}.get(f.type)
        one = (lambda: rng.getrandbits(bits)) if bits else (lambda: rng.randrange(-2**31, 2**31)) \
            if f.type == "i32" else (lambda: float(rng.randrange(-1000, 1000)) / 8)
        out[f.name] = tuple(one() for _ in range(f.count)) if f.count != 1 else one()
    return out


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: c.name)
def test_every_payload_round_trips(cmd):
    rng = random.Random(cmd.code)
    for layout in (cmd.request, cmd.reply) + ((cmd.reply.records,) if cmd.reply.records else ()):
        vals = _values(layout, rng)
        data = layout.pack(vals)
        assert len(data) == layout.size
        assert layout.unpack(data, cmd.name) == vals


@pytest.mark.parametrize("cmd", [c for c in COMMANDS if c.reply.fields], ids=lambda c: c.name)
def test_a_short_or_long_reply_is_a_protocol_error_naming_the_command(cmd):
    good = cmd.reply.pack(_values(cmd.reply, random.Random(1)))
    with pytest.raises(LinkProtocolError, match=rf"^{cmd.name}: reply is {len(good) - 1} bytes"):
        cmd.unpack_reply(good[:-1])
    with pytest.raises(LinkProtocolError, match=rf"^{cmd.name}: reply is 0 bytes"):
        cmd.unpack_reply(b"")
    if not cmd.reply.variable:
        with pytest.raises(LinkProtocolError, match=rf"^{cmd.name}: reply is {len(good) + 1} bytes"):
            cmd.unpack_reply(good + b"x")


def test_records_must_fill_the_reply_exactly():
    """A reply of fixed fields then `count` records (no command uses records today; the layout
    keeps the form for replies that list things)."""
    from qlr.link.layout import u32

    rec_layout = Layout((u32("offset"), u32("count"), u32("momentum"), u32("layer")))
    reply = Layout((u32("elems"), u32("tensors")), records=rec_layout, count_field="tensors")
    head = reply.pack({"elems": 7, "tensors": 2})
    rec = rec_layout.pack(offset=64, count=10, momentum=128, layer=1 << 16)
    assert [r["count"] for r in reply.unpack_records(head + rec + rec, "TEST", 2)] == [10, 10]
    with pytest.raises(LinkProtocolError, match="TEST: reply is 24 bytes, 2 records need 40"):
        reply.unpack_records(head + rec, "TEST", 2)


def test_packing_names_unknown_and_missing_fields():
    cmd = BY_CODE[0x13]  # MEM_LOAD
    with pytest.raises(LinkError, match=r"unknown \['positon'\], missing \['position'\]"):
        cmd.request.pack(level=1, offset=0, length=1, positon=0)
    with pytest.raises(LinkError, match="do not fit"):
        cmd.request.pack(level=1, offset=-1, length=1, position=0)


def test_docs_commands_md_is_up_to_date():
    assert (REPO / "docs" / "commands.md").read_text() == commands_md.render(), \
        "docs/commands.md is out of date: python3 -m qlr.codegen.commands_md --write docs/commands.md"


def test_the_generated_header_compiles_and_agrees_with_the_host(tmp_path):
    """qlr_commands.h compiles with the firmware's warnings, and its sizes are the host's."""
    (tmp_path / "qlr_commands.h").write_text(commands_c.header())
    checks = [f"_Static_assert(QLR_CMD_{c.name} == 0x{c.code:02X}u, \"{c.name}\");" for c in COMMANDS]
    for c in COMMANDS:
        if c.request.fields:
            checks.append(f"_Static_assert(QLR_{c.name}_REQUEST_SIZE == {c.request.size}u, \"{c.name}\");")
        if c.reply.fields:
            checks.append(f"_Static_assert(QLR_{c.name}_REPLY_SIZE == {c.reply.size}u, \"{c.name}\");")
    src = tmp_path / "use.c"
    src.write_text('#include "qlr_commands.h"\n' + "\n".join(checks) + "\n")
    r = subprocess.run(["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wcast-qual", "-fsyntax-only",
                        f"-I{INCLUDE}", f"-I{tmp_path}", str(src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_base_command_codes_and_link_status_agree_with_the_description():
    assert {c.name: c.code for c in BASE} == {c.name: int(c) for c in FrameCommand}
    text = (INCLUDE / "qlr" / "link.h").read_text()
    c_status = {m.group(1): int(m.group(2)) for m in re.finditer(r"QLR_LINK_(OK|E_\w+|IN_PROGRESS) = (\d+)", text)}
    assert c_status == {s.name: int(s) for s in Status}


def test_kernel_status_names_agree_with_status_h():
    text = (INCLUDE / "qlr" / "status.h").read_text()
    c_status = {int(m.group(2)): m.group(1) for m in re.finditer(r"(QLR_(?:OK|E_\w+)) = (\d+)", text)}
    assert c_status == KERNEL_STATUS


def test_a_firmware_of_another_version_is_refused():
    check_firmware_version({"firmware": "0.1.0", "board": "host"}, host_version="0.1.0")
    with pytest.raises(LinkError, match=r"firmware on qemu-m4 is version 0\.0\.9 and this host is qlr 0\.1\.0"):
        check_firmware_version({"firmware": "0.0.9", "board": "qemu-m4"}, host_version="0.1.0")
    with pytest.raises(LinkError, match="version ?"):
        check_firmware_version({"board": "host"}, host_version="0.1.0")

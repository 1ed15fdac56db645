"""Changing one op parameter or one command field in the single description (the op specs in
host/qlr/kernels/ops_*.py, the command layouts in host/qlr/link/commands.py), and nothing else,
makes the firmware build or a test fail until both sides agree.

- Rename or remove a parameter or field: the C that reads it by name (`p.k_h`, `q->filled`) no longer
  compiles against the regenerated header (shown here on a copy of the description).
- Add one: the generated header still compiles, but the firmware would ignore it; the scans below
  fail until the C glue reads every parameter and every request field and sets every reply field.
- Reorder or retype: both sides are generated from the description, so they agree by
  construction (the device's KERNEL_LIST is compared with the specs on every board:
  tests/kernels/test_op_list.py).
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
from pathlib import Path

import pytest

from qlr.codegen import commands_c, ops_c
from qlr.kernels.registry import all_ops
from qlr.link import commands as C
from qlr.link.layout import Field, Layout

REPO = Path(__file__).resolve().parents[2]
FW = REPO / "firmware"
OPS_GLUE = sorted((FW / "app" / "ops").glob("ops_*.c"))
HANDLERS = sorted({REPO / c.source for c in C.COMMANDS})


def _compile(sources: list[Path], gen: Path) -> subprocess.CompletedProcess:
    gen.mkdir(exist_ok=True)
    return subprocess.run(["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", f"-I{FW / 'include'}",
                           f"-I{FW / 'app'}", f"-I{gen}", *map(str, sources)], capture_output=True, text=True,
                          env={**os.environ, "LC_ALL": "C"})  # ASCII quotes in the diagnostics


def _write_ops(gen: Path) -> None:
    gen.mkdir(exist_ok=True)
    (gen / "qlr_ops_gen.h").write_text(ops_c.header())
    (gen / "qlr_ops_gen.c").write_text(ops_c.source())


def _renamed_param(op: str, old: str, new: str) -> dict:
    ops = dict(all_ops())
    spec = ops[op]
    params = tuple(dataclasses.replace(p, name=new) if p.name == old else p for p in spec.params)
    ops[op] = dataclasses.replace(spec, params=params)
    return ops


def _with_field(name: str, edit) -> tuple:
    """COMMANDS with command `name`'s request fields passed through `edit`."""
    out = []
    for c in C.COMMANDS:
        if c.name == name:
            c = dataclasses.replace(c, request=dataclasses.replace(c.request, fields=edit(c.request.fields)))
        out.append(c)
    return tuple(out)


# ---- the build ---------------------------------------------------------------------------------

def test_the_descriptions_as_they_are_compile(tmp_path):
    gen = tmp_path / "gen"
    _write_ops(gen)
    (gen / "qlr_commands.h").write_text(commands_c.header())
    r = _compile(OPS_GLUE + HANDLERS + [gen / "qlr_ops_gen.c"], gen)
    assert r.returncode == 0, r.stderr


def test_renaming_an_op_parameter_breaks_the_build(tmp_path, monkeypatch):
    monkeypatch.setattr(ops_c, "all_ops", lambda: _renamed_param("conv2d_u8s8", "k_h", "kernel_h"))
    gen = tmp_path / "gen"
    _write_ops(gen)
    (gen / "qlr_commands.h").write_text(commands_c.header())
    r = _compile([FW / "app" / "ops" / "ops_int8.c"], gen)
    assert r.returncode != 0 and "k_h" in r.stderr, r.stderr


def test_renaming_a_command_field_breaks_the_build(tmp_path, monkeypatch):
    rename = lambda fields: tuple(dataclasses.replace(f, name="lr_filled") if f.name == "filled" else f
                                  for f in fields)
    monkeypatch.setattr(commands_c, "COMMANDS", _with_field("CL_SETUP", rename))
    gen = tmp_path / "gen"
    _write_ops(gen)
    (gen / "qlr_commands.h").write_text(commands_c.header())
    r = _compile([FW / "app" / "cl" / "learn_commands.c"], gen)
    assert r.returncode != 0 and "no member named 'filled'" in r.stderr, r.stderr


def test_removing_a_reply_field_breaks_the_build(tmp_path, monkeypatch):
    drop = [c if c.name != "CL_EVAL" else dataclasses.replace(
        c, reply=Layout(tuple(f for f in c.reply.fields if f.name != "correct"))) for c in C.COMMANDS]
    monkeypatch.setattr(commands_c, "COMMANDS", tuple(drop))
    gen = tmp_path / "gen"
    (gen).mkdir()
    (gen / "qlr_commands.h").write_text(commands_c.header())
    r = _compile([FW / "app" / "cl" / "learn_commands.c"], gen)
    assert r.returncode != 0 and "correct" in r.stderr, r.stderr


# ---- the scans: every parameter and field is used -------------------------------------------------

def unread_params(ops: dict) -> list[str]:
    """`op.param` for every parameter no op glue reads by name (`p.name`, or `(p).name` in a macro
    that unpacks a family's common parameters)."""
    text = "\n".join(f.read_text() for f in OPS_GLUE)
    read = set(re.findall(r"(?:\bp|\(p\))\.(\w+)", text))
    return [f"{s.name}.{p.name}" for s in ops.values() for p in s.params if p.name not in read]


def unused_fields(commands: tuple) -> list[str]:
    """`COMMAND.field` for every request field its handler does not read (`q.field`) and every
    reply or record field it does not set (`.field = `)."""
    out = []
    for c in commands:
        text = (REPO / c.source).read_text()
        read = set(re.findall(r"\bq(?:\.|->)(\w+)", text))
        set_ = set(re.findall(r"\.(\w+)(?:\[\w+\])? = ", text))
        out += [f"{c.name}.{f.name}" for f in c.request.fields if f.type != "pad" and f.name not in read]
        replies = c.reply.fields + (c.reply.records.fields if c.reply.records else ())
        out += [f"{c.name}.{f.name}" for f in replies if f.type != "pad" and f.name not in set_]
    return out


def test_every_op_parameter_is_read_by_the_firmware():
    assert unread_params(all_ops()) == []


def test_an_added_op_parameter_is_caught():
    ops = dict(all_ops())
    spec = ops["pwconv_u8s8"]
    ops["pwconv_u8s8"] = dataclasses.replace(spec, params=spec.params + (dataclasses.replace(spec.params[0],
                                                                                            name="dilation"),))
    assert unread_params(ops) == ["pwconv_u8s8.dilation"]


def test_every_command_field_is_used_by_its_handler():
    assert unused_fields(C.COMMANDS) == []


@pytest.mark.parametrize("where", ["request", "reply"])
def test_an_added_command_field_is_caught(where):
    cmds = []
    for c in C.COMMANDS:
        if c.name == "CL_EVENT":
            lay = getattr(c, where)
            c = dataclasses.replace(c, **{where: dataclasses.replace(lay, fields=lay.fields + (Field("epochs_run", "u32"),))})
        cmds.append(c)
    assert unused_fields(tuple(cmds)) == ["CL_EVENT.epochs_run"]

"""Generators of the firmware's view of the host's single descriptions.

- `commands_c`: `qlr_commands.h` from `qlr.link.commands` (codes, payload structs, decoders and
  encoders of every link command);
- `ops_c`: `qlr_ops_gen.h` / `qlr_ops_gen.c` from the op specs of `qlr.kernels` (parameter and
  tensor names, indices, ranges, a struct of named parameters per op).

SConstruct writes them into `build/<board>/` on every build (never committed, so they cannot go
stale), and `write_if_changed` keeps unchanged outputs untouched so nothing recompiles for
nothing. `python3 -m qlr.codegen DIR` writes all of them into DIR (for reading them).
"""

from __future__ import annotations

from pathlib import Path


def write_if_changed(path: str | Path, text: str) -> bool:
    """Writes `text` to `path` unless it already holds exactly that; True when it wrote."""
    p = Path(path)
    if p.exists() and p.read_text() == text:
        return False
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return True


def c_identifier(name: str) -> str:
    """`cl_setup` -> `cl_setup`; checks that a name can be a C identifier."""
    if not name.replace("_", "a").isalnum() or name[0].isdigit():
        raise ValueError(f"{name!r} is not a C identifier")
    return name

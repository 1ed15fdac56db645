"""Rules for the C sources (firmware/ and the C test programs in tests/) that the compiler does not
check by itself:

- Structs are filled by field name (STYLE: designated initialisers): every initialiser of a struct
  type, a compound literal of one, and every element of an array of structs names its fields
  (`{.x = 1}`); all-zero lists (`{0}`, `{0u}`, `{}`) are the only positional forms allowed. A struct
  filled by position silently shifts every value when a field is added or reordered. The scan
  knows the struct types from the sources' own `typedef struct ... name;` and `struct name {`
  definitions, so scalar arrays (`uint32_t v[] = {1, 2}`) and enums are left alone.
- No const is cast away: the build has -Wcast-qual (SConstruct), and the one way around it, a
  pointer made back from an integer (`(T *)(uintptr_t)p`), is not used."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIRMWARE = REPO / "firmware"


def _strip(src: str) -> str:
    """C source with comments, string and character literals blanked (same length)."""
    out = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group()), src, flags=re.S)
    out = out.replace("\\\n", " \n")  # macro continuations: the backslash is not part of the code
    out = re.sub(r"//[^\n]*", lambda m: " " * len(m.group()), out)
    return re.sub(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', lambda m: '"' + "x" * (len(m.group()) - 2) + '"', out)


def struct_types(files: list[Path]) -> set[str]:
    names: set[str] = set()
    for f in files:
        s = _strip(f.read_text())
        for m in re.finditer(r"typedef\s+struct\s*\w*\s*\{", s):
            depth, i = 0, m.end() - 1
            while True:  # skip the body to the typedef name
                depth += {"{": 1, "}": -1}.get(s[i], 0)
                i += 1
                if depth == 0:
                    break
            name = re.match(r"\s*(\w+)", s[i:])
            if name:
                names.add(name.group(1))
        names.update("struct " + n for n in re.findall(r"\bstruct\s+(\w+)\s*\{", s))
    return names


def _close(s: str, i: int) -> int:
    """Index just past the brace that closes the one at s[i]."""
    depth = 0
    while True:
        depth += {"{": 1, "}": -1}.get(s[i], 0)
        i += 1
        if depth == 0:
            return i


def _elements(body: str) -> list[str]:
    """Top-level comma-separated elements of a brace list's inside."""
    out: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in body:
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        if ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return out


ZERO = re.compile(r"0[uUlL]*|0\.0f?|NULL")


def _designated(body: str) -> bool:
    """Every element names its field, or the list is all-zero (`{0}`, `{0u}`, `{}`)."""
    els = _elements(body)
    return els == [] or (len(els) == 1 and ZERO.fullmatch(els[0]) is not None) or all(e.startswith(".") for e in els)


def positional_initialisers(path: Path, types: set[str], root: Path = REPO) -> list[str]:
    """`file:line: text` of every positional struct initialiser in one C file."""
    raw = path.read_text()
    s = _strip(raw)
    found = []
    type_re = "|".join(sorted((re.escape(t) for t in types), key=len, reverse=True))
    # `T name = {`, `T name[N] = {` (with qualifiers), and compound literals `(T){`
    decl = re.compile(r"\b(" + type_re + r")\s+\**\s*\w+\s*(\[[^\]]*\])?\s*=\s*\{|\(\s*(?:const\s+)?(" + type_re
                      + r")\s*\)\s*\{")
    for m in decl.finditer(s):
        start = m.end() - 1
        end = _close(s, start)
        body = s[start + 1:end - 1]
        where = f"{path.relative_to(root)}:{s.count(chr(10), 0, start) + 1}"
        text = " ".join(raw[start:end].split())[:80]  # the original text, strings included
        if m.group(2) is not None:  # an array of structs: each element must be designated
            if any(el.startswith("{") and not _designated(el[1:-1]) for el in _elements(body)):
                found.append(f"{where}: {text}")
        elif not _designated(body):
            found.append(f"{where}: {text}")
    return found


def c_sources() -> list[Path]:
    return sorted(FIRMWARE.rglob("*.[ch]")) + sorted((REPO / "tests").rglob("*.[ch]"))


def test_struct_initialisers_are_designated():
    files = c_sources()
    types = struct_types(files)
    assert {"qlr_op_t", "qlr_conv2d_u8s8_args_t", "qlr_matmul_f32_args_t"} <= types  # the scan sees the structs
    bad = [b for f in files for b in positional_initialisers(f, types)]
    assert not bad, f"{len(bad)} positional struct initialiser(s):\n" + "\n".join(bad)


def test_the_scan_finds_positional_initialisers(tmp_path):
    """The scan itself: positional forms are found (a table entry, a variable, a compound literal),
    designated and all-zero forms and scalar arrays are not."""
    src = tmp_path / "x.c"
    src.write_text("typedef struct { int a, b; } p_t;\n"
                   "static const p_t table[] = {{.a = 1, .b = 2}, {3, 4}};\n"
                   "static const p_t ok[] = {{.a = 1}, {0}};\n"
                   "void f(void) {\n"
                   "  p_t x = {1, 2}; p_t y = {.a = 1}; p_t z = {0u}; int v[2] = {1, 2};\n"
                   "  y = (p_t){5, 6}; (void)x; (void)z; (void)v; }\n")
    types = struct_types([src])
    assert types == {"p_t"}
    found = positional_initialisers(src, types, root=tmp_path)
    assert [f.split(":")[1] for f in found] == ["2", "5", "6"], found


# `(T *)(uintptr_t)` for any T but void (`(void *)(uintptr_t)i` carries an integer through a void *
# argument, e.g. a thread index: no pointer is involved).
POINTER_FROM_INTEGER = re.compile(r"\(\s*(?:const\s+|volatile\s+)*(?!void\b)\w+\s*\*+\s*\)\s*\(\s*u?intptr_t\s*\)")


def test_no_pointer_made_from_an_integer():
    """`(float *)(uintptr_t)p` hides a const (or volatile) cast from -Wcast-qual."""
    bad = []
    for f in c_sources():
        s = _strip(f.read_text())
        bad += [f"{f.relative_to(REPO)}:{s.count(chr(10), 0, m.start()) + 1}" for m in POINTER_FROM_INTEGER.finditer(s)]
    assert not bad, "pointer cast from an integer (a const cast in disguise): " + ", ".join(bad)
    assert POINTER_FROM_INTEGER.search("x = (float *)(uintptr_t)p;") and POINTER_FROM_INTEGER.search(
        "(const uint8_t **) (uintptr_t) q") and not POINTER_FROM_INTEGER.search("(uint32_t)((uintptr_t)p - b)") \
        and not POINTER_FROM_INTEGER.search("(void *)(uintptr_t)i")


def test_the_build_rejects_casting_const_away():
    """-Wcast-qual is among the firmware's warning flags (and -Werror makes it an error)."""
    text = (REPO / "SConstruct").read_text()
    flags = re.search(r"WARNINGS = \[(.*?)\]", text, flags=re.S).group(1)
    assert '"-Wcast-qual"' in flags and '"-Werror"' in flags

"""Byte layouts of command payloads: the building blocks of `qlr.link.commands`.

A `Layout` is an ordered tuple of `Field`s, little-endian, packed without padding (reserved
bytes are explicit `pad` fields that must be zero). Python packs and unpacks payloads with it;
`qlr.codegen.commands_c` turns the same layouts into the firmware's C structs, decoders and
encoders, so both sides read one description. A payload may end in a variable part: a run of
fixed-size records (`records`, counted by a field of the fixed part) or a `tail` that the
command's code handles itself (strings, raw data), described in words.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Literal

from qlr.link.errors import LinkError, LinkProtocolError

FieldType = Literal["u8", "u16", "u32", "u64", "i32", "f32", "pad"]

# struct code, size in bytes, C type
TYPES: dict[str, tuple[str, int, str]] = {
    "u8": ("B", 1, "uint8_t"),
    "u16": ("H", 2, "uint16_t"),
    "u32": ("I", 4, "uint32_t"),
    "u64": ("Q", 8, "uint64_t"),
    "i32": ("i", 4, "int32_t"),
    "f32": ("f", 4, "float"),
    "pad": ("x", 1, ""),
}


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    count: int = 1  # an array of `count` values (or `count` zero bytes for pad)
    doc: str = ""

    @property
    def size(self) -> int:
        return TYPES[self.type][1] * self.count

    @property
    def code(self) -> str:
        return f"{self.count}{TYPES[self.type][0]}" if self.count != 1 else TYPES[self.type][0]


def u8(name: str, doc: str = "", count: int = 1) -> Field:
    return Field(name, "u8", count, doc)


def u16(name: str, doc: str = "") -> Field:
    return Field(name, "u16", 1, doc)


def u32(name: str, doc: str = "", count: int = 1) -> Field:
    return Field(name, "u32", count, doc)


def u64(name: str, doc: str = "", count: int = 1) -> Field:
    return Field(name, "u64", count, doc)


def i32(name: str, doc: str = "") -> Field:
    return Field(name, "i32", 1, doc)


def f32(name: str, doc: str = "") -> Field:
    return Field(name, "f32", 1, doc)


def pad(count: int, name: str = "reserved") -> Field:
    """`count` reserved bytes: zero when sent, checked to be zero when received."""
    return Field(name, "pad", count, "zero")


@dataclass(frozen=True)
class Layout:
    """A payload: fixed fields, then optionally `records` (count in field `count_field`) or a
    free `tail` described in words."""

    fields: tuple[Field, ...] = ()
    records: Layout | None = None
    count_field: str | None = None
    tail: str = ""

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields if f.type != "pad"]
        if len(names) != len(set(names)):
            raise ValueError(f"duplicate field names in {names}")
        if (self.records is None) != (self.count_field is None):
            raise ValueError("records and count_field go together")
        if self.count_field is not None and self.count_field not in names:
            raise ValueError(f"count field {self.count_field!r} is not a field of the layout")

    @property
    def size(self) -> int:
        """Bytes of the fixed part."""
        return sum(f.size for f in self.fields)

    @property
    def variable(self) -> bool:
        return self.records is not None or bool(self.tail)

    @property
    def _struct(self) -> struct.Struct:
        return struct.Struct("<" + "".join(f.code for f in self.fields))

    def offset(self, name: str) -> int:
        """Byte offset of a field in the fixed part."""
        at = 0
        for f in self.fields:
            if f.name == name and f.type != "pad":
                return at
            at += f.size
        raise KeyError(name)

    def pack(self, values: dict[str, Any] | None = None, /, **kw: Any) -> bytes:
        """The fixed part from field values (arrays as sequences); every field is required."""
        vals = {**(values or {}), **kw}
        unknown = set(vals) - {f.name for f in self.fields}
        missing = [f.name for f in self.fields if f.type != "pad" and f.name not in vals]
        if unknown or missing:
            raise LinkError(f"payload fields: unknown {sorted(unknown)}, missing {missing}")
        flat: list[Any] = []
        for f in self.fields:
            if f.type == "pad":
                continue
            v = vals[f.name]
            flat += list(v) if f.count != 1 else [v]
        try:
            return self._struct.pack(*flat)
        except struct.error as e:
            raise LinkError(f"payload fields do not fit their types: {e}") from None

    def unpack(self, data: bytes, what: str, *, at: int = 0) -> dict[str, Any]:
        """Fields of the fixed part at `data[at:]`. The payload must be exactly the fixed size
        (or at least it, when the layout has a variable part); a short, long or otherwise
        malformed payload raises LinkProtocolError naming `what` (the command)."""
        n = len(data) - at
        if n < self.size or (n != self.size and not self.variable):
            expect = f"at least {self.size}" if self.variable else f"{self.size}"
            raise LinkProtocolError(f"{what}: reply is {n} bytes, the protocol says {expect}")
        raw = self._struct.unpack_from(data, at)
        out: dict[str, Any] = {}
        i = 0
        for f in self.fields:
            if f.type == "pad":
                continue
            if f.count != 1:
                out[f.name] = tuple(raw[i:i + f.count])
                i += f.count
            else:
                out[f.name] = raw[i]
                i += 1
        return out

    def unpack_records(self, data: bytes, what: str, count: int) -> list[dict[str, Any]]:
        """The `count` records after the fixed part (the payload must hold exactly them)."""
        assert self.records is not None
        want = self.size + count * self.records.size
        if len(data) != want:
            raise LinkProtocolError(f"{what}: reply is {len(data)} bytes, {count} records need {want}")
        return [self.records.unpack(data[:self.size + (k + 1) * self.records.size], what,
                                    at=self.size + k * self.records.size) for k in range(count)]


@dataclass(frozen=True)
class Command:
    """One command of the link: its code, request and reply payloads, and what it does."""

    code: int
    name: str
    request: Layout
    reply: Layout
    doc: str
    source: str = ""  # the firmware file that serves it

    def unpack_reply(self, payload: bytes) -> dict[str, Any]:
        return self.reply.unpack(payload, self.name)

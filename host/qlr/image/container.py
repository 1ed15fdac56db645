"""The container level of a qlr image: header, section table, aligned CRC-protected sections.

`write_container` lays out sections; `parse_container` checks every structural rule of
docs/image-format.md and returns the sections. It reads only inside the buffer it was given,
allocates nothing proportional to a size field it has not checked against the buffer length,
and raises `QlrImageError` (never another exception) naming the section and field at fault.
What the sections mean (layers, parameters, LR memory) is checked by `qlr.image.content`.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

from qlr.image.format import (
    ENTRY_FMT,
    ENTRY_SIZE,
    HEADER_FMT,
    HEADER_SIZE,
    MAGIC,
    MAX_ALIGN,
    MAX_NDIM,
    MAX_SECTIONS,
    MIN_ALIGN,
    NAME_LEN,
    NUMPY_DTYPE,
    SECTION_DTYPE,
    VERSION,
    DType,
    QlrImageError,
    SectionType,
    expected_size,
)

NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")


def crc32(data: bytes | memoryview) -> int:
    """CRC-32 (ISO-HDLC / zlib: reflected polynomial 0xEDB88320, init and final xor 0xFFFFFFFF)."""
    return zlib.crc32(data) & 0xFFFFFFFF


@dataclass
class Section:
    """One section: its table entry and its bytes (a view into the image for parsed sections)."""

    type: int
    name: str
    dtype: int
    shape: tuple[int, ...]
    data: bytes | memoryview
    group: int = 0
    bits: int = 0
    align: int = MIN_ALIGN
    offset: int = 0  # filled in by the writer / the reader
    crc: int = 0  # filled in by the writer / the reader
    index: int = field(default=-1, compare=False)  # position in the table

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def type_name(self) -> str:
        try:
            return SectionType(self.type).name
        except ValueError:
            return f"type {self.type}"

    @property
    def label(self) -> str:
        return f"section {self.index} {self.name!r} ({self.type_name})"

    def array(self) -> np.ndarray:
        """The section as a read-only NumPy array of its shape (PACKED: raw rows ``[N, row_bytes]``)."""
        dt = DType(self.dtype)
        if dt == DType.LAYER:
            raise QlrImageError(f"{self.label}: layer records are not a numeric array")
        a = np.frombuffer(self.data, dtype=NUMPY_DTYPE[dt])
        if dt == DType.PACKED:
            rows = self.shape[0]
            return a.reshape(rows, -1) if rows else a.reshape(0, 0)
        return a.reshape(self.shape)


def array_section(
    stype: SectionType, name: str, arr: np.ndarray, group: int = 0, align: int = MIN_ALIGN
) -> Section:
    """A section holding ``arr`` converted to the element type its section type requires."""
    dt = SECTION_DTYPE[SectionType(stype)]
    if dt in (DType.PACKED, DType.LAYER):
        raise ValueError(f"use the dedicated helper for {SectionType(stype).name}")
    a = np.asarray(arr)
    want = NUMPY_DTYPE[dt]
    ok = a.dtype.kind in ("iu" if want.kind in "iu" else "fiu")
    if not ok:
        raise ValueError(f"{name}: array of {a.dtype} cannot be stored as {dt.name}")
    if want.kind in "iu" and a.size:
        info = np.iinfo(want)
        if int(a.min()) < info.min or int(a.max()) > info.max:
            raise ValueError(f"{name}: values [{int(a.min())}, {int(a.max())}] do not fit {dt.name}")
    conv = a.astype(want)
    if a.ndim == 0:
        conv = conv.reshape(1)
    return Section(int(stype), name, int(dt), tuple(int(d) for d in conv.shape), conv.tobytes(), group, 0, align)


def _align_up(v: int, a: int) -> int:
    return (v + a - 1) // a * a


def check_section_spec(s: Section) -> None:
    """Writer-side checks: the writer refuses to produce an image its own reader would reject."""
    if not NAME_RE.match(s.name):
        raise ValueError(f"section name {s.name!r}: 1-32 characters of [A-Za-z0-9_.-]")
    if s.align < MIN_ALIGN or s.align > MAX_ALIGN or s.align & (s.align - 1):
        raise ValueError(f"section {s.name!r}: alignment {s.align} must be a power of two in [{MIN_ALIGN}, {MAX_ALIGN}]")
    if not 1 <= len(s.shape) <= MAX_NDIM or min(s.shape) < 1 or max(s.shape) > 0xFFFFFFFF:
        raise ValueError(f"section {s.name!r}: shape {s.shape} must have 1..{MAX_NDIM} dims, each >= 1")
    if expected_size(DType(s.dtype), s.shape, s.bits) != len(s.data):
        raise ValueError(f"section {s.name!r}: {len(s.data)} bytes do not match shape {s.shape}")
    if not 0 <= s.group <= 0xFFFF:
        raise ValueError(f"section {s.name!r}: group {s.group} out of range")


def write_container(sections: list[Section]) -> bytes:
    """Lay out ``sections`` in order, each at the next offset aligned to its alignment; return the image."""
    if not 1 <= len(sections) <= MAX_SECTIONS:
        raise ValueError(f"an image holds 1..{MAX_SECTIONS} sections, got {len(sections)}")
    names = [s.name for s in sections]
    if len(set(names)) != len(names):
        raise ValueError("section names must be unique")
    for s in sections:
        check_section_spec(s)
    table_end = HEADER_SIZE + ENTRY_SIZE * len(sections)
    pos = table_end
    for s in sections:
        s.offset = _align_up(pos, s.align)
        s.crc = crc32(bytes(s.data))
        pos = s.offset + s.size
    file_size = pos
    if file_size > 0xFFFFFFFF:
        raise ValueError(f"image of {file_size} bytes exceeds the 4 GiB offset range")
    out = bytearray(file_size)
    table = bytearray()
    for i, s in enumerate(sections):
        s.index = i
        shape6 = tuple(s.shape) + (0,) * (MAX_NDIM - len(s.shape))
        table += struct.pack(
            ENTRY_FMT, s.type, s.dtype, len(s.shape), s.group, s.bits, 0, s.offset, s.size, s.align,
            s.crc, *shape6, s.name.encode("ascii"), bytes(48),
        )
        out[s.offset : s.offset + s.size] = bytes(s.data)
    out[HEADER_SIZE:table_end] = table
    head = struct.pack(
        HEADER_FMT, MAGIC, VERSION, HEADER_SIZE, ENTRY_SIZE, len(sections), HEADER_SIZE, file_size,
        0, crc32(bytes(table)), bytes(20), 0,
    )
    head = head[:60] + struct.pack("<I", crc32(head[:60]))
    out[:HEADER_SIZE] = head
    return bytes(out)


def _fail(msg: str) -> QlrImageError:
    return QlrImageError(msg)


def parse_container(buf: bytes | bytearray | memoryview) -> list[Section]:
    """Validate the header, the table and every section's placement, size and CRC; return the sections.

    Checks, in order: length >= header, magic, version, header sizes, flags, reserved bytes, header
    CRC, file size == buffer length (truncation), table placement and CRC, then per entry: section
    and element type known and matching, flags and reserved bytes zero, name, ndim and shape,
    bits, alignment, offset within the file and after the table, size == prod(shape) * itemsize,
    CRC; then no two sections overlap and every byte outside the header, the table and the
    sections is zero (so every byte of a valid image is checked by something).
    """
    mv = memoryview(buf).cast("B") if not isinstance(buf, bytes) else memoryview(buf)
    n = len(mv)
    if n < HEADER_SIZE:
        raise _fail(f"image truncated: {n} bytes, the header alone is {HEADER_SIZE}")
    (magic, version, header_size, entry_size, count, table_off, file_size, flags, table_crc, reserved,
     header_crc) = struct.unpack_from(HEADER_FMT, mv, 0)
    if magic != MAGIC:
        raise _fail(f"header: field 'magic' is {bytes(magic)!r}, not a qlr image (expected {MAGIC!r})")
    if version != VERSION:
        raise _fail(f"header: field 'version' is {version}, this reader knows only version {VERSION}")
    if header_crc != crc32(mv[:60]):
        raise _fail(f"header: field 'header_crc32' {header_crc:#010x} does not match the header bytes ({crc32(mv[:60]):#010x})")
    if header_size != HEADER_SIZE:
        raise _fail(f"header: field 'header_size' is {header_size}, expected {HEADER_SIZE}")
    if entry_size != ENTRY_SIZE:
        raise _fail(f"header: field 'entry_size' is {entry_size}, expected {ENTRY_SIZE}")
    if flags != 0:
        raise _fail(f"header: field 'flags' is {flags:#x}, no flags are defined (must be 0)")
    if any(reserved):
        raise _fail("header: field 'reserved' is not all zero")
    if file_size != n:
        what = "truncated" if n < file_size else "has trailing bytes"
        raise _fail(f"header: field 'file_size' is {file_size} but the image is {n} bytes (image {what})")
    if not 1 <= count <= MAX_SECTIONS:
        raise _fail(f"header: field 'section_count' is {count}, must be in [1, {MAX_SECTIONS}]")
    if table_off != HEADER_SIZE:
        raise _fail(f"header: field 'table_offset' is {table_off}, the table must follow the header at {HEADER_SIZE}")
    table_end = table_off + count * ENTRY_SIZE
    if table_end > n:
        raise _fail(f"header: section table ({count} entries) ends at {table_end}, beyond the image ({n} bytes)")
    if table_crc != crc32(mv[table_off:table_end]):
        raise _fail("header: field 'table_crc32' does not match the section table")

    sections: list[Section] = []
    seen_names: dict[str, int] = {}
    for i in range(count):
        (stype, dtype, ndim, group, bits, sflags, off, size, align, scrc, d0, d1, d2, d3, d4, d5, rawname,
         sreserved) = struct.unpack_from(ENTRY_FMT, mv, table_off + i * ENTRY_SIZE)
        dims = (d0, d1, d2, d3, d4, d5)
        name = _decode_name(rawname, i)
        where = f"section {i} {name!r}"
        try:
            st = SectionType(stype)
        except ValueError:
            raise _fail(f"{where}: field 'type' {stype} is not a known section type") from None
        where = f"section {i} {name!r} ({st.name})"
        try:
            dt = DType(dtype)
        except ValueError:
            raise _fail(f"{where}: field 'dtype' {dtype} is not a known element type") from None
        if dt != SECTION_DTYPE[st]:
            raise _fail(f"{where}: field 'dtype' is {dt.name}, a {st.name} section must be {SECTION_DTYPE[st].name}")
        if sflags != 0:
            raise _fail(f"{where}: field 'flags' is {sflags:#x}, must be 0")
        if any(sreserved):
            raise _fail(f"{where}: field 'reserved' is not all zero")
        if name in seen_names:
            raise _fail(f"{where}: field 'name' repeats section {seen_names[name]}")
        seen_names[name] = i
        if not 1 <= ndim <= MAX_NDIM:
            raise _fail(f"{where}: field 'ndim' is {ndim}, must be in [1, {MAX_NDIM}]")
        shape = dims[:ndim]
        for k, d in enumerate(shape):
            if d == 0:
                raise _fail(f"{where}: field 'shape[{k}]' is 0, every dimension must be >= 1")
            if d >= 1 << 31:
                raise _fail(f"{where}: field 'shape[{k}]' is {d}: impossible (negative as int32 or too large)")
        if any(dims[ndim:]):
            raise _fail(f"{where}: field 'shape' has non-zero entries beyond ndim {ndim}")
        if dt == DType.PACKED:
            if not 1 <= bits <= 8:
                raise _fail(f"{where}: field 'bits' is {bits}, packed sections need 1..8")
            if ndim < 2:
                raise _fail(f"{where}: field 'ndim' is {ndim}, packed sections are [rows, ...] with >= 2 dims")
        elif bits != 0:
            raise _fail(f"{where}: field 'bits' is {bits}, must be 0 for {dt.name}")
        if align < MIN_ALIGN or align > MAX_ALIGN or align & (align - 1):
            raise _fail(f"{where}: field 'align' is {align}, must be a power of two in [{MIN_ALIGN}, {MAX_ALIGN}]")
        if off % align:
            raise _fail(f"{where}: field 'offset' {off} is not a multiple of its alignment {align}")
        if off < table_end:
            raise _fail(f"{where}: field 'offset' {off} lies inside the header or section table (ends at {table_end})")
        if off + size > n:
            raise _fail(f"{where}: fields 'offset' {off} + 'size' {size} run past the end of the image ({n} bytes)")
        want = expected_size(dt, shape, bits)
        if size != want:
            raise _fail(f"{where}: field 'size' is {size} bytes, shape {list(shape)} of {dt.name} needs {want}")
        data = mv[off : off + size]
        if scrc != crc32(data):
            raise _fail(f"{where}: field 'crc32' {scrc:#010x} does not match the section data ({crc32(data):#010x})")
        sections.append(Section(int(st), name, int(dt), tuple(shape), data, group, bits, align, off, scrc, i))

    # no overlaps; every byte outside header, table and sections is zero
    spans = sorted((s.offset, s.offset + s.size, s.index) for s in sections)
    pos = table_end
    for start, end, k in spans:
        s = sections[k]
        if start < pos:
            other = next((t for t in sections if t is not s and t.offset < end and start < t.offset + t.size), None)
            raise _fail(f"{s.label}: field 'offset' {start} overlaps "
                        f"{other.label if other is not None else 'the section table'}")
        if _nonzero(mv[pos:start]):
            raise _fail(f"padding before {s.label} (bytes {pos}..{start}) is not zero")
        pos = max(pos, end)
    if _nonzero(mv[pos:n]):
        raise _fail(f"padding after the last section (bytes {pos}..{n}) is not zero")
    return sections


def _nonzero(view: memoryview) -> bool:
    return bool(len(view)) and bool(np.frombuffer(view, dtype=np.uint8).any())


def _decode_name(raw: bytes, i: int) -> str:
    nul = raw.find(b"\0")
    body, rest = (raw, b"") if nul < 0 else (raw[:nul], raw[nul:])
    if any(rest):
        raise _fail(f"section {i}: field 'name' has bytes after its NUL terminator")
    try:
        name = body.decode("ascii")
    except UnicodeDecodeError:
        raise _fail(f"section {i}: field 'name' is not ASCII") from None
    if not NAME_RE.match(name):
        raise _fail(f"section {i}: field 'name' {name!r} must be 1-{NAME_LEN} characters of [A-Za-z0-9_.-]")
    return name

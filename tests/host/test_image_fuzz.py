"""Fuzzing the image reader with hypothesis: mutated, truncated and forged images.

Properties, over thousands of generated cases (derandomized: the same cases on every run):
- the reader only ever raises QlrImageError (no other exception, i.e. no crash), in bounded time;
- any change to a byte of a valid image is rejected (every byte is covered by a CRC or must be
  zero), as is any truncation or extension;
- forged table entries (CRCs recomputed, so the structural checks must do the work) and forged
  section contents (section CRC recomputed, so the semantic checks must do the work) are either
  rejected or decode to content that re-encodes to a valid image; changes to a section's offset,
  size or CRC are always rejected.
"""

from __future__ import annotations

import struct
import time
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qlr.image import QlrImageError, decode_image, encode_image
from qlr.image.execute import run_front_end
from qlr.image.sample import sample_content

ENT = "<HBBHBBIIII6I32s48s"
FIELDS = ["type", "dtype", "ndim", "group", "bits", "flags", "offset", "size", "align", "crc32",
          "d0", "d1", "d2", "d3", "d4", "d5", "name", "reserved"]
TIME_LIMIT = 2.0  # seconds per decode; an ~8 kB image decodes in about a millisecond

IMAGE = encode_image(sample_content(seed=11, lr_bits=5))
COUNT = struct.unpack_from("<I", IMAGE, 20)[0]
TABLE_END = 64 + 128 * COUNT
SECTIONS = [dict(zip(FIELDS, struct.unpack_from(ENT, IMAGE, 64 + 128 * i))) for i in range(COUNT)]
RUNS: dict[str, int] = {}

COMMON = settings(derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def crc(b: bytes) -> int:
    return zlib.crc32(b) & 0xFFFFFFFF


def reseal(b: bytearray) -> bytes:
    struct.pack_into("<I", b, 36, crc(bytes(b[64:TABLE_END])))
    struct.pack_into("<I", b, 60, crc(bytes(b[:60])))
    return bytes(b)


def decode_bounded(buf: bytes):
    """Decode; only QlrImageError may escape; time bounded. Returns content or the error."""
    t0 = time.perf_counter()
    try:
        return decode_image(buf)
    except QlrImageError as e:
        return e
    finally:
        assert time.perf_counter() - t0 < TIME_LIMIT


def usable(content) -> None:
    """An accepted image must re-encode and its front-end must run on its own data batches with the
    golden kernels, whose argument checks (multiplier and shift ranges, zero points, shapes,
    accumulator bound) then act as an independent oracle of what the reader let through."""
    decode_image(encode_image(content))
    for batch in content.batches.values():
        lat = run_front_end(content, batch.images)
        assert lat.dtype.name == "uint8" and lat.shape[0] == batch.images.shape[0]


def count(name: str) -> None:
    RUNS[name] = RUNS.get(name, 0) + 1


@settings(COMMON, max_examples=1500)
@given(st.lists(st.tuples(st.integers(0, len(IMAGE) - 1), st.integers(1, 255)), min_size=1, max_size=4))
def test_any_byte_change_is_rejected(flips) -> None:
    count("byte flips")
    b = bytearray(IMAGE)
    for pos, x in flips:
        b[pos] ^= x
    if bytes(b) == IMAGE:  # two flips cancelled out
        return
    assert isinstance(decode_bounded(bytes(b)), QlrImageError)


@settings(COMMON, max_examples=600)
@given(st.integers(0, len(IMAGE) - 1), st.binary(max_size=70))
def test_truncation_and_extension_are_rejected(cut, tail) -> None:
    count("truncations")
    assert isinstance(decode_bounded(IMAGE[:cut]), QlrImageError)
    if tail:
        assert isinstance(decode_bounded(IMAGE + tail), QlrImageError)


INTERESTING = [0, 1, 2, 7, 8, 9, 63, 64, 65, 127, 128, 255, 256, 4096, TABLE_END, len(IMAGE) - 1, len(IMAGE),
               len(IMAGE) + 64, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]
FIELD_MAX = {"type": 0xFFFF, "dtype": 0xFF, "ndim": 0xFF, "group": 0xFFFF, "bits": 0xFF, "flags": 0xFF}


@settings(COMMON, max_examples=1500)
@given(st.integers(0, COUNT - 1), st.sampled_from([f for f in FIELDS if f not in ("name", "reserved")]),
       st.one_of(st.sampled_from(INTERESTING), st.integers(0, 0xFFFFFFFF)), st.booleans())
def test_forged_table_entries(idx, field, value, relative) -> None:
    """Edit one field of one entry and recompute the table and header CRCs."""
    count("table forgeries")
    e = dict(SECTIONS[idx])
    if relative and field in ("offset", "size"):
        value = e[field] + (value % 129) - 64  # near the true value: off-by-some
    value %= FIELD_MAX.get(field, 0xFFFFFFFF) + 1
    value = max(value, 0)
    if value == e[field]:
        return
    e[field] = value
    b = bytearray(IMAGE)
    struct.pack_into(ENT, b, 64 + 128 * idx, *[e[k] for k in FIELDS])
    out = decode_bounded(reseal(b))
    if field in ("offset", "size", "crc32"):
        assert isinstance(out, QlrImageError), f"forged {field}={value} of section {idx} was accepted"
    elif not isinstance(out, QlrImageError):
        # accepted: it must be a genuinely valid image (e.g. a harmless larger alignment)
        usable(out)


@settings(COMMON, max_examples=1200)
@given(st.integers(0, COUNT - 1), st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(1, 255)), min_size=1, max_size=3))
def test_forged_section_contents(idx, flips) -> None:
    """Change bytes inside one section and recompute its CRC (and the table's, and the header's)."""
    count("content forgeries")
    e = dict(SECTIONS[idx])
    b = bytearray(IMAGE)
    for pos, x in flips:
        b[e["offset"] + pos % e["size"]] ^= x
    data = bytes(b[e["offset"] : e["offset"] + e["size"]])
    e["crc32"] = crc(data)
    struct.pack_into(ENT, b, 64 + 128 * idx, *[e[k] for k in FIELDS])
    out = decode_bounded(reseal(b))
    if not isinstance(out, QlrImageError):
        # e.g. a changed weight or image pixel is valid data: the image must still be consistent
        again = encode_image(out)
        assert again[e["offset"] : e["offset"] + e["size"]] == data
        usable(out)


@settings(COMMON, max_examples=400)
@given(st.binary(min_size=0, max_size=600), st.booleans())
def test_garbage_is_rejected(blob, with_magic) -> None:
    count("garbage")
    if with_magic:
        blob = b"\x89QLR\r\n\x1a\n" + struct.pack("<I", 1) + blob
    assert isinstance(decode_bounded(blob), QlrImageError)


def test_fuzz_case_counts() -> None:
    """Runs last in this module: thousands of cases really ran (printed for the report)."""
    if len(RUNS) < 5:
        pytest.skip("run the whole module to count the fuzz cases")
    print(f"\nimage fuzz cases: {RUNS} (total {sum(RUNS.values())})")
    assert sum(RUNS.values()) >= 4000

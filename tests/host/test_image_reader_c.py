"""The firmware's image reader (firmware/cl/image*.c) against the host reader (qlr.image.decode_image).

The C reader is built for the host with AddressSanitizer and UBSan (`scons board=host variant=asan
tests`, the firmware's own objects and flags) around a harness (tests/host/image_harness/image_main.c)
that places every image in a heap block ending exactly where the image ends, so any read past it
is caught. For every image both readers must agree:
both accept it (and the C reader's summary and a checksum of every byte it hands out through its
accessors equal what the host decoded), or both reject it naming the same section index, the same
layer index and a field the host's message names too. Images: valid ones (every section type, every
layer kind, LR memories at Q = 1..8, a packed MobileNet-V1 slice, images without a network), the
host's one-rejection-per-rule cases (test_image_format.CASES), and seeded random mutations
(flipped bytes, forged section contents, table entries and header fields with their CRCs fixed,
truncations, trailing bytes).

The firmware does not read META's contents (a JSON object for the host; the spec lets a device skip
it), so the C reader is compared with the host's view of what a device checks,
`decode_image(data, skip_meta=True)`; test_meta_contents_are_the_hosts_business checks that
difference on its own: the C reader accepts any META bytes whose entry and CRC are right, the host's
full check accepts exactly the JSON objects.

Known host-reader difference, kept out of the fuzz: the host's name check (`re.match` with `$`)
accepts a section name ending in a newline ("abc\\n"); the spec and the C reader reject it.
"""

from __future__ import annotations

import os
import re
import select
import struct
import subprocess
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import c_test_program
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_image_format import (
    CASES,  # the host's one-rejection-per-rule mutations
    edit_entry,
    entries,
)

from qlr.image import QlrImageError, Section, SectionType, decode_image, encode_image, parse_container, write_container
from qlr.image.content import DataBatch, ImageContent, LRMemory
from qlr.image.format import Stage
from qlr.image.pack import build_content
from qlr.image.sample import sample_content
from qlr.model.mobilenet import mobilenet_v1
from qlr.quant.latent import pack_latents
from qlr.quant.ptq import quantize_front_end

EXAMPLES = int(os.environ.get("QLR_FUZZ_EXAMPLES", "400"))
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CASE_TIMEOUT_S = 20.0  # per image under ASan on a loaded machine; real: well under 10 ms


class CReader:
    """The harness as a long-running process: one image in, one line out."""

    def __init__(self, exe: Path) -> None:
        self.proc = subprocess.Popen([str(exe)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, bufsize=0)
        self._buf = b""

    def _fail(self, why: str) -> None:
        self.proc.kill()
        err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
        pytest.fail(f"C image reader {why}; stderr:\n{err[-4000:]}")

    def open(self, data: bytes, shift: int = 0) -> str:
        try:
            self.proc.stdin.write(struct.pack("<II", len(data), shift) + data)
        except BrokenPipeError:
            self._fail(f"exited with status {self.proc.wait()}")
        deadline = time.monotonic() + CASE_TIMEOUT_S
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self._fail(f"did not answer within {CASE_TIMEOUT_S} s (hang?)")
            assert self.proc.stdout is not None  # opened with stdout=PIPE
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    self._fail(f"exited with status {self.proc.wait()} (crash or sanitizer report)")
                self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line.decode()

    def close(self) -> int:
        self.proc.stdin.write(b"\xff\xff\xff\xff")
        self.proc.stdin.close()
        return self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def reader():
    exe = c_test_program("host", "image_reader", variant="asan")
    r = CReader(exe)
    yield r
    assert r.close() == 0, "the image reader harness ended with an error"


# ---- what the host says ------------------------------------------------------------------------

def _u32(v: int) -> int:
    return v & 0xFFFFFFFF


def host_summary(data: bytes, content: ImageContent) -> list[int]:
    """The harness's OK fields, computed from the host's decoding."""
    layers = content.layers
    front = [r for r in layers if r.stage == Stage.FRONT]
    lat = front[-1].out_shape if front else (0, 0, 0)
    classes = layers[-1].out_shape[2] if layers and layers[-1].out_shape[:2] == (1, 1) else 0
    lr = content.lr
    s = 0
    for i in range(len(layers)):
        p = content.front.get(i)
        if p is not None:
            for a in (p.weight, p.bias, p.mult, p.shift):
                if a is not None:
                    s += int(np.asarray(a, np.int64).sum())
        b = content.back.get(i)
        if b is not None:
            for a in (b.weight, b.bias):
                if a is not None:
                    s += int(np.asarray(a, np.float32).view(np.uint32).astype(np.int64).sum())
    if lr is not None:
        s += int(pack_latents(lr.codes, lr.bits).astype(np.int64).sum()) + int(np.asarray(lr.labels).sum())
        s += int(np.asarray(lr.scale, np.float32).view(np.uint32).astype(np.int64).sum())
        if lr.code_max is not None:
            s += int(np.asarray(lr.code_max, np.int64).sum())
    for batch in content.batches.values():
        s += int(batch.images.astype(np.int64).sum()) + int(np.asarray(batch.labels).sum())
    return [len(parse_container(data)), len(layers), len(front), len(layers) - len(front), *lat, classes,
            lr.codes.shape[0] if lr is not None else 0, lr.bits if lr is not None else 0,
            lr.scale.shape[0] if lr is not None else 0, int(lr is not None and lr.code_max is not None),
            len(content.batches), _u32(s)]


def assert_agree(reader: CReader, data: bytes, what: str = "") -> str:
    """Both readers accept with the same summary, or both reject at the same place; returns the C line."""
    line = reader.open(data)
    try:
        content = decode_image(data, skip_meta=True)  # the device does not read META's contents
    except QlrImageError as e:
        host = str(e)
        assert line.startswith("E "), f"{what}: the host rejects ({host}) but the C reader accepts: {line}"
        _, sec, lay, _other, field, text = line.split(" ", 5)
        hs, hl = re.search(r"section (\d+)", host), re.search(r"layer (\d+)", host)
        assert int(sec) == (int(hs.group(1)) if hs else -1), f"{what}: section differs\n  host: {host}\n  C:    {text}"
        assert int(lay) == (int(hl.group(1)) if hl else -1), f"{what}: layer differs\n  host: {host}\n  C:    {text}"
        if field != "-":
            assert f"'{field}'" in host, f"{what}: field '{field}' not in the host's diagnosis\n  host: {host}\n  C:    {text}"
        for pat in (r"channel (\d+)", r"packed latent (\d+)", r"label (\d+)"):  # the element at fault
            h = re.search(pat, host)
            if h:
                c = re.search(pat, text)
                assert c and c.group(1) == h.group(1), f"{what}: {pat} differs\n  host: {host}\n  C:    {text}"
        return line
    assert line.startswith("OK "), f"{what}: the host accepts but the C reader rejects: {line}"
    got = [int(v) for v in line.split()[1:]]
    assert got == host_summary(data, content), f"{what}: summary/checksum differ: C {got}"
    return line


# ---- valid images --------------------------------------------------------------------------------

def _mobilenet_image(lr_layer: int = 5, scheme: str = "per_channel") -> bytes:
    net = mobilenet_v1(width=0.125, input_size=(13, 11), num_classes=4, in_channels=3, seed=2)
    x = np.random.default_rng(3).integers(0, 256, size=(8, 13, 11, 3), dtype=np.uint8)
    front, back = net.fold_batchnorm().split(lr_layer)
    qfe = quantize_front_end(front, x, scheme=scheme)
    batches = {1: DataBatch(x[:3], np.array([0, 3, 1]))}
    return encode_image(build_content(qfe, back, None, batches, {"test": "mobilenet", "lr_layer": lr_layer}))


VALID = {
    **{f"sample seed {s} Q{q} {'per-channel' if pc else 'per-tensor'}": (s, q, pc)
       for s, q, pc in [(0, 5, True), (1, 1, False), (2, 8, True), (3, 3, False), (4, 7, True)]},
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_accepts_sample_images(reader: CReader, name: str) -> None:
    seed, q, pc = VALID[name]
    data = encode_image(sample_content(seed=seed, lr_bits=q, lr_count=5, per_channel=pc))
    assert reader.open(data).startswith("OK ")
    assert_agree(reader, data, name)


def test_accepts_a_packed_mobilenet_and_images_without_parts(reader: CReader) -> None:
    for scheme in ("per_channel", "per_layer"):
        assert_agree(reader, _mobilenet_image(scheme=scheme), f"mobilenet {scheme}")
    c = sample_content(seed=5)
    only_data = ImageContent(batches=c.batches)
    no_lr = ImageContent(c.layers, c.front, c.back, None, c.batches, None)
    only_lr = ImageContent(lr=c.lr)
    for what, content in (("only data", only_data), ("no LR memory", no_lr), ("only an LR memory", only_lr)):
        line = assert_agree(reader, encode_image(content), what)
        assert line.startswith("OK "), what


def test_base_must_be_64_byte_aligned(reader: CReader) -> None:
    data = encode_image(sample_content(seed=0))
    assert reader.open(data, shift=0).startswith("OK ")
    for shift in (1, 4, 32):
        line = reader.open(data, shift=shift)
        assert line.startswith("E ") and "64-byte aligned" in line and f"{shift} bytes past" in line, line


# ---- the host's rejections ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def base_image() -> bytes:
    return encode_image(sample_content(seed=0))


HOST_ONLY = {"bad meta"}  # META's contents: the device does not read them (test_meta_contents_...)


@pytest.mark.parametrize("case", sorted(set(CASES) - HOST_ONLY))
def test_rejects_like_the_host(reader: CReader, base_image: bytes, case: str) -> None:
    bad = CASES[case][0](base_image)
    line = assert_agree(reader, bad, case)
    assert line.startswith("E "), f"{case}: accepted"


def test_error_text_names_section_field_and_value(reader: CReader, base_image: bytes) -> None:
    """The formatted diagnosis a person reads (also the device's CL_IMAGE_OPEN error reply)."""
    line = reader.open(CASES["section crc"][0](base_image))
    assert line.endswith("section 2 'fe.0.weight' (FE_WEIGHT, group 0): field 'crc32': does not match the section data")
    line = reader.open(CASES["unknown version"][0](base_image))
    assert line.endswith("header: field 'version' is 2: this reader knows only version 1")
    line = reader.open(CASES["accumulator overflow"][0](base_image))
    assert line.endswith("NETWORK layer 0 (conv2d): int32 accumulator could overflow in output channel 0")
    line = reader.open(CASES["orphan section"][0](base_image))
    assert line.endswith("NETWORK layer 9 (linear): section BE_WEIGHT group 9: is missing")


def _forge(buf: bytes, name: str, fn) -> bytes:
    """Change section `name`'s bytes with fn(bytearray) and fix its CRC and the table's."""
    b = bytearray(buf)
    for i, sec in enumerate(parse_container(buf)):
        if sec.name == name:
            data = bytearray(b[sec.offset:sec.offset + sec.size])
            fn(data)
            b[sec.offset:sec.offset + sec.size] = data
            struct.pack_into("<I", b, 64 + 128 * i + 20, zlib.crc32(bytes(data)))
            _reseal(b)
            return bytes(b)
    raise KeyError(name)


@pytest.mark.parametrize("q", range(1, 9))
def test_packed_padding_bits_at_every_tail(reader: CReader, q: int) -> None:
    """Rows of E = 9 and 13 codes leave every possible number of padding bits (E * Q mod 8 = 1..7
    over the Q); each padding bit of the last row's last byte, when set, is rejected by both."""
    rng = np.random.default_rng(q)
    for e in (9, 13):
        codes = rng.integers(0, 1 << q, size=(3, 1, 1, e), dtype=np.uint8)
        lr = LRMemory(codes, np.array([0, 1, 2]), q, np.array([0.5], np.float32))
        data = encode_image(ImageContent(lr=lr))
        assert_agree(reader, data, f"Q={q} E={e}").startswith("OK ")
        used = (e * q) % 8
        row = -(-e * q // 8)
        for bit in range(used, 8 if used else 0):
            bad = _forge(data, "lr.latents", lambda d, bit=bit: d.__setitem__(3 * row - 1, d[3 * row - 1] | (1 << bit)))
            line = assert_agree(reader, bad, f"Q={q} E={e} padding bit {bit}")
            assert line.startswith("E ") and "packed latent 2" in line, line


def test_accumulator_bound_names_the_first_worst_channel(reader: CReader, base_image: bytes) -> None:
    """Two channels tie for the worst bound: both readers name the first (fe.0.bias has 6 entries)."""
    for chans in ((0, 3), (2, 5), (4,)):
        def poke(d: bytearray, chans=chans) -> None:
            for c in chans:
                struct.pack_into("<i", d, 4 * c, -(2**31 - 50))
        line = assert_agree(reader, _forge(base_image, "fe.0.bias", poke), f"channels {chans}")
        assert line.endswith(f"output channel {chans[0]}"), line


def _with_meta(base: bytes, payload: bytes) -> bytes:
    """`base` re-laid out with META's bytes replaced by `payload` (any bytes, valid JSON or not)."""
    secs = parse_container(base)
    for sec in secs:
        sec.data = payload if sec.name == "meta" else bytes(sec.data)
        if sec.name == "meta":
            sec.shape = (len(payload),)
    return write_container(secs)


META_CASES = [
    b'{"a": [1, 2.5e-3, -0, true, false, null, NaN, -Infinity, Infinity, "\\u00e9\\n\\"\\/"], "b": {}}',
    b' \t\r\n{"k": 1E+5, "l": [], "m": {"n": [[]]}}\n ', "{\"\u00e9\": \"\u00fc\U0001f600\"}".encode(),
    b'{"s": "\\ud800"}', b"[" * 60 + b"]" * 60, b'{"a": ' + b"[" * 60 + b"]" * 60 + b"}",
    b"[1]", b'"text"', b"5", b"null",
    b'{"a": 01}', b'{"a": 1.}', b'{"a": .5}', b'{"a": 1e}', b'{"a": -}', b'{"a": +1}', b'{"a": tru}',
    b'{"a": 1,}', b'{"a" 1}', b'{a: 1}', b"{} x", b" ", b'{"a": "\\x"}', b'{"a": "\\u12g4"}',
    b'{"\x01": 1}', b'{"a": "\xff"}', b'{"a": "\xed\xa0\x80"}', b'{"a": "\xc0\x80"}', b'{"a": "\xf4\x90\x80\x80"}',
    b"\xef\xbb\xbf{}", b'{"a": [1 2]}', b'{"a": -NaN}', b"{}\x00",
]


META_OBJECTS = {0, 1, 2, 3, 5}  # the payloads that are JSON objects as Python reads them


@pytest.mark.parametrize("k", range(len(META_CASES)))
def test_meta_contents_are_the_hosts_business(reader: CReader, base_image: bytes, k: int) -> None:
    """The device skips META's contents: the C reader accepts every payload (with the summary of
    the host's device view); the host's full check accepts exactly the JSON objects."""
    data = _with_meta(base_image, META_CASES[k])
    assert assert_agree(reader, data, f"META {META_CASES[k]!r}").startswith("OK ")
    if k in META_OBJECTS:
        assert isinstance(decode_image(data).meta, dict)
    else:
        with pytest.raises(QlrImageError, match="JSON"):
            decode_image(data)


def test_meta_entry_is_still_checked(reader: CReader, base_image: bytes) -> None:
    """What the device does check of META: its CRC and its ndim, like any section's."""
    bad_crc = bytearray(base_image)
    secs = parse_container(base_image)
    meta = next(s for s in secs if s.name == "meta")
    off = entries(base_image)[meta.index]["offset"]
    bad_crc[off] ^= 0x01
    line = assert_agree(reader, bytes(bad_crc), "META byte flipped")
    assert line.startswith(f"E {meta.index} ") and "crc32" in line, line
    for sec in secs:
        sec.data = bytes(sec.data)
        if sec.name == "meta":
            sec.shape = (1, len(sec.data))
    line = assert_agree(reader, write_container(secs), "META ndim 2")
    assert line.startswith(f"E {meta.index} ") and "ndim" in line, line


def test_overlapping_sections_are_rejected_like_the_host(reader: CReader) -> None:
    a = np.arange(128, dtype=np.uint8)
    for what, half in (("over the first half", 0), ("over the second half", 64)):
        secs = [Section(int(SectionType.DATA_IMAGES), "a", 1, (2, 4, 4, 4), a.tobytes(), 0),
                Section(int(SectionType.DATA_LABELS), "al", 3, (2,), bytes(4), 0),
                Section(int(SectionType.DATA_IMAGES), "b", 1, (1, 4, 4, 4), a[half:half + 64].tobytes(), 1),
                Section(int(SectionType.DATA_LABELS), "bl", 3, (1,), bytes(2), 1)]
        buf = write_container(secs)
        assert assert_agree(reader, buf, "disjoint").startswith("OK ")
        bad = edit_entry(buf, 2, offset=entries(buf)[0]["offset"] + half)  # same bytes, same CRC
        line = assert_agree(reader, bad, what)
        assert line.startswith("E ") and "overlaps" in line and {line.split()[1], line.split()[3]} == {"0", "2"}, line
    # a one-byte overlap: "a" has 65 bytes, "b" moved to a's offset + 64 (its CRC fixed)
    secs = [Section(int(SectionType.DATA_IMAGES), "a", 1, (65, 1, 1, 1), bytes(range(1, 66)), 0),
            Section(int(SectionType.DATA_LABELS), "al", 3, (65,), bytes(130), 0),
            Section(int(SectionType.DATA_IMAGES), "b", 1, (1, 4, 4, 4), bytes(64), 1),
            Section(int(SectionType.DATA_LABELS), "bl", 3, (1,), bytes(2), 1)]
    buf = write_container(secs)
    at = entries(buf)[0]["offset"] + 64
    bad = edit_entry(buf, 2, offset=at, crc32=zlib.crc32(buf[at:at + 64]))
    line = assert_agree(reader, bad, "one byte")
    assert line.startswith("E ") and "overlaps" in line, line


# ---- seeded random mutations -------------------------------------------------------------------

def _entries(buf: bytes) -> list[tuple[int, int]]:
    """(offset, size) of the table entries that lie inside the buffer."""
    count = min(struct.unpack_from("<I", buf, 20)[0], 4096)
    return [struct.unpack_from("<II", buf, 64 + 128 * i + 8) for i in range(count) if 64 + 128 * (i + 1) <= len(buf)]


def _reseal(b: bytearray) -> None:
    count = struct.unpack_from("<I", b, 20)[0]
    end = 64 + 128 * count
    if end <= len(b):
        struct.pack_into("<I", b, 36, zlib.crc32(bytes(b[64:end])))
    struct.pack_into("<I", b, 60, zlib.crc32(bytes(b[:60])))


def _names_have_newline(b: bytes) -> bool:
    try:
        count = struct.unpack_from("<I", b, 20)[0]
    except struct.error:
        return False
    return any(b"\n" in b[64 + 128 * i + 48: 64 + 128 * i + 80] for i in range(min(count, 4096))
               if 64 + 128 * i + 80 <= len(b))


@st.composite
def mutated(draw) -> bytes:
    bases = _bases()
    b = bytearray(bases[draw(st.integers(0, len(bases) - 1))])
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "section", "section", "network", "entry", "header", "truncate",
                                     "append"]))
        ents = _entries(bytes(b)) if len(b) >= 64 else []
        if kind == "flip" and b:
            b[draw(st.integers(0, len(b) - 1))] ^= draw(st.integers(1, 255))
        elif kind in ("section", "network") and ents:
            i = 0 if kind == "network" else draw(st.integers(0, len(ents) - 1))
            off, size = ents[i]
            if off + size > len(b) or size == 0:
                continue
            b[off + draw(st.integers(0, size - 1))] = draw(st.integers(0, 255))
            struct.pack_into("<I", b, 64 + 128 * i + 20, zlib.crc32(bytes(b[off:off + size])))
            _reseal(b)
        elif kind == "entry" and ents:
            i = draw(st.integers(0, len(ents) - 1))
            pos = 64 + 128 * i + draw(st.integers(0, 127))
            b[pos] = draw(st.sampled_from([0, 1, 2, 7, 9, 0x10, 0x40, 0x80, 0xFF, draw(st.integers(0, 255))]))
            _reseal(b)
        elif kind == "header" and len(b) >= 64:
            b[draw(st.integers(0, 59))] = draw(st.integers(0, 255))
            _reseal(b)
        elif kind == "truncate":
            del b[draw(st.integers(0, len(b))):]
        elif kind == "append":
            b += draw(st.binary(min_size=1, max_size=80))
    return bytes(b)


_BASES: list[bytes] = []


def _bases() -> list[bytes]:
    if not _BASES:
        _BASES.append(encode_image(sample_content(seed=0, lr_bits=3)))
        _BASES.append(encode_image(sample_content(seed=6, lr_bits=8, per_channel=False, scheme="per_layer")))
    return _BASES


@FUZZ
@given(data=st.data())
def test_random_mutations_agree_and_never_crash(reader: CReader, data) -> None:
    bad = data.draw(mutated())
    assume(not _names_have_newline(bad))
    assert_agree(reader, bad, "mutation")

"""The binary image format: layout per the spec, round trips, and one rejection per rule.

The layout checks parse with struct formats written here from docs/image-format.md, not with the
package's own constants, so a drift between the spec and the code fails.
"""

from __future__ import annotations

import json
import math
import struct
import zlib

import numpy as np
import pytest

from qlr.errors import QlrError
from qlr.image import (
    QlrImageError,
    Section,
    SectionType,
    decode_image,
    encode_image,
    parse_container,
    read_image,
    write_container,
    write_image,
)
from qlr.image.execute import run_front_end
from qlr.image.pack import build_content
from qlr.image.sample import SAMPLE_LR_LAYER, sample_content, sample_network
from qlr.quant.ptq import quantize_front_end

# ---- the spec's structs (docs/image-format.md), independent of qlr.image.format ----
HDR = "<8sIIIIIIII20sI"  # 64 bytes
ENT = "<HBBHBBIIII6I32s48s"  # 128 bytes
ENT_FIELDS = ["type", "dtype", "ndim", "group", "bits", "flags", "offset", "size", "align", "crc32",
              "d0", "d1", "d2", "d3", "d4", "d5", "name", "reserved"]
LAY = "<BBBBHHHHIHHIBBBBBBBBBBBBbBhfff12s"  # 64 bytes
MAGIC = b"\x89QLR\r\n\x1a\n"


def crc(b: bytes) -> int:
    return zlib.crc32(b) & 0xFFFFFFFF


def header(buf: bytes) -> dict:
    v = struct.unpack_from(HDR, buf, 0)
    keys = ["magic", "version", "header_size", "entry_size", "count", "table_offset", "file_size", "flags",
            "table_crc", "reserved", "header_crc"]
    return dict(zip(keys, v))


def entries(buf: bytes) -> list[dict]:
    h = header(buf)
    return [dict(zip(ENT_FIELDS, struct.unpack_from(ENT, buf, 64 + 128 * i))) for i in range(h["count"])]


def entry_named(buf: bytes, name: str) -> tuple[int, dict]:
    for i, e in enumerate(entries(buf)):
        if e["name"].rstrip(b"\0").decode() == name:
            return i, e
    raise KeyError(name)


def reseal(buf: bytearray) -> bytes:
    """Recompute the table CRC and the header CRC (as a forger would)."""
    h = header(bytes(buf))
    t0, t1 = 64, 64 + 128 * h["count"]
    if t1 <= len(buf):
        struct.pack_into("<I", buf, 36, crc(bytes(buf[t0:t1])))
    struct.pack_into("<I", buf, 60, crc(bytes(buf[:60])))
    return bytes(buf)


def edit_entry(buf: bytes, idx: int, **fields) -> bytes:
    b = bytearray(buf)
    e = dict(zip(ENT_FIELDS, struct.unpack_from(ENT, b, 64 + 128 * idx)))
    e.update(fields)
    struct.pack_into(ENT, b, 64 + 128 * idx, *[e[k] for k in ENT_FIELDS])
    return reseal(b)


def edit_header(buf: bytes, **fields) -> bytes:
    b = bytearray(buf)
    h = header(buf)
    h.update(fields)
    struct.pack_into(HDR, b, 0, *h.values())
    return reseal(b)


def edit_data(buf: bytes, name: str, fn) -> bytes:
    """Change a section's bytes with fn(bytearray) and fix its CRC (content-level forgery)."""
    i, e = entry_named(buf, name)
    b = bytearray(buf)
    data = bytearray(b[e["offset"] : e["offset"] + e["size"]])
    fn(data)
    b[e["offset"] : e["offset"] + e["size"]] = data
    return edit_entry(bytes(b), i, crc32=crc(bytes(data)))


@pytest.fixture(scope="module")
def image() -> bytes:
    return encode_image(sample_content(seed=0))


# ----------------------------------------------------------------------------- layout


def test_layout_matches_the_spec(image: bytes) -> None:
    h = header(image)
    assert h["magic"] == MAGIC and h["version"] == 1
    assert (h["header_size"], h["entry_size"], h["table_offset"]) == (64, 128, 64)
    assert h["file_size"] == len(image) and h["flags"] == 0 and h["reserved"] == bytes(20)
    assert h["header_crc"] == crc(image[:60])
    assert h["table_crc"] == crc(image[64 : 64 + 128 * h["count"]])
    end = 64 + 128 * h["count"]
    spans = []
    for e in entries(image):
        assert e["offset"] % 64 == 0 and e["align"] == 64 and e["offset"] >= end
        assert e["crc32"] == crc(image[e["offset"] : e["offset"] + e["size"]])
        dims = [e[f"d{k}"] for k in range(e["ndim"])]
        if e["type"] == 48:  # LR_LATENTS: rows of ceil(E*Q/8) bytes
            assert e["size"] == dims[0] * math.ceil(math.prod(dims[1:]) * e["bits"] / 8)
        elif e["type"] == 1:  # NETWORK: 64-byte layer records
            assert e["size"] == dims[0] * 64
        else:
            item = {1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4}[e["dtype"]]
            assert e["size"] == math.prod(dims) * item
        spans.append((e["offset"], e["offset"] + e["size"]))
    spans.sort()
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    assert spans[-1][1] == len(image)
    # the layer records decode with the spec's struct; the first is the conv2d reading the input
    i, e = entry_named(image, "network")
    first = struct.unpack_from(LAY, image, e["offset"])
    assert first[0] == 1 and first[2] == 0 and first[4] == 0xFFFF and first[6:9] == (9, 7, 2)


def test_every_section_type_round_trips() -> None:
    content = sample_content(seed=3)
    buf = encode_image(content)
    types = {e["type"] for e in entries(buf)}
    assert types == {int(t) for t in SectionType}
    back = decode_image(buf)
    assert back.layers == content.layers
    assert back.meta == content.meta
    assert sorted(back.front) == sorted(content.front) and sorted(back.back) == sorted(content.back)
    for i, p in content.front.items():
        q = back.front[i]
        for f in ("mult", "shift", "weight", "bias"):
            a, b = getattr(p, f), getattr(q, f)
            assert (a is None) == (b is None), (i, f)
            if a is not None:
                dtypes = {"mult": np.int32, "shift": np.uint8, "weight": np.int8, "bias": np.int32}
                assert np.array_equal(np.asarray(a), b) and b.dtype == dtypes[f]
    for i, bp in content.back.items():
        assert np.array_equal(bp.weight, back.back[i].weight) and back.back[i].weight.dtype == np.float32
        b2 = back.back[i].bias
        assert (bp.bias is None and b2 is None) or (bp.bias is not None and b2 is not None and np.array_equal(bp.bias, b2))
    lr, lr2 = content.lr, back.lr
    assert lr is not None and lr2 is not None
    assert lr2.bits == lr.bits and np.array_equal(lr2.codes, lr.codes) and np.array_equal(lr2.labels, lr.labels)
    assert lr.code_max is not None and lr2.code_max is not None
    assert np.array_equal(lr2.scale, lr.scale.astype(np.float32)) and np.array_equal(lr2.code_max, lr.code_max)
    assert sorted(back.batches) == [0, 2]
    for g, b in content.batches.items():
        assert np.array_equal(back.batches[g].images, b.images) and np.array_equal(back.batches[g].labels, b.labels)
    assert encode_image(back) == buf  # re-encoding the decoded content is byte-identical


@pytest.mark.parametrize("q", range(1, 9))
@pytest.mark.parametrize("per_channel", [False, True])
def test_lr_memory_round_trips_every_q(q: int, per_channel: bool) -> None:
    content = sample_content(seed=q, lr_bits=q, lr_count=5, per_channel=per_channel)
    buf = encode_image(content)
    _, e = entry_named(buf, "lr.latents")
    assert e["bits"] == q and e["size"] == 5 * math.ceil(12 * q / 8)
    back = decode_image(buf).lr
    assert np.array_equal(back.codes, content.lr.codes) and back.codes.max() < 2**q
    assert back.scale.shape == ((12,) if per_channel else (1,))


def test_image_alone_reproduces_the_int8_front_end() -> None:
    """A device that knows only the image (records + params) computes the golden int8 latent:
    `run_front_end` works from the decoded records, `QuantizedFrontEnd.run` from the PTQ objects."""
    net = sample_network(seed=4)
    x = np.random.default_rng(5).integers(0, 256, size=(10,) + net.input_shape, dtype=np.uint8)
    front, back = net.fold_batchnorm().split(SAMPLE_LR_LAYER)
    for scheme in ("per_channel", "per_layer"):
        qfe = quantize_front_end(front, x, scheme=scheme)
        content = decode_image(encode_image(build_content(qfe, back)))
        got = run_front_end(content, x)
        want = qfe.run(x)
        assert got.shape == (10, 1, 1, 12)
        assert np.array_equal(got.reshape(want.shape), want), scheme
        if scheme == "per_layer":
            assert any(r.w_zp != 0 for r in content.layers)  # the affine zero point travels in the record


def test_read_write_file_and_errors_name_the_file(tmp_path, image: bytes) -> None:
    path = tmp_path / "a.qlr"
    size = write_image(path, decode_image(image))
    assert size == len(image) and path.read_bytes() == image
    assert read_image(path).lr is not None
    with pytest.raises(QlrImageError, match="nope.qlr"):
        read_image(tmp_path / "nope.qlr")
    path.write_bytes(image[:-3])
    with pytest.raises(QlrImageError, match="a.qlr.*truncated"):
        read_image(path)


# ----------------------------------------------------------------------------- rejections


def _flip(buf: bytes, pos: int) -> bytes:
    b = bytearray(buf)
    b[pos] ^= 0x10
    return bytes(b)


def _sec(buf: bytes, name: str) -> tuple[int, dict]:
    return entry_named(buf, name)


CASES = {
    # header
    "wrong magic": (lambda b: edit_header(b, magic=b"\x89QLX\r\n\x1a\n"), "magic"),
    "unknown version": (lambda b: edit_header(b, version=2), "version"),
    "truncated": (lambda b: b[:-1], "truncated"),
    "truncated in header": (lambda b: b[:40], "truncated"),
    "trailing bytes": (lambda b: b + b"\0", "trailing"),
    "header crc": (lambda b: _flip(b, 45), "header_crc32"),
    "header flags": (lambda b: edit_header(b, flags=1), "'flags'"),
    "header reserved": (lambda b: edit_header(b, reserved=b"\1" + bytes(19)), "reserved"),
    "header size": (lambda b: edit_header(b, header_size=128), "header_size"),
    "entry size": (lambda b: edit_header(b, entry_size=96), "entry_size"),
    "no sections": (lambda b: edit_header(b, count=0), "section_count"),
    "too many sections": (lambda b: edit_header(b, count=5000), "section_count"),
    "table past end": (lambda b: edit_header(b, count=4000), "beyond the image"),
    "table offset": (lambda b: edit_header(b, table_offset=128), "table_offset"),
    "table crc": (lambda b: _flip(b, 64 + 128 + 20), "table_crc32"),
    # placement, size, crc
    "section crc": (lambda b: _flip(b, _sec(b, "fe.0.weight")[1]["offset"] + 3), "'fe.0.weight'.*crc32"),
    "out of range": (lambda b: edit_entry(b, 2, offset=(len(b) // 64 + 1) * 64), "past the end"),
    "misaligned": (lambda b: edit_entry(b, 2, offset=entries(b)[2]["offset"] + 4), "alignment"),
    "alignment not a power of two": (lambda b: edit_entry(b, 2, align=96), "'align'"),
    "alignment too small": (lambda b: edit_entry(b, 2, align=32), "'align'"),
    "offset inside the table": (lambda b: edit_entry(b, 0, offset=128), "inside the header"),
    "unknown section type": (lambda b: edit_entry(b, 3, type=99), "'type' 99"),
    "unknown dtype": (lambda b: edit_entry(b, 3, dtype=42), "'dtype' 42"),
    "dtype not allowed": (lambda b: edit_entry(b, _sec(b, "fe.0.weight")[0], dtype=1), "must be S8"),
    "size != prod(shape)": (lambda b: edit_entry(b, _sec(b, "fe.0.weight")[0], d0=7), "'size'"),
    "negative dim": (lambda b: edit_entry(b, _sec(b, "fe.0.weight")[0], d1=0xFFFFFFFF), "shape\\[1\\].*impossible"),
    "huge dim": (lambda b: edit_entry(b, _sec(b, "fe.0.weight")[0], d0=1 << 31), "impossible"),
    "zero dim": (lambda b: edit_entry(b, _sec(b, "fe.0.weight")[0], d2=0), "shape\\[2\\]' is 0"),
    "ndim 0": (lambda b: edit_entry(b, 3, ndim=0), "'ndim'"),
    "ndim 7": (lambda b: edit_entry(b, 3, ndim=7), "'ndim'"),
    "dims beyond ndim": (lambda b: edit_entry(b, _sec(b, "fe.0.bias")[0], d3=5), "beyond ndim"),
    "bits on u8": (lambda b: edit_entry(b, _sec(b, "fe.0.shift")[0], bits=3), "'bits'"),
    "packed bits 9": (lambda b: edit_entry(b, _sec(b, "lr.latents")[0], bits=9), "'bits'"),
    "section flags": (lambda b: edit_entry(b, 2, flags=4), "'flags'"),
    "section reserved": (lambda b: edit_entry(b, 2, reserved=b"\0" * 47 + b"\1"), "reserved"),
    "bad name": (lambda b: edit_entry(b, 2, name=b"fe 0 weight"), "'name'"),
    "garbage after NUL": (lambda b: edit_entry(b, 2, name=b"fe.0\0x"), "'name'"),
    "duplicate name": (lambda b: edit_entry(b, 3, name=entries(b)[2]["name"]), "'name' repeats"),
    "nonzero padding": (lambda b: _pad_poke(b), "padding"),
    # meaning
    "duplicate group": (lambda b: edit_entry(b, _sec(b, "fe.1.shift")[0], group=0), "repeats"),
    "orphan section": (lambda b: edit_entry(b, _sec(b, "be.9.weight")[0], group=99), "group"),
    "batch without labels": (lambda b: edit_entry(b, _sec(b, "data.2.labels")[0], group=5), "DATA_LABELS|group"),
    "shift 0": (lambda b: edit_data(b, "fe.0.shift", lambda d: d.__setitem__(0, 0)), "shifts must be in"),
    "shift 63": (lambda b: edit_data(b, "fe.2.shift", lambda d: d.__setitem__(0, 63)), "shifts must be in"),
    "negative mult": (lambda b: edit_data(b, "fe.1.mult", lambda d: d.__setitem__(3, 0x80)), "multipliers"),
    "add mult too big": (lambda b: edit_data(b, "fe.3.mult", lambda d: struct.pack_into("<i", d, 0, 1 << 21)), "add multipliers"),
    "packed padding bits": (lambda b: edit_data(b, "lr.latents", lambda d: d.__setitem__(7, d[7] | 0x80)), "padding bits"),
    "label out of range": (lambda b: edit_data(b, "lr.labels", lambda d: struct.pack_into("<H", d, 0, 5)), "label 5"),
    "batch label out of range": (lambda b: edit_data(b, "data.0.labels", lambda d: struct.pack_into("<H", d, 2, 77)), "label 77"),
    "NaN weight": (lambda b: edit_data(b, "be.10.weight", lambda d: struct.pack_into("<f", d, 4, math.nan)), "NaN"),
    "zero LR scale": (lambda b: edit_data(b, "lr.scale", lambda d: struct.pack_into("<f", d, 0, 0.0)), "> 0"),
    "zero code max": (lambda b: edit_data(b, "lr.code_max", lambda d: d.__setitem__(0, 0)), ">= 1"),
    "bad meta": (lambda b: edit_data(b, "meta", lambda d: d.__setitem__(0, ord("["))), "JSON"),
    "layer kind": (lambda b: edit_data(b, "network", lambda d: d.__setitem__(0, 99)), "'kind' 99"),
    "layer out_shape": (lambda b: edit_data(b, "network", lambda d: struct.pack_into("<H", d, 16, 6)), "out_shape"),
    "layer forward link": (lambda b: edit_data(b, "network", lambda d: struct.pack_into("<H", d, 64 + 4, 5)), "input0"),
    "layer stage order": (lambda b: edit_data(b, "network", lambda d: d.__setitem__(64 * 2 + 2, 1)), "stage|quantization fields"),
    "layer reserved": (lambda b: edit_data(b, "network", lambda d: d.__setitem__(63, 1)), "reserved"),
    "layer NaN scale": (lambda b: edit_data(b, "network", lambda d: struct.pack_into("<f", d, 44, math.nan)), "out_scale"),
    "layer zero point chain": (lambda b: edit_data(b, "network", lambda d: d.__setitem__(64 + 32, 9)), "in_zp"),
    "accumulator overflow": (lambda b: _overflow(b), "overflow"),
}


def _pad_poke(b: bytes) -> bytes:
    bb = bytearray(b)
    e = next(e for e in entries(b) if e["size"] % 64)
    bb[e["offset"] + e["size"]] = 1  # the byte after this section is alignment padding
    return bytes(bb)


def _overflow(b: bytes) -> bytes:
    """Make layer 0's int32 bias so large that the worst-case accumulator leaves int32."""
    return edit_data(b, "fe.0.bias", lambda d: struct.pack_into("<i", d, 0, 2**31 - 100))


@pytest.mark.parametrize("case", sorted(CASES))
def test_reader_rejects(image: bytes, case: str) -> None:
    mutate, pattern = CASES[case]
    bad = mutate(image)
    assert bad != image
    with pytest.raises(QlrImageError, match=pattern) as info:
        decode_image(bad)
    assert isinstance(info.value, QlrError)  # the CLI prints it as one line


def test_overlapping_sections_are_rejected() -> None:
    data = np.arange(64, dtype=np.uint8)
    secs = [Section(int(SectionType.DATA_IMAGES), n, 1, (1, 4, 4, 4), data.tobytes()) for n in ("a", "b")]
    buf = write_container(secs)
    e = entries(buf)
    assert len(parse_container(buf)) == 2
    bad = edit_entry(buf, 1, offset=e[0]["offset"])  # same bytes, same CRC, same place
    with pytest.raises(QlrImageError, match="overlaps"):
        parse_container(bad)
    # partial overlap: b's bytes equal the second half of a's, so only the overlap check can object
    a = np.arange(128, dtype=np.uint8)
    secs = [Section(int(SectionType.DATA_IMAGES), "a", 1, (2, 4, 4, 4), a.tobytes()),
            Section(int(SectionType.DATA_IMAGES), "b", 1, (1, 4, 4, 4), a[64:].tobytes())]
    buf = write_container(secs)
    bad2 = edit_entry(buf, 1, offset=entries(buf)[0]["offset"] + 64)
    with pytest.raises(QlrImageError, match="'b'.*overlaps section 0 'a'"):
        parse_container(bad2)


def test_missing_lr_section_is_rejected(image: bytes) -> None:
    secs = [s for s in parse_container(image) if s.type != SectionType.LR_SCALE]
    for s in secs:
        s.data = bytes(s.data)
    with pytest.raises(QlrImageError, match="LR_SCALE is missing"):
        decode_image(write_container(secs))


def test_writer_refuses_invalid_content() -> None:
    c = sample_content(seed=1)
    c.lr.codes = c.lr.codes.copy()
    c.lr.codes[0, 0, 0, 0] = 2**c.lr.bits  # does not fit Q bits
    with pytest.raises(QlrImageError, match="codes"):
        encode_image(c)
    c = sample_content(seed=1)
    c.lr.labels = c.lr.labels[:-1]
    with pytest.raises(QlrImageError, match="label"):
        encode_image(c)
    c = sample_content(seed=1)
    c.front[0].shift = np.zeros_like(c.front[0].shift)
    with pytest.raises(QlrImageError, match="shift"):
        encode_image(c)


def test_meta_is_json(image: bytes) -> None:
    i, e = entry_named(image, "meta")
    meta = json.loads(image[e["offset"] : e["offset"] + e["size"]].decode("utf-8"))
    assert meta["generator"] == "qlr.image.sample"

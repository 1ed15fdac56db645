"""The link's frame format and decoder in Python (qlr.link.crc, qlr.link.frame), checked against
the layout written out by hand from docs/link-protocol.md, not against the encoder itself."""

from __future__ import annotations

import zlib

import pytest

from qlr.link.crc import crc32, header_check
from qlr.link.frame import MAX_FRAME, MAX_PAYLOAD, Decoder, Frame, encode_frame


def doc_frame(cmd: int, seq: int, payload: bytes, flags: int = 0, status: int = 0,
              version: int = 1, length: int | None = None, check: int | None = None,
              crc: int | None = None) -> bytes:
    """A frame assembled field by field from the table in docs/link-protocol.md, with optional
    overrides to make invalid ones."""
    n = len(payload) if length is None else length
    head = bytes([0xF5, 0x51, version, cmd, flags, status]) + seq.to_bytes(2, "little") + n.to_bytes(2, "little")
    if check is None:
        check = zlib.crc32(head) & 0xFFFF
    body = head + check.to_bytes(2, "little") + payload
    if crc is None:
        crc = zlib.crc32(body)
    return body + crc.to_bytes(4, "little")


def test_crc32_check_value():
    # The published check value of CRC-32/ISO-HDLC (zlib) for the ASCII digits 1..9.
    assert crc32(b"123456789") == 0xCBF43926
    assert crc32(b"") == 0


def test_crc32_chains_like_zlib():
    data = bytes(range(256)) * 3
    assert crc32(data[100:], crc32(data[:100])) == crc32(data)


def test_header_check_needs_ten_bytes():
    with pytest.raises(ValueError, match="10 bytes"):
        header_check(b"\x00" * 9)


@pytest.mark.parametrize("payload", [b"", b"x", bytes(range(256)) * 4])
def test_encoder_matches_documented_layout(payload):
    assert encode_frame(0x11, 0xBEEF, payload) == doc_frame(0x11, 0xBEEF, payload)
    assert encode_frame(0x02, 7, payload, flags=1, status=5) == doc_frame(0x02, 7, payload, flags=1, status=5)
    assert len(encode_frame(1, 0, payload)) == 16 + len(payload)


def test_frame_sizes():
    assert MAX_PAYLOAD == 1024 and MAX_FRAME == 1040


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"cmd": 256}, "cmd"),
        ({"seq": -1}, "seq"),
        ({"seq": 65536}, "seq"),
        ({"status": 300}, "status"),
        ({"flags": 2}, "flags"),
        ({"payload": b"\0" * 1025}, "payload"),
    ],
)
def test_encoder_rejects_fields_that_do_not_fit(kwargs, field):
    args = {"cmd": 1, "seq": 1, "payload": b""} | kwargs
    with pytest.raises(ValueError, match=field):
        encode_frame(args.pop("cmd"), args.pop("seq"), args.pop("payload"), **args)


def test_round_trip_fed_at_every_split():
    frames = [Frame(1, 0, b""), Frame(0x10, 1, bytes(range(200))), Frame(2, 65535, b"z" * 1024, 1, 3)]
    stream = b"".join(f.encode() for f in frames)
    for cut in range(0, len(stream), 37):
        d = Decoder()
        got = d.feed(stream[:cut]) + d.feed(stream[cut:])
        assert got == frames
        assert [f.crc for f in got] == [zlib.crc32(f.encode()[:-4]) for f in frames]
        assert d.stats.dropped == 0 and d.pending == 0


def test_byte_at_a_time():
    f = Frame(0x20, 42, b"barrier")
    d = Decoder()
    out = []
    for b in f.encode():
        out += d.feed(bytes([b]))
    assert out == [f]


def test_console_text_between_frames_is_kept():
    a, b = Frame(1, 1, b"A"), Frame(1, 2, b"B")
    text = "qlr-server: serving\r\nok   fp32 \u00e9\n".encode()
    d = Decoder()
    assert d.feed(text + a.encode() + text + b.encode()) == [a, b]
    assert d.take_skipped() == text + text
    assert d.stats.dropped == 2 * len(text)


def test_truncated_frame_then_valid_frame():
    good = Frame(0x11, 9, b"payload after a cut")
    cut = doc_frame(0x10, 8, b"q" * 300)[:150]  # header says 300 bytes, only 138 follow it
    d = Decoder()
    # The truncated candidate swallows the good frame while it waits for its 300 bytes ...
    assert d.feed(cut + good.encode()) == []
    # ... until the line goes quiet: then it is abandoned and the good frame is found inside.
    assert d.flush() == [good]
    assert d.stats.abandoned >= 1


def test_truncated_frame_then_enough_bytes_resolves_without_silence():
    good = Frame(0x11, 9, b"x" * 400)
    cut = doc_frame(0x10, 8, b"q" * 100)[:50]
    d = Decoder()
    assert d.feed(cut + good.encode()) == [good]
    assert d.stats.bad_crc == 1


@pytest.mark.parametrize("length", [1025, 4096, 65535])
def test_length_over_the_bound_is_rejected_even_with_a_valid_header_check(length):
    bad = doc_frame(1, 1, b"", length=length)[:12]
    good = Frame(1, 2, b"ok")
    d = Decoder()
    assert d.feed(bad + good.encode()) == [good]
    assert d.stats.bad_header == 1 and d.pending == 0


@pytest.mark.parametrize(
    "bad",
    [
        doc_frame(1, 1, b"abc", version=2),
        doc_frame(1, 1, b"abc", flags=0x80),
        doc_frame(1, 1, b"abc", check=0x1234),
        doc_frame(1, 1, b"abc", crc=0),
    ],
    ids=["version", "flags", "header-check", "crc"],
)
def test_invalid_frames_are_not_accepted(bad):
    good = Frame(3, 4, b"next")
    d = Decoder()
    assert d.feed(bad + good.encode()) == [good]
    assert d.stats.frames == 1


def test_every_single_bit_flip_is_rejected():
    f = Frame(0x10, 0x1234, bytes(range(40)))
    raw = f.encode()
    nxt = Frame(1, 5, b"after")
    for bit in range(len(raw) * 8):
        bad = bytearray(raw)
        bad[bit // 8] ^= 1 << (bit % 8)
        d = Decoder()
        got = d.feed(bytes(bad) + nxt.encode()) + d.flush()
        assert got == [nxt], f"bit {bit} flipped"


def test_skipped_bytes_are_bounded():
    d = Decoder(keep_skipped=100)
    d.feed(b"a" * 10_000)
    assert len(d.skipped) == 100 and d.stats.dropped == 10_000


def test_sync_words_alone_wait_then_resolve():
    d = Decoder()
    assert d.feed(b"\xf5\x51" * 3 + b"\xf5") == []
    assert d.pending == 7  # a possible header, fewer than 12 bytes: wait for more
    assert d.flush() == [] and d.pending == 0
    assert d.stats.abandoned == 4  # each remaining 0xF5 starts a candidate in turn

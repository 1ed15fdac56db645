"""Fuzzing the link's frame parsers: the Python decoder and the C parser (firmware/link/frame.c
driven through tests/host/link_harness/parser_main.c, built with AddressSanitizer and UBSan).

Streams are built from pieces: valid frames, random bytes, console text, valid frames with 1-3
distinct bits flipped, truncated frames, headers with an out-of-bound length but a correct header
check, and runs of sync bytes; every stream ends with one more valid frame. Required of both
parsers: no crash, no out-of-bounds access (ASan), an answer in bounded time, and

* exactly the frames that a plain, non-incremental reading of the specification finds
  (`reference_decode`: at each offset, accept a complete valid frame and jump over it, else move
  one byte on), so no corrupted frame is ever accepted and no valid one is missed;
* without truncated pieces, exactly the intact frames that were put in, in order;
* whatever came before, a frame sent twice (as a host retry does) is decoded the second time
  at the latest. (Once is not always enough, and no framing can make it so: a frame cut one
  byte short followed by a frame whose first byte equals the missing one *is* a valid frame on
  the wire; Hypothesis finds such streams.)
* the same frames and counters from C and from Python.

Hypothesis runs derandomized (the same cases on every run); QLR_FUZZ_EXAMPLES raises the count
for a longer local soak.
"""

from __future__ import annotations

import os
import random
import select
import struct
import subprocess
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import c_test_program
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qlr.link.frame import Decoder, Frame

EXAMPLES = int(os.environ.get("QLR_FUZZ_EXAMPLES", "2000"))
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CASE_TIMEOUT_S = 10.0  # per stream, generous for ASan on a loaded 2-core machine; real: ~1 ms


# ---- stream construction ---------------------------------------------------------------------

def seeded_bytes(min_size: int, max_size: int) -> st.SearchStrategy[bytes]:
    """Bulk bytes from a seeded generator: Hypothesis draws only a size and a seed, which keeps
    big payloads cheap to generate (drawing 1 kB byte by byte costs milliseconds per case)."""
    return st.builds(lambda n, seed: random.Random(seed).randbytes(n),
                     st.integers(min_size, max_size), st.integers(0, 2**32 - 1))


frames = st.builds(
    Frame,
    cmd=st.integers(0, 255),
    seq=st.integers(0, 0xFFFF),
    payload=st.one_of(st.binary(max_size=40), seeded_bytes(41, 1024), seeded_bytes(1020, 1024)),
    flags=st.sampled_from([0, 1]),
    status=st.integers(0, 255),
)


def _header(length: int, seq: int) -> bytes:
    head = bytes([0xF5, 0x51, 1, 0x11, 0, 0]) + struct.pack("<HH", seq, length)
    return head + struct.pack("<H", zlib.crc32(head) & 0xFFFF)


@st.composite
def flipped(draw) -> bytes:
    raw = bytearray(draw(frames).encode())
    bits = draw(st.lists(st.integers(0, len(raw) * 8 - 1), min_size=1, max_size=3, unique=True))
    for b in bits:
        raw[b // 8] ^= 1 << (b % 8)
    return bytes(raw)


@st.composite
def truncated(draw) -> bytes:
    raw = draw(frames).encode()
    return raw[: draw(st.integers(1, len(raw) - 1))]


@st.composite
def huge_length(draw) -> bytes:
    """A header that is right in every way except that its length is over the 1024 bound."""
    return _header(draw(st.integers(1025, 0xFFFF)), draw(st.integers(0, 0xFFFF))) + draw(st.binary(max_size=32))


sync_noise = st.lists(st.sampled_from([0xF5, 0x51, 0x01, 0x00, 0xFF]), max_size=40).map(bytes)
text = st.text(max_size=80).map(lambda s: s.encode("utf-8"))

# (kind, bytes, frame): kind "valid" pieces must come out, everything else must not.
pieces = st.one_of(
    frames.map(lambda f: ("valid", f.encode(), f)),
    st.binary(max_size=40).map(lambda b: ("garbage", b, None)),
    seeded_bytes(1, 600).map(lambda b: ("garbage", b, None)),
    text.map(lambda b: ("garbage", b, None)),
    sync_noise.map(lambda b: ("garbage", b, None)),
    flipped().map(lambda b: ("garbage", b, None)),
    truncated().map(lambda b: ("garbage", b, None)),
    huge_length().map(lambda b: ("garbage", b, None)),
)


untruncated_pieces = st.one_of(
    frames.map(lambda f: ("valid", f.encode(), f)),
    st.binary(max_size=40).map(lambda b: ("garbage", b, None)),
    seeded_bytes(1, 600).map(lambda b: ("garbage", b, None)),
    text.map(lambda b: ("garbage", b, None)),
    sync_noise.map(lambda b: ("garbage", b, None)),
    flipped().map(lambda b: ("garbage", b, None)),
    huge_length().map(lambda b: ("garbage", b, None)),
)


@dataclass
class Stream:
    data: bytes
    intact: list[Frame]  # the valid frames put in, in order (the last one included)
    last: Frame


def _streams(piece_strategy):
    @st.composite
    def build(draw) -> Stream:
        parts = draw(st.lists(piece_strategy, max_size=8))
        last = draw(frames)
        data = b"".join(p[1] for p in parts) + last.encode()
        return Stream(data, [p[2] for p in parts if p[0] == "valid"] + [last], last)

    return build()


streams = _streams(pieces)
streams_without_truncation = _streams(untruncated_pieces)


def reference_decode(data: bytes) -> list[Frame]:
    """The specification read plainly (docs/link-protocol.md), with no buffer and no state:
    at each offset, if a complete valid frame starts there take it and jump past it, otherwise
    move on by one byte. The incremental parsers must agree with it exactly."""
    out: list[Frame] = []
    i = 0
    while i < len(data):
        head = data[i:i + 12]
        if len(head) == 12 and head[:2] == b"\xf5\x51":
            version, cmd, flags, status, seq, length, check = struct.unpack("<BBBBHHH", head[2:])
            end = i + 12 + length
            if (version == 1 and not flags & ~1 and length <= 1024
                    and check == zlib.crc32(head[:10]) & 0xFFFF and end + 4 <= len(data)
                    and zlib.crc32(data[i:end]) == int.from_bytes(data[end:end + 4], "little")):
                out.append(Frame(cmd, seq, data[i + 12:end], flags, status))
                i = end + 4
                continue
        i += 1
    return out


# ---- the two parsers ---------------------------------------------------------------------------


@dataclass
class Parsed:
    frames: list[Frame]
    stats: tuple[int, int, int, int, int]  # frames, dropped, bad_header, bad_crc, abandoned


def python_parse(data: bytes) -> Parsed:
    d = Decoder(keep_skipped=0)
    t0 = time.monotonic()
    out = d.feed(data) + d.flush()
    assert time.monotonic() - t0 < CASE_TIMEOUT_S, "Python decoder took too long"
    s = d.stats
    return Parsed(out, (s.frames, s.dropped, s.bad_header, s.bad_crc, s.abandoned))


class CParser:
    """The C harness as a long-running process: one stream in, its frames out."""

    def __init__(self, exe: Path) -> None:
        self.proc = subprocess.Popen([str(exe)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, bufsize=0)
        self._buf = b""
        self.cases = 0

    def _fail(self, why: str) -> None:
        self.proc.kill()
        err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
        pytest.fail(f"C parser {why}; stderr:\n{err[-4000:]}")

    def _line(self, deadline: float) -> str:
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self._fail(f"did not answer within {CASE_TIMEOUT_S} s (hang?)")
            assert self.proc.stdout is not None  # opened with stdout=PIPE
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    self._fail(f"exited with status {self.proc.wait()}")
                self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line.decode()

    def parse(self, data: bytes) -> Parsed:
        try:
            self.proc.stdin.write(struct.pack("<I", len(data)) + data)
        except BrokenPipeError:
            self._fail(f"exited with status {self.proc.wait()}")
        deadline = time.monotonic() + CASE_TIMEOUT_S
        out: list[Frame] = []
        while True:
            line = self._line(deadline)
            if line.startswith("F "):
                cmd, flags, status, seq, crc, hexp = line.split()[1:]
                payload = b"" if hexp == "-" else bytes.fromhex(hexp)
                out.append(Frame(int(cmd), int(seq), payload, int(flags), int(status), crc=int(crc)))
            elif line.startswith("S "):
                stats = tuple(int(x) for x in line.split()[1:])
                assert self._line(deadline) == "."
                self.cases += 1
                return Parsed(out, stats)  # type: ignore[arg-type]
            else:
                self._fail(f"printed an unexpected line {line!r}")

    def close(self) -> int:
        self.proc.stdin.write(b"\xff\xff\xff\xff")
        self.proc.stdin.close()
        return self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def c_parser():
    p = CParser(c_test_program("host", "link_parser", variant="asan"))
    yield p
    assert p.close() == 0, "the C parser harness ended with an error"


# ---- tests -------------------------------------------------------------------------------------


def test_c_crc_matches_zlib(c_parser):
    """The C CRC (through the frames it accepts) equals zlib's on every payload size class."""
    for n in (0, 1, 3, 8, 11, 255, 1024):
        f = Frame(1, n, bytes((i * 7 + n) & 0xFF for i in range(n)))
        got = c_parser.parse(f.encode()).frames
        assert got == [f] and got[0].crc == zlib.crc32(f.encode()[:-4])


def test_c_and_python_agree_on_a_known_stream(c_parser):
    good = [Frame(1, 1, b"one"), Frame(0x10, 2, b"x" * 1024, 1, 0), Frame(2, 3)]
    cut = good[1].encode()[:500]
    data = b"boot text\n" + good[0].encode() + cut + good[1].encode() + b"\xf5\x51\xf5" + good[2].encode()
    c, py = c_parser.parse(data), python_parse(data)
    assert c.frames == py.frames == good
    assert c.stats == py.stats
    assert c.stats[3] == 1  # the cut frame's candidate failed its CRC once


@pytest.mark.slow
@FUZZ
@given(streams)
def test_python_decoder_matches_the_reference_reading(case):
    got = python_parse(case.data).frames
    assert got == reference_decode(case.data)
    assert python_parse(case.data + case.last.encode()).frames[-1] == case.last


@pytest.mark.slow
@settings(FUZZ, max_examples=max(EXAMPLES // 2, 50))
@given(streams_without_truncation)
def test_python_decoder_finds_exactly_the_intact_frames(case):
    assert python_parse(case.data).frames == case.intact


@pytest.mark.slow
@FUZZ
@given(streams)
def test_c_parser_matches_the_reference_reading_and_python(c_parser, case):
    c = c_parser.parse(case.data)
    assert c.frames == reference_decode(case.data)
    assert [f.crc for f in c.frames] == [zlib.crc32(f.encode()[:-4]) for f in c.frames]
    assert c.stats == python_parse(case.data).stats
    assert c_parser.parse(case.data + case.last.encode()).frames[-1] == case.last


@pytest.mark.slow
@settings(FUZZ, max_examples=max(EXAMPLES // 2, 50))
@given(streams_without_truncation)
def test_c_parser_finds_exactly_the_intact_frames(c_parser, case):
    assert c_parser.parse(case.data).frames == case.intact


@settings(FUZZ, max_examples=max(EXAMPLES // 5, 50))
@given(st.one_of(st.binary(max_size=64), seeded_bytes(0, 8192)), frames)
def test_random_bytes_then_a_frame(c_parser, noise, last):
    """Pure noise decodes to nothing (a false frame needs a 48-bit coincidence), and the frame
    that follows it is found by both parsers."""
    data = noise + last.encode()
    c = c_parser.parse(data)
    assert c.frames == [last]
    assert python_parse(data).frames == [last]


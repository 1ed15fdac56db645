"""The link end to end: the command server (firmware/app/server.c) on every board that runs
here (host over exec: pipes, host with ASan/UBSan, qemu-rv32 and qemu-m4 over socket://), driven
by the same host code. Memory round trips at odd sizes and offsets, out-of-range requests
refused without touching memory, garbage on the line followed by an answered request, the
self-test over the link, retries answered from the last response, and a protocol fuzz of the
server under the sanitizers."""

from __future__ import annotations

import random
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qlr.cli import main as qlr_main
from qlr.link import Command, LinkDeviceError, Status, encode_frame

COUNTER_UNITS = {"ns", "cycles", "instructions"}


@pytest.fixture
def session(device):
    """(link, BoardSession) with the board's command server running."""
    with device.session("server") as s:
        yield s.link, s


def pattern(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def test_info_and_ping(device, session):
    link, _ = session
    info = link.info()
    assert info["board"] == device.board
    assert info["team_max"] == device.team_max
    assert info["protocol"] == 1 and info["max_payload"] == 1024
    assert info["firmware"] and info["platform"]
    assert info["counter_unit"] in COUNTER_UNITS
    assert 0 < info["l2_window"] <= info["l2_size"] and 0 < info["l3_window"] <= info["l3_size"]
    for n in (0, 1, 17, 1023, 1024):
        link.ping(pattern(n, n))
    later = link.info()["counter"]
    assert later > info["counter"], "the device counter did not advance between two INFOs"


@pytest.mark.parametrize("level", ["L2", "L3"])
def test_memory_round_trips_at_odd_sizes_and_offsets(session, level):
    link, _ = session
    window = link.info()[f"{level.lower()}_window"]
    # Chunk edges of writes (1016) and reads (1024) and neighbours, tails, and the window's end.
    cases = [(0, 1), (1, 3), (4095, 1016), (7, 1017), (1, 1024), (2, 1025), (window - 2049, 2049),
             (window - 1, 1)]
    for i, (off, n) in enumerate(cases):
        # A fence of known bytes around the range shows a write that spills over its ends.
        lo, hi = max(0, off - 8), min(window, off + n + 8)
        fence = pattern(hi - lo, 1000 + i)
        link.mem_write(level, lo, fence)
        data = pattern(n, i)
        link.mem_write(level, off, data)
        expect = fence[:off - lo] + data + fence[off - lo + n:]
        assert link.mem_read(level, lo, hi - lo) == expect, f"{level} offset {off} size {n}"
        assert link.mem_crc(level, off, n) == zlib.crc32(data)


def test_out_of_range_requests_are_refused_and_touch_nothing(session):
    link, _ = session
    info = link.info()
    for level, window in ((1, info["l2_window"]), (2, info["l3_window"])):
        tail = pattern(8, window)
        link.mem_write(level, window - 8, tail)
        # Sent raw, past the host's own range check, to test the device's (including overflow).
        for off, n in [(window - 4, 8), (window, 1), (window + 1, 0), (0xFFFFFFFF, 1), (0xFFFFFF00, 0x200)]:
            for cmd, payload in [
                (Command.MEM_WRITE, struct.pack("<B3xI", level, off) + b"\xAA" * n),
                (Command.MEM_READ, struct.pack("<B3xII", level, off, n)),
                (Command.MEM_CRC, struct.pack("<B3xII", level, off, n)),
            ]:
                with pytest.raises(LinkDeviceError) as e:
                    link.request(cmd, payload)
                assert e.value.status == Status.E_RANGE, f"L{level + 1} {cmd.name} {off:#x}+{n}: {e.value}"
        with pytest.raises(LinkDeviceError, match="E_RANGE"):
            link.mem_crc(level, 1, window)
        assert link.mem_read(level, window - 8, 8) == tail, f"L{level + 1}: a refused write changed memory"
    # Malformed requests, sent raw.
    refused = [
        (Command.MEM_READ, struct.pack("<B3xII", 0, 0, 4), Status.E_LEVEL),  # L1 is not reachable
        (Command.MEM_READ, struct.pack("<B3xII", 3, 0, 4), Status.E_LEVEL),
        (Command.MEM_READ, struct.pack("<BBxxII", 1, 1, 0, 4), Status.E_ARGUMENT),  # reserved byte
        (Command.MEM_READ, struct.pack("<B3xII", 1, 0, 1025), Status.E_ARGUMENT),  # over max payload
        (Command.MEM_READ, struct.pack("<B3xI", 1, 0), Status.E_LENGTH),
        (Command.MEM_WRITE, b"\x01\x00\x00", Status.E_LENGTH),
        (Command.INFO, b"x", Status.E_LENGTH),
        (Command.EXIT, b"\x00", Status.E_LENGTH),
        (Command.SELFTEST, b"no such test", Status.E_ARGUMENT),  # spaces are not allowed
        (Command.SELFTEST, b"nope", Status.E_NOT_FOUND),
        (Command.SELFTEST, b"x" * 64, Status.E_LENGTH),
        (0x7E, b"", Status.E_COMMAND),
    ]
    for cmd, payload, status in refused:
        with pytest.raises(LinkDeviceError) as e:
            link.request(cmd, payload)
        assert e.value.status == status, f"{cmd:#x} {payload!r}: {e.value}"
    link.ping(b"still here")


def test_garbage_then_the_next_request_is_answered(session):
    link, _ = session
    head = bytes([0xF5, 0x51, 1, 0x10, 0, 0]) + struct.pack("<HH", 1, 1000)
    stalling = head + struct.pack("<H", zlib.crc32(head) & 0xFFFF) + b"only a little"  # claims 1000 bytes
    good = encode_frame(Command.PING, 1, b"z" * 40)
    garbage = [
        pattern(3000, 1),
        b"text on the wire\r\n" * 20,
        good[:-1],  # truncated frame
        bytes(good[:20]) + b"\x00" + good[21:],  # corrupted frame
        b"\xf5\x51" * 50,
        stalling,  # resolved only by silence on the device (or by the retry's bytes)
    ]
    for g in garbage:
        link.transport.write(g)
        # The last piece is resolved by the device's idle timer (200 ms of silence) or, where
        # that is slow (spinning under QEMU -icount), by the zero bytes sent before a retry.
        link.ping(b"after garbage", timeout=2.0)
    link.transport.write(stalling)
    link.resync()
    retries = link.stats.retries
    link.ping(b"after resync")
    assert link.stats.retries == retries, "resync did not bring the device back to a frame boundary"


def test_retry_is_answered_from_the_last_response(session):
    """A repeated request (same seq, command, CRC) gets the same bytes back and is not run
    again: INFO carries the device counter, which would differ if it ran twice."""
    link, _ = session
    request = encode_frame(Command.INFO, 4242, b"")
    answers = []
    for _ in range(2):
        link.transport.write(request)
        got = []
        while not got:
            chunk = link.transport.read(5.0)
            assert chunk, "no answer to INFO"
            got = [f for f in link.decoder.feed(chunk) if f.is_response]
        answers.append(got[0])
    assert answers[0].seq == 4242 and answers[0].payload == answers[1].payload
    link.transport.write(encode_frame(Command.INFO, 4243, b""))  # a new seq runs it again
    fresh = []
    while not fresh:
        chunk = link.transport.read(5.0)
        assert chunk, "no answer to the second INFO"
        fresh = [f for f in link.decoder.feed(chunk) if f.is_response]
    assert fresh[0].seq == 4243 and fresh[0].payload[28:36] != answers[0].payload[28:36]


def test_selftest_over_the_link_then_exit_status(device, session):
    link, dev = session
    res = link.selftest("all")
    assert res["ok"] and res["failed"] == 0 and res["passed"] >= 9, res
    one = link.selftest("fp32")
    assert one["ok"] and one["passed"] >= 1
    assert dev.exit(7) == 7


@pytest.mark.parametrize("device", ["host"], indirect=True)
def test_cli_talks_to_the_host_board(device, capsys):
    url = "exec:" + str(device.elf("server")) + " --cores 2"
    assert qlr_main(["link", "--url", url, "--json", "info"]) == 0
    out = capsys.readouterr().out
    assert '"board": "host"' in out and '"team_max": 2' in out
    assert qlr_main(["link", "--url", url, "read", "L2", "0x10", "3"]) == 0
    assert capsys.readouterr().out.startswith("00000010  00 00 00")
    assert qlr_main(["link", "--url", url, "read", "L3", "0xFFFFFFF0", "3"]) == 1
    assert "E_RANGE" in capsys.readouterr().err


# ---- protocol fuzz of the server under ASan/UBSan -------------------------------------------------

LEVELS = st.sampled_from([0, 1, 2, 3, 255])
OFFSETS = st.one_of(st.integers(0, 4096), st.integers(0, 0xFFFFFFFF), st.sampled_from([0xFFFFFFFF, 0x7FFFFFFF]))


def mem_payload(draw_len):
    return st.builds(lambda lvl, pad, off, tail: struct.pack("<B3sI", lvl, pad, off) + tail,
                     LEVELS, st.sampled_from([b"\0\0\0", b"\0\1\0"]), OFFSETS, draw_len)


requests = st.one_of(
    st.tuples(st.sampled_from([Command.MEM_READ, Command.MEM_CRC]),
              mem_payload(st.one_of(st.integers(0, 2048), st.integers(0, 0xFFFFFFFF)).map(lambda n: struct.pack("<I", n)))),
    st.tuples(st.just(Command.MEM_WRITE), mem_payload(st.binary(max_size=40))),
    st.tuples(st.sampled_from([Command.PING, Command.INFO, Command.SELFTEST, 0x00, 0x7E, 0xFF]),
              st.binary(max_size=80)),
    st.tuples(st.sampled_from([Command.MEM_READ, Command.MEM_WRITE, Command.MEM_CRC]), st.binary(max_size=16)),
)


@pytest.mark.parametrize("device", ["host-asan"], indirect=True)
def test_server_fuzz_under_sanitizers(device, session):
    """Hundreds of well-framed but arbitrary requests, each preceded by random bytes half the
    time: every one gets exactly one answer with a known status, and afterwards the server
    still answers, exits cleanly, and the sanitizers reported nothing."""
    link, dev = session
    known = {int(s) for s in Status}
    seen: dict[int, int] = {}

    @settings(max_examples=400, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(requests, st.one_of(st.just(b""), st.binary(max_size=64)))
    def one(req, noise):
        cmd, payload = req
        if cmd == Command.SELFTEST and payload:  # names are checked; running a real test is slow
            payload = payload[:8]
        if noise:
            link.transport.write(noise)
            link.resync(settle=0)
        try:
            link.request(cmd, payload, retries=0, timeout=10.0)
            status = 0
        except LinkDeviceError as e:
            status = e.status
        assert status in known
        seen[status] = seen.get(status, 0) + 1

    one()
    assert sum(seen.values()) >= 400, seen  # every generated request was answered
    link.ping(b"survived")
    assert dev.exit(0) == 0
    console = "\n".join(link.transport.console_lines())
    assert "Sanitizer" not in console and "runtime error" not in console, console[-3000:]
    # The fuzz reached the interesting answers, not just one kind.
    assert {0, Status.E_RANGE, Status.E_LEVEL, Status.E_LENGTH, Status.E_COMMAND} <= set(seen), seen

"""The host side of the link without firmware: `Link` against a scripted in-process device
(retries, timeouts, stale and duplicate responses, console text, stalls, errors, chunking), and
the transports (socket://, exec:, semihost:) against small local peers."""

from __future__ import annotations

import os
import socket
import struct
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest

from qlr.cli import main as qlr_main
from qlr.link import (
    Command,
    Decoder,
    ExecTransport,
    Link,
    LinkClosed,
    LinkDeviceError,
    LinkError,
    LinkProtocolError,
    LinkReset,
    LinkTimeout,
    MemLevel,
    SemihostTransport,
    SerialTransport,
    Status,
    Transport,
    encode_frame,
    open_transport,
    parse_level,
)


class FakeDevice(Transport):
    """A device in the same process, written from docs/link-protocol.md. Misbehaviour is
    scripted per request through the lists below (each entry is used once, in order)."""

    def __init__(self, max_payload: int = 1024, window: int = 4096) -> None:
        self.url = "fake:"
        self.decoder = Decoder()
        self.outbox = bytearray()
        self.mem = bytearray(window)
        self.max_payload = max_payload
        self.requests: list[tuple[int, int, bytes]] = []
        self.lose: list[bool] = []  # True: swallow this request's response
        self.before: list[bytes] = []  # bytes to send before this response
        self.split = False  # deliver the output one byte per read
        self.closed = False
        self.boot = 7  # INFO's boot_id
        self.busy: list[int] = []  # this request runs for N x 0.2 s, with a progress frame every 0.2 s
        self.timed: list[tuple[float, bytes]] = []  # (when, bytes) delivered from then on

    def respond(self, cmd: int, seq: int, payload: bytes, status: int = 0) -> bytes:
        return encode_frame(cmd, seq, payload, flags=1, status=status)

    def handle(self, cmd: int, payload: bytes) -> tuple[int, bytes]:
        if cmd == Command.PING:
            return 0, payload
        if cmd == Command.INFO:
            fixed = struct.pack("<HHIIIIIIQI", 1, self.max_payload, 1, 0, len(self.mem), 0, len(self.mem), 0, 99,
                                self.boot)
            return 0, fixed + b"fake\0py\0t\0ticks\0"
        if cmd in (Command.MEM_READ, Command.MEM_WRITE):
            _lvl, off = struct.unpack_from("<B3xI", payload)
            if cmd == Command.MEM_WRITE:
                data = payload[8:]
                if off + len(data) > len(self.mem):
                    return Status.E_RANGE, b"past the end"
                self.mem[off:off + len(data)] = data
                return 0, b""
            (n,) = struct.unpack_from("<I", payload, 8)
            return 0, bytes(self.mem[off:off + n])
        return Status.E_COMMAND, b"unknown command"

    def write(self, data: bytes) -> None:
        for f in self.decoder.feed(data):
            self.requests.append((f.cmd, f.seq, f.payload))
            status, payload = self.handle(f.cmd, f.payload)
            if self.before:
                self.outbox += self.before.pop(0)
            if self.lose and self.lose.pop(0):
                continue
            if self.busy:
                now, n = time.monotonic(), self.busy.pop(0)
                self.timed += [(now + 0.2 * (k + 1), self.respond(f.cmd, f.seq, struct.pack("<I", k + 1),
                                                                  Status.IN_PROGRESS)) for k in range(n)]
                self.timed.append((now + 0.2 * (n + 1), self.respond(f.cmd, f.seq, payload, status)))
                continue
            self.outbox += self.respond(f.cmd, f.seq, payload, status)

    def read(self, timeout: float) -> bytes:
        while self.timed and self.timed[0][0] <= time.monotonic():
            self.outbox += self.timed.pop(0)[1]
        if not self.outbox:
            time.sleep(min(timeout, 0.005))
            return b""
        n = 1 if self.split else len(self.outbox)
        out = bytes(self.outbox[:n])
        del self.outbox[:n]
        return out

    def close(self) -> None:
        self.closed = True


def fake_link(**kw) -> tuple[Link, FakeDevice]:
    dev = FakeDevice(**{k: kw.pop(k) for k in ("max_payload", "window") if k in kw})
    return Link(dev, timeout=kw.pop("timeout", 0.3), retries=kw.pop("retries", 2), seq=100, **kw), dev


def test_ping_echoes_and_uses_increasing_seq():
    link, dev = fake_link()
    assert link.ping(b"abc") >= 0
    link.ping(b"")
    assert [(c, s) for c, s, _ in dev.requests] == [(1, 101), (1, 102)]


def test_lost_response_is_retried_with_the_same_bytes():
    link, dev = fake_link()
    dev.lose = [True]
    link.ping(b"again")
    assert len(dev.requests) == 2 and dev.requests[0] == dev.requests[1]
    assert dev.decoder.stats.dropped == 1040  # the zero bytes sent before the retry
    assert link.stats.retries == 1 and link.stats.requests == 1


def test_progress_frames_make_the_timeout_bound_silence_not_work():
    link, dev = fake_link(timeout=0.5, retries=0)
    dev.busy = [6]  # 1.4 s of work, never 0.5 s of silence
    assert link.ping(b"slow") >= 1.0
    assert link.stats.progress == 6 and link.stats.retries == 0 and len(dev.requests) == 1


def test_a_device_that_rebooted_is_named_not_timed_out():
    link, dev = fake_link(timeout=0.05, retries=1)
    assert link.info()["boot_id"] == 7 and link.boot_id == 7
    dev.lose = [True, True]  # the request is lost in the reset ...
    dev.boot = 8  # ... and the device comes back as a new boot
    with pytest.raises(LinkReset, match=r"rebooted \(boot id 00000007 -> 00000008\): PING got no response"):
        link.ping(b"x")
    link.check_boot()  # the same boot as the INFO just asked: nothing to say
    dev.boot = 7
    with pytest.raises(LinkReset):
        link.check_boot()


def test_no_response_times_out_after_all_attempts():
    link, dev = fake_link(timeout=0.05, retries=2)
    dev.lose = [True, True, True]
    t0 = time.monotonic()
    with pytest.raises(LinkTimeout, match=r"PING .* after 3 attempt"):
        link.ping(b"x")
    assert 0.15 <= time.monotonic() - t0 < 2.0
    assert len(dev.requests) == 3 and link.stats.timeouts == 1


def test_stale_and_foreign_frames_are_dropped():
    link, dev = fake_link()
    # Before the answer: a response to an older seq, a response for another command with our
    # seq, and a request (not a response) with our seq.
    dev.before = [encode_frame(1, 7, b"old", flags=1) + encode_frame(2, 101, b"", flags=1) + encode_frame(1, 101, b"mine")]
    link.ping(b"mine")
    assert link.stats.stale == 3 and link.stats.retries == 0


def test_console_text_and_noise_around_responses():
    lines: list[str] = []
    link, dev = fake_link(console=lines.append)
    dev.before = [b"boot \xf5 line\nok   fp32\r\n", b"\x00\xff\xf5\x51junk\npartial"]
    link.ping(b"1")
    link.ping(b"2")
    assert link.stats.retries == 0
    assert lines == ["boot \ufffd line", "ok   fp32", "\x00\ufffd\ufffdQjunk"]


def test_response_delivered_one_byte_per_read():
    link, dev = fake_link()
    dev.split = True
    assert link.ping(bytes(range(100))) >= 0


def test_stalled_candidate_does_not_hide_the_response():
    """Noise that looks like a header announcing 1000 bytes would swallow the response; the
    host abandons the stalled candidate after a quiet spell and finds the response inside."""
    link, dev = fake_link(timeout=1.0, retries=0)
    head = bytes([0xF5, 0x51, 1, 0x11, 1, 0]) + struct.pack("<HH", 5, 1000)
    dev.before = [head + struct.pack("<H", zlib.crc32(head) & 0xFFFF)]
    link.ping(b"through")
    assert link.decoder.stats.abandoned >= 1


def test_error_status_raises_with_the_device_message():
    link, _ = fake_link()
    with pytest.raises(LinkDeviceError, match=r"0x7e with E_COMMAND \(1\): unknown command") as e:
        link.request(0x7E)
    assert e.value.status == Status.E_COMMAND


def test_memory_is_chunked_by_the_devices_max_payload():
    link, dev = fake_link(max_payload=100, window=1000)
    data = bytes(range(250))
    link.mem_write("L2", 3, data)
    assert link.mem_read(MemLevel.L2, 3, 250) == data
    writes = [len(p) - 8 for c, _, p in dev.requests if c == Command.MEM_WRITE]
    reads = [struct.unpack_from("<I", p, 8)[0] for c, _, p in dev.requests if c == Command.MEM_READ]
    assert writes == [92, 92, 66] and reads == [100, 100, 50]
    assert dev.mem[3:253] == data


def test_memory_errors_name_the_range():
    link, _ = fake_link(window=100)
    with pytest.raises(LinkDeviceError, match=r"E_RANGE .*L2 offset 0x5a, 20 bytes"):
        link.mem_write(1, 90, b"x" * 20)
    with pytest.raises(LinkError, match="outside 0..2"):
        link.mem_read(1, 2**32, 1)


def test_bad_info_payload_is_a_protocol_error():
    link, dev = fake_link()
    dev.handle = lambda cmd, payload: (0, b"short")
    with pytest.raises(LinkProtocolError, match="INFO: reply is 5 bytes, the protocol says at least 40"):
        link.info()


def test_wrong_echo_is_a_protocol_error():
    link, dev = fake_link()
    dev.handle = lambda cmd, payload: (0, payload[::-1])
    with pytest.raises(LinkProtocolError, match="PING echoed"):
        link.ping(b"ab")


def test_info_fields():
    link, _ = fake_link()
    info = link.info()
    assert info["board"] == "fake" and info["platform"] == "py" and info["firmware"] == "t"
    assert info["counter_unit"] == "ticks" and info["counter"] == 99 and info["l2_window"] == 4096


@pytest.mark.parametrize("text,level", [("l2", MemLevel.L2), ("L3", MemLevel.L3), (1, MemLevel.L2), (2, MemLevel.L3)])
def test_parse_level(text, level):
    assert parse_level(text) == level


@pytest.mark.parametrize("bad", ["L4", "ram", 7])
def test_parse_level_rejects(bad):
    with pytest.raises(LinkError, match="memory level"):
        parse_level(bad)


# ---- transports ----------------------------------------------------------------------------------


def test_socket_transport_reads_writes_and_sees_the_close():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    port = srv.getsockname()[1]
    got = bytearray()

    def peer() -> None:
        time.sleep(0.2)  # the transport must retry the refused connection meanwhile
        srv.listen(1)
        conn, _ = srv.accept()
        got.extend(conn.recv(100))
        conn.sendall(b"hello")
        time.sleep(0.1)
        conn.close()
        srv.close()

    t = threading.Thread(target=peer)
    t.start()
    tr = open_transport(f"socket://127.0.0.1:{port}")
    assert isinstance(tr, SerialTransport)
    tr.write(b"ping")
    data = b""
    deadline = time.monotonic() + 5
    while len(data) < 5 and time.monotonic() < deadline:
        data += tr.read(0.5)
    assert data == b"hello"
    with pytest.raises(LinkClosed):
        for _ in range(50):
            tr.read(0.1)
    t.join()
    tr.close()
    assert bytes(got) == b"ping"


def test_socket_transport_refused_names_the_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        with pytest.raises(LinkError, match=f"socket://127.0.0.1:{port}"):
            SerialTransport(f"socket://127.0.0.1:{port}", connect_timeout=0.2)


def test_exec_transport_pipes_console_and_exit_status():
    script = "import sys; sys.stderr.write('console line\\n'); sys.stderr.flush(); " \
             "d = sys.stdin.buffer.read(3); sys.stdout.buffer.write(d[::-1]); sys.stdout.flush(); sys.exit(5)"
    tr = ExecTransport([sys.executable, "-c", script])
    tr.write(b"abc")
    data = b""
    while len(data) < 3:
        data += tr.read(5)
    assert data == b"cba"
    with pytest.raises(LinkClosed, match="exited with status 5"):
        tr.read(5)
    assert tr.wait(5) == 5
    assert tr.console_lines() == ["console line"]
    tr.close()


def test_exec_transport_missing_program():
    with pytest.raises(LinkError, match="cannot start link command"):
        open_transport("exec:/nonexistent/qlr-server --cores 2")


def test_semihost_transport_with_a_file_device(tmp_path: Path):
    """A thread plays the firmware's side of semihost:DIR: read link.in from its offset,
    append frames to link.out."""
    stop = threading.Event()
    (tmp_path / "link.in").write_bytes(b"")
    (tmp_path / "link.out").write_bytes(b"boot text\n")

    def device() -> None:
        dec = Decoder()
        with open(tmp_path / "link.in", "rb") as fin, open(tmp_path / "link.out", "ab") as fout:
            while not stop.is_set():
                data = fin.read()
                for f in dec.feed(data):
                    fout.write(encode_frame(f.cmd, f.seq, f.payload, flags=1))
                    fout.flush()
                time.sleep(0.002)

    t = threading.Thread(target=device)
    t.start()
    alive = [True]
    try:
        link = Link(SemihostTransport(tmp_path, alive=lambda: alive[0]), timeout=2, retries=0)
        assert link.ping(b"via files") >= 0
        assert link.ping(os.urandom(1024)) >= 0
        assert list(link.console) == ["boot text"]
        alive[0] = False
        with pytest.raises(LinkClosed, match="simulator stopped"):
            link.ping(b"x")
        link.close()
    finally:
        stop.set()
        t.join()


def test_semihost_transport_needs_the_directory(tmp_path: Path):
    with pytest.raises(LinkError, match="does not exist"):
        open_transport(f"semihost:{tmp_path / 'nope'}")


def test_cli_without_a_url_says_how_to_give_one(capsys, monkeypatch):
    monkeypatch.delenv("QLR_LINK_URL", raising=False)
    assert qlr_main(["link", "info"]) == 1
    assert "give --url URL, --board NAME, or set QLR_LINK_URL" in capsys.readouterr().err

"""`Link`: request/response over a transport, with sequence numbers, timeouts, retries and
resynchronisation (docs/link-protocol.md).

Conventions: one request in flight at a time. Each request gets the next 16-bit sequence number
(starting at a random value, so two sessions rarely collide); a retry sends MAX_FRAME zero bytes
(which flush any partial frame on the device) and then the same request bytes again, and
the firmware answers a repeated (seq, command, CRC) from its last response without running the
command again, so retries are safe even for SELFTEST. Responses whose seq or command do not
match the request in flight are stale (answers to earlier attempts) and are dropped. Bytes that
are not frames are console text and go to the `console` sink line by line.
"""

from __future__ import annotations

import collections
import enum
import os
import random
import time
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path

from qlr import __version__
from qlr.link import commands as C
from qlr.link.errors import LinkClosed, LinkDeviceError, LinkError, LinkProtocolError, LinkReset, LinkTimeout
from qlr.link.frame import (
    MAX_FRAME,
    MAX_PAYLOAD,
    Command,
    Decoder,
    Frame,
    Status,
    command_name,
    encode_frame,
    status_name,
)
from qlr.link.transport import ConsoleSink, Transport, open_transport

IDLE_S = 0.2  # silence after which a partial frame in the decoder is abandoned (as the firmware)
MEM_HEADER = C.command("MEM_WRITE").request.size  # u8 level, 3 zero bytes, u32 offset
BULK_MIN = 4096  # writes from this size go through MEM_LOAD where the board reads host files


class MemLevel(enum.IntEnum):
    """Memory levels as in qlr_mem_level_t; the link reaches L2 and L3."""

    L1 = 0
    L2 = 1
    L3 = 2


def parse_level(level: int | str) -> MemLevel:
    """`MemLevel` from 1/2, "l2"/"L3" or a MemLevel; raises LinkError naming the bad value."""
    if isinstance(level, str):
        key = level.strip().upper()
        if key in MemLevel.__members__:
            return MemLevel[key]
        raise LinkError(f"memory level {level!r} is not one of L2, L3")
    try:
        return MemLevel(int(level))
    except ValueError:
        raise LinkError(f"memory level {level!r} is not one of 1 (L2), 2 (L3)") from None


class LinkStats:
    """What happened on the link so far (for diagnostics and tests)."""

    def __init__(self) -> None:
        self.requests = 0  # requests answered
        self.retries = 0  # requests sent again after a timeout
        self.stale = 0  # frames received that answered nothing in flight
        self.timeouts = 0  # requests that got no answer at all
        self.progress = 0  # progress frames (a long request still running)

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


class Link:
    """Talks to a firmware command server over a `Transport`.

    timeout: seconds to wait for each attempt's response; retries: further attempts after a
    timeout. Both can be overridden per call. The device's maximum payload is learnt from INFO
    (fetched on first need) and bounds the chunks of memory transfers.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        timeout: float = 2.0,
        retries: int = 3,
        console: ConsoleSink | None = None,
        seq: int | None = None,
    ) -> None:
        self.transport = transport
        self.timeout = timeout
        self.retries = retries
        self.decoder = Decoder()
        self.stats = LinkStats()
        self.timeout_of_request = timeout
        self.console_sink = console
        self.console: collections.deque[str] = collections.deque(maxlen=2000)
        self._partial_line = ""
        self._seq = random.randrange(0x10000) if seq is None else seq & 0xFFFF
        self._max_payload: int | None = None
        # The emulator's working directory when the board reads host files (MEM_LOAD): bulk
        # writes of at least BULK_MIN bytes go through a file there (MEM_LOAD, MEM_STORE).
        self.bulk_dir: Path | None = None
        self._bulk_checked = False
        self.boot_id: int | None = None  # the device's boot identifier from the first INFO

    @classmethod
    def open(cls, url: str, *, timeout: float = 2.0, retries: int = 3,
             console: ConsoleSink | None = None, **transport_kwargs: object) -> Link:
        """Opens a transport by URL (see qlr.link.transport) and wraps it. `console` also gets
        the side-channel console of an exec: transport (the program's stderr)."""
        if console is not None and url.startswith("exec:"):
            transport_kwargs.setdefault("console", console)
        return cls(open_transport(url, **transport_kwargs), timeout=timeout, retries=retries,
                   console=console)

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> Link:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- request/response ------------------------------------------------------------------

    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) & 0xFFFF
        return self._seq

    def _pump_console(self) -> None:
        raw = self.decoder.take_skipped()
        if not raw:
            return
        text = self._partial_line + raw.decode("utf-8", "replace")
        *lines, self._partial_line = text.split("\n")
        for line in lines:
            line = line.rstrip("\r")
            self.console.append(line)
            if self.console_sink:
                self.console_sink(line)

    def _with_console(self, message: str) -> str:
        tail = self.transport.console_lines()[-8:] or list(self.console)[-8:]
        if tail:
            return message + "; last console lines:" + "".join(f"\n  | {t}" for t in tail)
        return message

    def request(self, cmd: int, payload: bytes = b"", *, timeout: float | None = None,
                retries: int | None = None) -> Frame:
        """Sends a request and returns its OK response frame.

        Raises LinkDeviceError for an error status, LinkTimeout when no response came after
        1 + retries attempts, LinkClosed when the channel closed."""
        timeout = self.timeout if timeout is None else timeout
        retries = self.retries if retries is None else retries
        seq = self._next_seq()
        data = encode_frame(cmd, seq, payload)
        name = command_name(cmd)
        for attempt in range(1 + retries):
            if attempt:
                self.stats.retries += 1
            try:
                # Before a retry, MAX_FRAME zero bytes: they resolve any partial candidate the
                # device may be stuck on (noise that looked like a long header) without relying
                # on its idle timer, so the retried request is parsed from a clean state.
                self.transport.write(bytes(MAX_FRAME) + data if attempt else data)
                self.timeout_of_request = timeout
                response = self._await(cmd, seq, time.monotonic() + timeout)
            except LinkClosed as e:
                raise LinkClosed(self._with_console(f"{name}: {e}")) from None
            if response is not None:
                self.stats.requests += 1
                if response.status != Status.OK:
                    message = response.payload.decode("utf-8", "replace")
                    raise LinkDeviceError(name, response.status, status_name(response.status), message)
                return response
        self.stats.timeouts += 1
        if cmd != Command.INFO:
            self.check_boot(f"{name} got no response")  # a device that rebooted says so
        raise LinkTimeout(self._with_console(
            f"no response to {name} (seq {seq}) on {self.transport.url} after {1 + retries} "
            f"attempt(s) of {timeout:g} s; is the command server running there?"))

    def _await(self, cmd: int, seq: int, deadline: float) -> Frame | None:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                frames = self.decoder.flush()  # a stalled candidate may hide the answer
            else:
                chunk = self.transport.read(min(left, IDLE_S))
                if chunk:
                    frames = self.decoder.feed(chunk)
                elif self.decoder.pending:
                    frames = self.decoder.idle()
                else:
                    frames = []
            self._pump_console()
            for f in frames:
                if f.is_response and f.seq == seq and f.cmd == cmd:
                    if f.status == Status.IN_PROGRESS:  # still running: the timeout bounds silence
                        self.stats.progress += 1
                        deadline = time.monotonic() + self.timeout_of_request
                        continue
                    return f
                self.stats.stale += 1
            if left <= 0:
                return None

    def resync(self, settle: float = 0.05) -> None:
        """Forces both parsers back to a frame boundary: sends MAX_FRAME zero bytes (no sync
        word, so the device's parser resolves and drops any partial candidate, whatever length
        its header claimed) and then drops whatever the host has buffered after `settle` s."""
        self.transport.write(bytes(MAX_FRAME))
        deadline = time.monotonic() + settle
        while (left := deadline - time.monotonic()) > 0:
            chunk = self.transport.read(left)
            if chunk:
                self.decoder.feed(chunk)
        self.stats.stale += len(self.decoder.flush())
        self._pump_console()

    # ---- commands ---------------------------------------------------------------------------

    def ping(self, payload: bytes | None = None, *, timeout: float | None = None) -> float:
        """Echo test; returns the round trip in seconds. Raises LinkProtocolError on a bad echo."""
        if payload is None:
            payload = os.urandom(16)
        t0 = time.monotonic()
        echo = self.request(Command.PING, payload, timeout=timeout).payload
        rtt = time.monotonic() - t0
        if echo != payload:
            raise LinkProtocolError(f"PING echoed {len(echo)} bytes that differ from the {len(payload)} sent")
        return rtt

    def info(self) -> dict[str, object]:
        """Board name, platform, firmware version, team size, memory sizes, counter unit."""
        cmd = C.command("INFO")
        p = self.request(cmd.code).payload
        f = cmd.unpack_reply(p)
        strings = p[cmd.reply.size:].split(b"\0")
        if len(strings) < 5:  # four NUL-terminated strings leave a fifth, empty, piece
            raise LinkProtocolError(f"INFO: reply has {len(strings) - 1} strings, the protocol says 4")
        board, platform, firmware, unit = (s.decode("utf-8", "replace") for s in strings[:4])
        if not 16 < f["max_payload"] <= MAX_PAYLOAD:
            raise LinkProtocolError(f"INFO: max_payload={f['max_payload']} is outside 17..{MAX_PAYLOAD}")
        self._max_payload = f["max_payload"]
        if self.boot_id is None:
            self.boot_id = int(f["boot_id"])
        return {
            "board": board, "platform": platform, "firmware": firmware, "protocol": f["protocol"],
            "max_payload": f["max_payload"], "team_max": f["team_max"],
            "l1_size": f["l1_size"], "l2_size": f["l2_size"], "l3_size": f["l3_size"],
            "l2_window": f["l2_window"], "l3_window": f["l3_window"], "counter": f["counter"], "counter_unit": unit,
            "boot_id": f["boot_id"],
        }

    def check_boot(self, what: str = "") -> None:
        """Asks INFO (briefly) whether the device rebooted since the first INFO; raises LinkReset
        if its boot identifier changed. Silent when the device does not answer or no INFO was
        asked before (nothing to compare). After a LinkReset the new boot is the one compared."""
        if self.boot_id is None:
            return
        before = self.boot_id
        try:
            p = self.request(Command.INFO, timeout=min(self.timeout, 2.0), retries=1).payload
            now = int(C.command("INFO").unpack_reply(p)["boot_id"])
        except LinkError:
            return
        if now != before:
            self.boot_id = now  # told once: the caller restores the device's state
            raise LinkReset(self._with_console(
                f"the device on {self.transport.url} rebooted (boot id {before:08x} -> {now:08x})"
                + (f": {what}" if what else "") + "; its state is gone"), before, now)

    @property
    def max_payload(self) -> int:
        """The device's maximum payload (asks INFO the first time)."""
        if self._max_payload is None:
            self.info()
        assert self._max_payload is not None
        return self._max_payload

    @staticmethod
    def _check_range(offset: int, n: int) -> None:
        if offset < 0 or n < 0 or offset > 0xFFFFFFFF or offset + n > 0xFFFFFFFF + 1:
            raise LinkError(f"memory range offset={offset} length={n} is outside 0..2^32")

    def _mem_request(self, cmd: Command, lvl: MemLevel, offset: int, n: int, extra: bytes,
                     timeout: float | None = None) -> Frame:
        """A MEM_* request (`extra`: the payload after level and offset); device errors are
        re-raised naming the level and range."""
        head = C.command("MEM_WRITE").request.pack(level=int(lvl), offset=offset)
        try:
            return self.request(cmd, head + extra, timeout=timeout)
        except LinkDeviceError as e:
            raise LinkDeviceError(e.command, e.status, e.status_name,
                                  f"{e.device_message} ({lvl.name} offset 0x{offset:x}, {n} bytes)") from None

    def mem_write(self, level: int | str, offset: int, data: bytes,
                  progress: Callable[[int], None] | None = None) -> None:
        """Writes `data` at `offset` of the level's window, in chunks of max_payload - 8."""
        lvl = parse_level(level)
        data = bytes(data)
        self._check_range(offset, len(data))
        if len(data) >= BULK_MIN and self.bulk_ready() and self._mem_load(lvl, offset, data):
            if progress:
                progress(len(data))
            return
        step = self.max_payload - MEM_HEADER
        for i in range(0, len(data), step):
            part = data[i:i + step]
            self._mem_request(Command.MEM_WRITE, lvl, offset + i, len(part), part)
            if progress:
                progress(len(part))

    def bulk_ready(self) -> bool:
        """Whether the bulk path works: once per link, an empty file in `bulk_dir` is loaded with
        a zero-length MEM_LOAD, which touches no memory. It fails where the emulator's working
        directory is not `bulk_dir` (an emulator started by labgrid) or the board has no host
        file channel; then `bulk_dir` is cleared and transfers go through frames."""
        if self.bulk_dir is None:
            return False
        if self._bulk_checked:
            return True
        name = f"bulk-probe-{os.getpid()}.bin"
        path = self.bulk_dir / name
        head = C.command("MEM_LOAD").request.pack(level=int(MemLevel.L2), offset=0, length=0, position=0)
        try:
            path.write_bytes(b"")
            self.request(Command.MEM_LOAD, head + name.encode("ascii"))
            self._bulk_checked = True
        except (LinkDeviceError, OSError):
            self.bulk_dir = None
        finally:
            path.unlink(missing_ok=True)
        return self.bulk_dir is not None

    def _mem_load(self, lvl: MemLevel, offset: int, data: bytes) -> bool:
        """`data` through a file in `bulk_dir` and MEM_LOAD; False (and no more tries) when the
        firmware has no host file channel. The device's CRC of what it loaded must be ours."""
        assert self.bulk_dir is not None
        name = f"bulk-{os.getpid()}-{self._seq:04x}.bin"
        path = self.bulk_dir / name
        path.write_bytes(data)
        head = C.command("MEM_LOAD").request.pack(level=int(lvl), offset=offset, length=len(data), position=0)
        try:
            reply = self.request(Command.MEM_LOAD, head + name.encode("ascii"),
                                 timeout=self.timeout + len(data) / 2e6)  # >= 2 MB/s on every emulator
        except LinkDeviceError as e:
            if e.status in (Status.E_UNSUPPORTED, Status.E_COMMAND):
                self.bulk_dir = None
                return False
            raise LinkDeviceError(e.command, e.status, e.status_name,
                                  f"{e.device_message} ({lvl.name} offset 0x{offset:x}, {len(data)} bytes from "
                                  f"{path})") from None
        finally:
            path.unlink(missing_ok=True)
        crc = int(C.command("MEM_LOAD").unpack_reply(reply.payload)["crc"])
        if crc != zlib.crc32(data):
            raise LinkProtocolError(f"MEM_LOAD of {len(data)} bytes at {lvl.name}+0x{offset:x}: the device "
                                    f"loaded CRC 0x{crc:08x}, the data has 0x{zlib.crc32(data):08x}")
        return True

    def _mem_store(self, lvl: MemLevel, offset: int, n: int) -> bytes | None:
        """`n` bytes through MEM_STORE and a file in `bulk_dir`; None (and no more tries) when
        the firmware has no host file channel. The file must hold exactly the CRC the device sent."""
        assert self.bulk_dir is not None
        name = f"bulk-{os.getpid()}-{self._seq:04x}.out"
        path = self.bulk_dir / name
        head = C.command("MEM_STORE").request.pack(level=int(lvl), offset=offset, length=n)
        try:
            reply = self.request(Command.MEM_STORE, head + name.encode("ascii"), timeout=self.timeout + n / 2e6)
            crc = int(C.command("MEM_STORE").unpack_reply(reply.payload)["crc"])
            data = path.read_bytes()
        except LinkDeviceError as e:
            if e.status in (Status.E_UNSUPPORTED, Status.E_COMMAND):
                self.bulk_dir = None
                return None
            raise LinkDeviceError(e.command, e.status, e.status_name,
                                  f"{e.device_message} ({lvl.name} offset 0x{offset:x}, {n} bytes to {path})") from None
        except OSError as e:
            raise LinkError(f"MEM_STORE of {n} bytes at {lvl.name}+0x{offset:x}: cannot read {path} ({e.strerror})") from None
        finally:
            path.unlink(missing_ok=True)
        if len(data) != n or zlib.crc32(data) != crc:
            raise LinkProtocolError(f"MEM_STORE of {n} bytes at {lvl.name}+0x{offset:x}: the file holds {len(data)} "
                                    f"bytes with CRC 0x{zlib.crc32(data):08x}, the device sent 0x{crc:08x}")
        return data

    def mem_read(self, level: int | str, offset: int, n: int,
                 progress: Callable[[int], None] | None = None) -> bytes:
        """Reads `n` bytes at `offset` of the level's window, in chunks of max_payload."""
        lvl = parse_level(level)
        self._check_range(offset, n)
        if n >= BULK_MIN and self.bulk_ready():
            got = self._mem_store(lvl, offset, n)
            if got is not None:
                if progress:
                    progress(n)
                return got
        step = self.max_payload
        out = bytearray()
        for i in range(0, n, step):
            k = min(step, n - i)
            got = self._mem_request(Command.MEM_READ, lvl, offset + i, k, _length(k)).payload
            if len(got) != k:
                raise LinkProtocolError(f"MEM_READ at {lvl.name}+{offset + i} returned {len(got)} bytes, asked {k}")
            out += got
            if progress:
                progress(k)
        return bytes(out)

    def mem_crc(self, level: int | str, offset: int, n: int, timeout: float | None = None) -> int:
        """CRC-32 (zlib) of `n` bytes at `offset`, computed on the device."""
        lvl = parse_level(level)
        self._check_range(offset, n)
        if timeout is None:
            timeout = self.timeout + n / 1e6  # generous: ~1 MB/s even on an emulator
        p = self._mem_request(Command.MEM_CRC, lvl, offset, n, _length(n), timeout).payload
        return int(C.command("MEM_CRC").unpack_reply(p)["crc"])

    def selftest(self, name: str | None = None, *, timeout: float = 120.0, retries: int = 1) -> dict[str, object]:
        """Runs a named self-test (None or "all": every one) and returns its counts; "ok" means
        no check failed and at least one passed."""
        try:
            raw = (name or "").encode("ascii")
        except UnicodeEncodeError:
            raise LinkError(f"self-test name {name!r} is not ASCII") from None
        p = self.request(Command.SELFTEST, raw, timeout=timeout, retries=retries).payload
        f = C.command("SELFTEST").unpack_reply(p)
        return {"name": name or "all", "passed": f["passed"], "failed": f["failed"], "counter": f["counter"],
                "ok": f["failed"] == 0 and f["passed"] > 0}

    def exit(self, status: int = 0, *, timeout: float | None = None) -> None:
        """Asks the firmware to reply and then exit with `status` (one attempt, no retry)."""
        if not -(2**31) <= status < 2**31:
            raise LinkError(f"exit status {status} does not fit an i32")
        self.request(Command.EXIT, C.command("EXIT").request.pack(status=status), timeout=timeout, retries=0)


def check_firmware_version(info: dict[str, object], host_version: str | None = None) -> None:
    """Raises LinkError when the firmware's version (INFO) is not this host package's: the two
    are built from one description of every command and op, so a firmware of another version
    may lay them out differently."""
    want = __version__ if host_version is None else host_version
    got = str(info.get("firmware", ""))
    if got != want:
        raise LinkError(f"the firmware on {info.get('board', 'the board')} is version {got or '?'} and this host "
                        f"is qlr {want}: rebuild the firmware from this tree (scons board=...) or use the host "
                        "package it was built with")


def _length(n: int) -> bytes:
    """The u32 length that follows level and offset in MEM_READ and MEM_CRC."""
    mem_read = C.command("MEM_READ").request
    return mem_read.pack(level=0, offset=0, length=n)[mem_read.offset("length"):]


def open_device_link(device: object, **kwargs: object) -> Link:
    """A Link to a board started by the runner (`qlr.boards.runner.start(..., link=True)`):
    opens `device.link_url`; for `semihost:` it also watches the simulator's process, so a
    simulator that dies is reported as a closed link instead of a timeout."""
    url = getattr(device, "link_url", None)
    if not url:
        raise LinkError("the device was not started with its link (start(..., link=True))")
    proc = getattr(device, "proc", None)
    if url.startswith("semihost:") and proc is not None:
        kwargs.setdefault("alive", lambda: proc.poll() is None)
    # The keyword arguments are Link.open's and its transport's (checked when they are called).
    link = Link.open(url, **kwargs)  # type: ignore[arg-type]
    workdir = getattr(device, "workdir", None)
    if isinstance(workdir, Path):
        link.bulk_dir = workdir  # the emulator reads host files there (MEM_LOAD)
    return link


def info_int(info: Mapping[str, object], key: str) -> int:
    """An integer field of an INFO reply (`Link.info`); LinkProtocolError when it is missing or
    not an integer."""
    v = info.get(key)
    if not isinstance(v, int):
        raise LinkProtocolError(f"INFO: field {key!r} is {v!r}, not an integer")
    return v

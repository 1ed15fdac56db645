"""Link frames: constants, the encoder and an incremental decoder that resynchronises after
garbage. It mirrors firmware/link/frame.c byte for byte (the tests feed both the same streams
and compare); docs/link-protocol.md is the specification.

Frame layout (integers little-endian)::

    0  sync 0xF5 0x51    2  version (1)    3  command    4  flags    5  status
    6  seq (u16)         8  payload length (u16, <= 1024)
    10 header check: low 16 bits of CRC-32 over bytes 0..9
    12 payload           12+length  CRC-32 over bytes 0..11+length (u32)
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field

from qlr.link.commands import BY_CODE
from qlr.link.crc import crc32, header_check

VERSION = 1
SYNC = b"\xf5\x51"
SYNC0, SYNC1 = SYNC[0], SYNC[1]
HEADER_SIZE = 12
CRC_SIZE = 4
MAX_PAYLOAD = 1024
MAX_FRAME = HEADER_SIZE + MAX_PAYLOAD + CRC_SIZE
OVERHEAD = HEADER_SIZE + CRC_SIZE

FLAG_RESPONSE = 0x01
FLAGS_KNOWN = FLAG_RESPONSE

_HEAD = struct.Struct("<2sBBBBHH")  # sync, version, cmd, flags, status, seq, len (10 bytes)


class Command(enum.IntEnum):
    """The base command codes (header byte 3), as in qlr.link.commands (a test compares them).
    0x40..0x7F are left for applications."""

    PING = 0x01
    INFO = 0x02
    EXIT = 0x03
    MEM_WRITE = 0x10
    MEM_READ = 0x11
    MEM_CRC = 0x12
    MEM_LOAD = 0x13
    MEM_STORE = 0x14
    SELFTEST = 0x20


class Status(enum.IntEnum):
    """Response status (header byte 5); an error response's payload is a UTF-8 message."""

    OK = 0
    E_COMMAND = 1
    E_LENGTH = 2
    E_ARGUMENT = 3
    E_LEVEL = 4
    E_RANGE = 5
    E_NOT_FOUND = 6
    E_DEVICE = 7
    IN_PROGRESS = 8  # not an answer: a progress frame of a request still running
    E_UNSUPPORTED = 9


def command_name(cmd: int) -> str:
    """`PING`, `KERNEL_RUN`, ... (qlr.link.commands), or `0x7e` for a code no command has."""
    c = BY_CODE.get(cmd)
    return c.name if c is not None else f"0x{cmd:02x}"


def status_name(status: int) -> str:
    try:
        return Status(status).name
    except ValueError:
        return f"status {status}"


@dataclass(frozen=True)
class Frame:
    """One decoded or to-be-encoded frame. `crc` is the trailing CRC-32 of a decoded frame."""

    cmd: int
    seq: int
    payload: bytes = b""
    flags: int = 0
    status: int = 0
    version: int = VERSION
    crc: int | None = field(default=None, compare=False)

    @property
    def is_response(self) -> bool:
        return bool(self.flags & FLAG_RESPONSE)

    def encode(self) -> bytes:
        return encode_frame(self.cmd, self.seq, self.payload, flags=self.flags, status=self.status)


def encode_frame(cmd: int, seq: int, payload: bytes = b"", *, flags: int = 0, status: int = 0) -> bytes:
    """The bytes of a frame. Raises ValueError naming the field that does not fit."""
    payload = bytes(payload)
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"frame payload is {len(payload)} bytes, the maximum is {MAX_PAYLOAD}")
    for name, value, top in (("cmd", cmd, 0xFF), ("status", status, 0xFF), ("seq", seq, 0xFFFF)):
        if not 0 <= value <= top:
            raise ValueError(f"frame field {name}={value} is outside 0..{top}")
    if flags & ~FLAGS_KNOWN or flags < 0:
        raise ValueError(f"frame field flags=0x{flags:x} has bits this version does not define")
    head = _HEAD.pack(SYNC, VERSION, cmd, flags, status, seq, len(payload))
    body = head + struct.pack("<H", header_check(head)) + payload
    return body + struct.pack("<I", crc32(body))


def _candidate_size(buf: bytearray, pos: int) -> int | None:
    """Size of the frame whose full header starts at buf[pos], or None if the header is invalid.
    Checks sync, version, flags, the length bound and the header check, in that order."""
    sync, version, _cmd, flags, _status, _seq, length = _HEAD.unpack_from(buf, pos)
    if sync != SYNC or version != VERSION or flags & ~FLAGS_KNOWN or length > MAX_PAYLOAD:
        return None
    (check,) = struct.unpack_from("<H", buf, pos + 10)
    if check != header_check(buf[pos : pos + 10]):
        return None
    return HEADER_SIZE + length + CRC_SIZE


@dataclass
class DecoderStats:
    """Counters as in the firmware's qlr_frame_stats_t."""

    frames: int = 0
    dropped: int = 0
    bad_header: int = 0
    bad_crc: int = 0
    abandoned: int = 0


class Decoder:
    """Incremental frame decoder with resynchronisation.

    Bytes that are not part of an accepted frame (console text sharing the wire, line noise,
    corrupted frames) are counted as dropped and the last `keep_skipped` of them are kept in
    `skipped` so that callers can show console output. When a candidate frame fails (bad header,
    bad CRC) only its first byte is dropped and everything after it is scanned again, so a valid
    frame behind garbage or behind a truncated frame is still found.
    """

    def __init__(self, keep_skipped: int = 1 << 16) -> None:
        self._buf = bytearray()
        self._pos = 0
        self._need = 0
        self._keep = keep_skipped
        self.skipped = bytearray()
        self.stats = DecoderStats()

    @property
    def pending(self) -> int:
        """Bytes buffered but not yet resolved into a frame or garbage."""
        return len(self._buf) - self._pos

    def feed(self, data: bytes | bytearray | memoryview) -> list[Frame]:
        """Adds received bytes and returns the frames they complete, in order."""
        self._buf += data
        return self._drain()

    def idle(self) -> list[Frame]:
        """The line went quiet mid-candidate: abandon it (drop its first byte) and rescan."""
        if self.pending:
            self.stats.abandoned += 1
            self._drop(1)
        return self._drain()

    def flush(self) -> list[Frame]:
        """Resolves everything buffered, abandoning stalled candidates one by one."""
        frames = self._drain()
        while self.pending:
            frames += self.idle()
        return frames

    def take_skipped(self) -> bytes:
        """Returns and clears the kept dropped bytes."""
        out = bytes(self.skipped)
        self.skipped.clear()
        return out

    def _drop(self, k: int) -> None:
        self.stats.dropped += k
        if self._keep:
            self.skipped += self._buf[self._pos : self._pos + k]
            if len(self.skipped) > self._keep:
                del self.skipped[: len(self.skipped) - self._keep]
        self._pos += k
        self._need = 0

    def _drain(self) -> list[Frame]:
        frames: list[Frame] = []
        buf = self._buf
        while True:
            pos = self._pos
            n = len(buf) - pos
            if n == 0:
                break
            if buf[pos] != SYNC0:
                i = buf.find(SYNC0, pos + 1)
                self._drop((len(buf) if i < 0 else i) - pos)
                continue
            if n < 2:
                break
            if buf[pos + 1] != SYNC1:
                self._drop(1)
                continue
            if not self._need:
                if n < HEADER_SIZE:
                    break
                need = _candidate_size(buf, pos)
                if need is None:
                    self.stats.bad_header += 1
                    self._drop(1)
                    continue
                self._need = need
            need = self._need
            if n < need:
                break
            end = pos + need - CRC_SIZE
            (crc,) = struct.unpack_from("<I", buf, end)
            if crc32(buf[pos:end]) != crc:
                self.stats.bad_crc += 1
                self._drop(1)
                continue
            _s, version, cmd, flags, status, seq, _len = _HEAD.unpack_from(buf, pos)
            frames.append(Frame(cmd, seq, bytes(buf[pos + HEADER_SIZE : end]), flags, status, version, crc))
            self.stats.frames += 1
            self._pos += need
            self._need = 0
        # Compact: keep only the unresolved tail.
        if self._pos:
            del buf[: self._pos]
            self._pos = 0
        return frames

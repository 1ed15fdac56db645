"""The plan as the device receives it: a little-endian binary table the CL firmware reads at
CL_SETUP and obeys (every buffer it uses is one of these allocations; docs/memory.md).

Layout (all integers little-endian; the host writes it into the L2 window and names it in
CL_SETUP; the firmware copies and checks it before it places anything):

    header, HEADER_BYTES bytes:
      u32 magic 'QLRP'   u16 version   u16 header_bytes   u32 total_bytes (CRC included)
      u32 entries        u32 ub        u32 mb             u32 n_lr       u32 q_lr
      u32 n_new          u32 epochs    u32 n_eval         u32 stage_bytes
      u32 row_bytes      u32 flags (bit 0: one LR scale per channel)    u32 0    u32 0 (reserved)
    entries, each ENTRY_BYTES bytes plus its name (zero-padded to a multiple of 4):
      u8 level (0 L1, 1 L2, 2 L3)   u8 category   u8 phase   u8 flags (bit 0: streamed)
      u32 offset (from the level's window start)   u32 size   u16 name_bytes   u16 0
    u32 CRC-32 of everything before it

Categories and phases are indices into `CATEGORIES` and `PHASES`.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from qlr.cl.plan.model import CATEGORIES, LEVELS, PHASES, Allocation, MemoryPlan
from qlr.errors import QlrError

MAGIC = 0x50524C51  # "QLRP"
VERSION = 1
HEADER = struct.Struct("<IHHIIIIIIIIIIIIII")
HEADER_BYTES = HEADER.size  # 64
ENTRY = struct.Struct("<BBBBIIHH")
ENTRY_BYTES = ENTRY.size  # 16
FLAG_PER_CHANNEL = 1
FLAG_STREAMED = 1
NAME_MAX = 63


@dataclass(frozen=True)
class DevicePlan:
    """A decoded device plan (what the firmware sees)."""

    ub: int
    mb: int
    n_lr: int
    q_lr: int
    n_new: int
    epochs: int
    n_eval: int
    stage_bytes: int
    row_bytes: int
    per_channel: bool
    allocations: tuple[Allocation, ...]


def encoded_size(names: list[str]) -> int:
    """Bytes of the encoded plan with allocations of these names."""
    return HEADER_BYTES + sum(ENTRY_BYTES + len(n) + (-len(n) % 4) for n in names) + 4


def encode_plan(plan: MemoryPlan) -> bytes:
    """The device's binary form of `plan` (it must fit: a device never gets a plan that does not)."""
    if not plan.fits():
        raise QlrError(f"the plan for {plan.board} does not fit; it cannot be sent to the device")
    room = next((a.size for a in plan.allocations if a.name == "plan"), None)
    c = plan.config
    body = bytearray()
    for a in plan.allocations:
        name = a.name.encode("ascii")
        if len(name) > NAME_MAX:
            raise QlrError(f"plan allocation name {a.name!r} is longer than {NAME_MAX} bytes")
        body += ENTRY.pack(LEVELS.index(a.level), CATEGORIES.index(a.category), PHASES.index(a.phase),
                           FLAG_STREAMED if a.streamed else 0, a.offset, a.size, len(name), 0)
        body += name + bytes(-len(name) % 4)
    total = HEADER_BYTES + len(body) + 4
    head = HEADER.pack(MAGIC, VERSION, HEADER_BYTES, total, len(plan.allocations), plan.ub, c.mb, c.n_lr, c.q_lr,
                       c.n_new, c.epochs, c.n_eval, plan.stage_bytes, plan.lr_row_bytes,
                       FLAG_PER_CHANNEL if c.per_channel else 0, 0, 0)
    blob = head + bytes(body)
    blob += struct.pack("<I", zlib.crc32(blob))
    if room is not None and len(blob) > room:
        raise QlrError(f"the plan encodes to {len(blob)} bytes, more than its own allocation of {room}")
    return blob


def decode_plan(blob: bytes) -> DevicePlan:
    """Reads a device plan, checking everything the firmware checks (a mirror of its reader)."""
    if len(blob) < HEADER_BYTES + 4:
        raise QlrError(f"plan: {len(blob)} bytes, shorter than its header")
    (magic, version, hbytes, total, count, ub, mb, n_lr, q_lr, n_new, epochs, n_eval, stage, row, flags,
     _, _) = HEADER.unpack_from(blob)
    if magic != MAGIC or version != VERSION or hbytes != HEADER_BYTES:
        raise QlrError(f"plan: magic/version/header 0x{magic:08x}/{version}/{hbytes}, expected "
                       f"0x{MAGIC:08x}/{VERSION}/{HEADER_BYTES}")
    if total != len(blob):
        raise QlrError(f"plan: header says {total} bytes, got {len(blob)}")
    (crc,) = struct.unpack_from("<I", blob, total - 4)
    if crc != zlib.crc32(blob[: total - 4]):
        raise QlrError("plan: CRC mismatch")
    allocs = []
    pos = HEADER_BYTES
    for i in range(count):
        if pos + ENTRY_BYTES > total - 4:
            raise QlrError(f"plan: entry {i} runs past the end")
        level, cat, phase, eflags, off, size, nlen, _ = ENTRY.unpack_from(blob, pos)
        pos += ENTRY_BYTES
        if level >= len(LEVELS) or cat >= len(CATEGORIES) or phase >= len(PHASES) or nlen > NAME_MAX \
                or pos + nlen > total - 4:
            raise QlrError(f"plan: entry {i} has a bad level, category, phase or name length")
        name = blob[pos:pos + nlen].decode("ascii")
        pos += nlen + (-nlen % 4)
        allocs.append(Allocation(LEVELS[level], name, CATEGORIES[cat], off, size, 64, PHASES[phase],
                                 bool(eflags & FLAG_STREAMED)))
    if pos != total - 4:
        raise QlrError(f"plan: {total - 4 - pos} bytes after the last entry")
    return DevicePlan(ub, mb, n_lr, q_lr, n_new, epochs, n_eval, stage, row, bool(flags & FLAG_PER_CHANNEL),
                      tuple(allocs))

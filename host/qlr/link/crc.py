"""CRC-32 of the link: the zlib/PNG/Ethernet CRC (reflected polynomial 0xEDB88320, preset and
final xor 0xFFFFFFFF), so it is `zlib.crc32`. The firmware's `qlr_crc32` computes the same
value; tests check one against the other."""

from __future__ import annotations

import zlib

POLYNOMIAL_REFLECTED = 0xEDB88320


def crc32(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """CRC-32 of `data`, continuing from a previous `crc` (0 to start), as zlib chains it."""
    return zlib.crc32(data, crc) & 0xFFFFFFFF


def header_check(header10: bytes | bytearray | memoryview) -> int:
    """The header check of a frame: the low 16 bits of the CRC-32 of header bytes 0..9."""
    if len(header10) != 10:
        raise ValueError(f"header check covers 10 bytes, got {len(header10)}")
    return crc32(header10) & 0xFFFF

"""Host side of the CL firmware's image and front-end commands (firmware/app/cl/image_commands.h).

    summary = open_image(link, image_bytes, offset=0)      # MEM_WRITE + CL_IMAGE_OPEN
    latents, counter = run_frontend(link, images_u8, image=summary, cores=8, q_bits=0)

`open_image` writes the image into the device's L2 window at ``offset`` (a multiple of 64) and has
the firmware validate it (every rule of docs/image-format.md, the same as `qlr.image.decode_image`);
a rejected image raises `QlrImageError` with the device's diagnosis, which names the field and the
section (index, name, type, group) or layer at fault. `run_frontend` places the input images, the
output rows and the scratch after the image (or where told), runs the int8 front-end on the device
and reads the latents back: ``q_bits=0`` the u8 latents ``[N, H, W, C]``; ``q_bits`` 1..8 the Q-bit
codes (``m`` from the image's LR_CODE_MAX, else 255), one byte per code ``[N, H, W, C]``, or packed
rows ``[N, ceil(E*Q/8)]`` with ``pack=True``. The counter is the device's (cycles, or instructions
under QEMU) for the run alone.

`device_pack` / `device_unpack` / `device_dequantize` exercise the firmware's LR packing
(firmware/cl/latent_quant.c) on arrays; they exist for tests and measurements.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qlr.errors import QlrError
from qlr.image.format import QlrImageError
from qlr.link import Link, LinkDeviceError
from qlr.link.commands import Command, command

IMAGE_OPEN, FRONTEND = command("CL_IMAGE_OPEN"), command("CL_FRONTEND")
LATENT_PACK, LATENT_UNPACK = command("CL_LATENT_PACK"), command("CL_LATENT_UNPACK")
ALIGN = 64
SUMMARY_FIELDS = tuple(f.name for f in IMAGE_OPEN.reply.fields)


def _up(v: int) -> int:
    return (v + ALIGN - 1) // ALIGN * ALIGN


def _request(link: Link, cmd: Command, payload: bytes, timeout: float | None = None) -> dict[str, Any]:
    """Sends `cmd` and returns its reply's fields (a refusal or a malformed reply: QlrError
    naming the command)."""
    try:
        p = link.request(cmd.code, payload, timeout=timeout).payload
    except LinkDeviceError as e:
        raise QlrError(f"{cmd.name}: {e.device_message or e.status_name}") from None
    return cmd.unpack_reply(p)


def open_image(link: Link, image: bytes, offset: int = 0, *, timeout: float | None = None) -> dict[str, Any]:
    """Write ``image`` at L2 ``offset`` and open it on the device; return its summary.

    Keys: SUMMARY_FIELDS (counts, input and latent shapes, LR geometry, ``frontend_scratch``: the
    scratch bytes CL_FRONTEND needs for a full team) plus ``offset``. Raises QlrImageError with the
    device's diagnosis when the firmware rejects the image.
    """
    if offset < 0 or offset % ALIGN:
        raise QlrError(f"image offset {offset} must be a non-negative multiple of {ALIGN}")
    data = bytes(image)
    link.mem_write("L2", offset, data)
    try:
        p = link.request(IMAGE_OPEN.code, IMAGE_OPEN.request.pack(offset=offset, size=len(data)),
                         timeout=timeout).payload
    except LinkDeviceError as e:
        raise QlrImageError(f"the device rejected the image: {e.device_message or e.status_name}") from None
    out: dict[str, Any] = IMAGE_OPEN.unpack_reply(p)
    out["offset"] = offset
    return out


def frontend_row_bytes(summary: dict[str, Any], q_bits: int, pack: bool) -> int:
    """Bytes of one output row of CL_FRONTEND."""
    e = int(summary["latent_elements"])
    return -(-e * q_bits // 8) if (q_bits and pack) else e


def run_frontend(
    link: Link,
    images: np.ndarray,
    *,
    image: dict[str, Any],
    cores: int = 1,
    q_bits: int = 0,
    pack: bool = False,
    work_offset: int | None = None,
    scratch_size: int | None = None,
    timeout: float = 120.0,
) -> tuple[np.ndarray, int]:
    """Run the open image's front-end on ``images`` (uint8 ``[N, H, W, C]``); return (rows, counter).

    ``image`` is the summary `open_image` returned. Images, output and scratch are laid out from
    ``work_offset`` (default: after the image), each 64-byte aligned; ``scratch_size`` defaults to
    the size the device reported.
    """
    x = np.ascontiguousarray(images)
    shape = (int(image["in_h"]), int(image["in_w"]), int(image["in_c"]))
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[1:] != shape:
        raise QlrError(f"front-end input must be uint8 [N, {shape[0]}, {shape[1]}, {shape[2]}], got {x.dtype} {x.shape}")
    if not 0 <= q_bits <= 8 or (pack and not q_bits):
        raise QlrError(f"q_bits must be 0..8 (pack needs 1..8), got q_bits={q_bits} pack={pack}")
    n = x.shape[0]
    row = frontend_row_bytes(image, q_bits, pack)
    scratch = int(image["frontend_scratch"]) if scratch_size is None else int(scratch_size)
    off_images = _up(image["offset"] + image["size"]) if work_offset is None else int(work_offset)
    off_out = _up(off_images + x.nbytes)
    off_scratch = _up(off_out + n * row)
    link.mem_write("L2", off_images, x.tobytes())
    payload = FRONTEND.request.pack(images=off_images, count=n, out=off_out, scratch=off_scratch,
                                    scratch_size=scratch, cores=cores, q_bits=q_bits, pack=int(pack))
    counter = int(_request(link, FRONTEND, payload, timeout)["counter"])
    raw = np.frombuffer(link.mem_read("L2", off_out, n * row), dtype=np.uint8)
    if q_bits and pack:
        return raw.reshape(n, row).copy(), counter
    return raw.reshape((n, int(image["latent_h"]), int(image["latent_w"]), int(image["latent_c"]))).copy(), counter


def device_pack(link: Link, codes: np.ndarray, bits: int, offset: int = 0) -> np.ndarray:
    """Pack ``codes`` (uint8 ``[rows, E]``) on the device; return the rows ``[rows, ceil(E*Q/8)]``."""
    c = np.ascontiguousarray(codes, dtype=np.uint8)
    rows, e = c.shape
    row = -(-e * bits // 8)
    off_out = _up(offset + c.nbytes)
    link.mem_write("L2", offset, c.tobytes())
    r = _request(link, LATENT_PACK, LATENT_PACK.request.pack(codes=offset, rows=rows, elements=e, out=off_out,
                                                            bits=bits))
    if r["row_bytes"] != row:
        raise QlrError(f"CL_LATENT_PACK row size {r['row_bytes']}, expected {row}")
    return np.frombuffer(link.mem_read("L2", off_out, rows * row), dtype=np.uint8).reshape(rows, row).copy()


def _unpack_request(rows_at: int, rows: int, elements: int, out: int, bits: int, mode: int, *, first: int = 0,
                    count: int = 0, scales: int = 0, scale_count: int = 0, channels: int = 0) -> bytes:
    return LATENT_UNPACK.request.pack(rows_at=rows_at, rows=rows, elements=elements, out=out, first=first, count=count,
                                      scales=scales, scale_count=scale_count, channels=channels, bits=bits, mode=mode)


def device_unpack(link: Link, packed: np.ndarray, bits: int, elements: int, offset: int = 0) -> np.ndarray:
    """Unpack rows (uint8 ``[rows, ceil(E*Q/8)]``) on the device into codes ``[rows, E]``."""
    pk = np.ascontiguousarray(packed, dtype=np.uint8)
    rows = pk.shape[0]
    off_out = _up(offset + pk.nbytes)
    link.mem_write("L2", offset, pk.tobytes())
    _request(link, LATENT_UNPACK, _unpack_request(offset, rows, elements, off_out, bits, 0))
    return np.frombuffer(link.mem_read("L2", off_out, rows * elements), dtype=np.uint8).reshape(rows, elements).copy()


def device_dequantize(link: Link, packed: np.ndarray, bits: int, elements: int, scale: np.ndarray,
                      channels: int, first: int = 0, count: int | None = None, offset: int = 0) -> np.ndarray:
    """Dequantize elements [first, first + count) of packed rows on the device: float32 ``[rows, count]``."""
    pk = np.ascontiguousarray(packed, dtype=np.uint8)
    s = np.ascontiguousarray(np.atleast_1d(scale), dtype="<f4")
    rows = pk.shape[0]
    count = elements - first if count is None else count
    off_scale = _up(offset + pk.nbytes)
    off_out = _up(off_scale + s.nbytes)
    link.mem_write("L2", offset, pk.tobytes())
    link.mem_write("L2", off_scale, s.tobytes())
    _request(link, LATENT_UNPACK, _unpack_request(offset, rows, elements, off_out, bits, 1, first=first, count=count,
                                                  scales=off_scale, scale_count=s.size, channels=channels))
    raw = link.mem_read("L2", off_out, rows * count * 4)
    return np.frombuffer(raw, dtype="<f4").reshape(rows, count).copy()

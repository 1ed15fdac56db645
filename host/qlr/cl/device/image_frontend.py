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

import struct
from typing import Any

import numpy as np

from qlr.errors import QlrError
from qlr.image.format import QlrImageError
from qlr.link import Link, LinkDeviceError

CMD_CL_IMAGE_OPEN = 0x50
CMD_CL_FRONTEND = 0x51
CMD_CL_LATENT_PACK = 0x52
CMD_CL_LATENT_UNPACK = 0x53
ALIGN = 64

SUMMARY_FIELDS = (
    "sections", "layers", "front", "back", "in_h", "in_w", "in_c", "latent_h", "latent_w", "latent_c",
    "latent_elements", "classes", "lr_count", "lr_bits", "lr_scale_count", "lr_code_max_count",
    "lr_row_bytes", "batches", "frontend_scratch", "size",
)


def _up(v: int) -> int:
    return (v + ALIGN - 1) // ALIGN * ALIGN


def _request(link: Link, cmd: int, payload: bytes, what: str, timeout: float | None = None) -> bytes:
    try:
        return link.request(cmd, payload, timeout=timeout).payload
    except LinkDeviceError as e:
        raise QlrError(f"{what}: {e.device_message or e.status_name}") from None


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
        p = link.request(CMD_CL_IMAGE_OPEN, struct.pack("<II", offset, len(data)), timeout=timeout).payload
    except LinkDeviceError as e:
        raise QlrImageError(f"the device rejected the image: {e.device_message or e.status_name}") from None
    if len(p) != 4 * len(SUMMARY_FIELDS):
        raise QlrError(f"CL_IMAGE_OPEN replied {len(p)} bytes, expected {4 * len(SUMMARY_FIELDS)}")
    out: dict[str, Any] = dict(zip(SUMMARY_FIELDS, struct.unpack(f"<{len(SUMMARY_FIELDS)}I", p)))
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
    payload = struct.pack("<IIIIIBBBB", off_images, n, off_out, off_scratch, scratch, cores, q_bits, int(pack), 0)
    p = _request(link, CMD_CL_FRONTEND, payload, "CL_FRONTEND", timeout)
    if len(p) != 16:
        raise QlrError(f"CL_FRONTEND replied {len(p)} bytes, expected 16")
    counter, _prepare = struct.unpack("<QQ", p)
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
    p = _request(link, CMD_CL_LATENT_PACK, struct.pack("<IIIIB3x", offset, rows, e, off_out, bits), "CL_LATENT_PACK")
    if struct.unpack_from("<I", p)[0] != row:
        raise QlrError(f"CL_LATENT_PACK row size {struct.unpack_from('<I', p)[0]}, expected {row}")
    return np.frombuffer(link.mem_read("L2", off_out, rows * row), dtype=np.uint8).reshape(rows, row).copy()


def device_unpack(link: Link, packed: np.ndarray, bits: int, elements: int, offset: int = 0) -> np.ndarray:
    """Unpack rows (uint8 ``[rows, ceil(E*Q/8)]``) on the device into codes ``[rows, E]``."""
    pk = np.ascontiguousarray(packed, dtype=np.uint8)
    rows = pk.shape[0]
    off_out = _up(offset + pk.nbytes)
    link.mem_write("L2", offset, pk.tobytes())
    _request(link, CMD_CL_LATENT_UNPACK,
             struct.pack("<9IBB2x", offset, rows, elements, off_out, 0, 0, 0, 0, 0, bits, 0), "CL_LATENT_UNPACK")
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
    _request(link, CMD_CL_LATENT_UNPACK,
             struct.pack("<9IBB2x", offset, rows, elements, off_out, first, count, off_scale, s.size, channels, bits, 1),
             "CL_LATENT_UNPACK")
    raw = link.mem_read("L2", off_out, rows * count * 4)
    return np.frombuffer(raw, dtype="<f4").reshape(rows, count).copy()

"""The qlr binary image: constants and fixed-size little-endian structs (spec: docs/image-format.md).

Everything a C reader needs is here as data: the magic, the version, the header, section-entry
and layer-record layouts (`struct` formats that match the C structs byte for byte), the section
types and the element types with their sizes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from qlr.errors import QlrError


class QlrImageError(QlrError):
    """An image is malformed, truncated, corrupted or not understood; the message names the field."""


MAGIC = b"\x89QLR\r\n\x1a\n"
VERSION = 1

HEADER_SIZE = 64
ENTRY_SIZE = 128
LAYER_SIZE = 64
MIN_ALIGN = 64
MAX_ALIGN = 1 << 16
MAX_SECTIONS = 4096
MAX_NDIM = 6
NAME_LEN = 32
NO_INPUT = 0xFFFF  # layer input "network input"

# magic, version, header_size, entry_size, section_count, table_offset, file_size, flags,
# table_crc32, reserved[20], header_crc32
HEADER_FMT = "<8sIIIIIIII20sI"
# type, dtype, ndim, group, bits, flags, offset, size, align, crc32, shape[6], name[32], reserved[48]
ENTRY_FMT = "<HBBHBBIIII6I32s48s"
# kind, act, stage, flags, input0, input1, in_h, in_w, in_c, out_h, out_w, out_c,
# kh, kw, sh, sw, pad_top, pad_bottom, pad_left, pad_right, in_zp, out_zp, act_min, act_max,
# w_zp, in_zp_b, index, in_scale, out_scale, in_scale_b, reserved[12]
LAYER_FMT = "<BBBBHHHHIHHIBBBBBBBBBBBBbBhfff12s"

assert struct.calcsize(HEADER_FMT) == HEADER_SIZE
assert struct.calcsize(ENTRY_FMT) == ENTRY_SIZE
assert struct.calcsize(LAYER_FMT) == LAYER_SIZE


class SectionType(IntEnum):
    """What a section holds. ``group`` is the layer position for FE_*/BE_*, the batch for DATA_*."""

    NETWORK = 1  # LAYER records [L]: the layer table
    META = 2  # U8 [n]: UTF-8 JSON for the host (names, provenance); the firmware may skip it
    FE_WEIGHT = 16  # S8: conv2d [Cout,Kh,Kw,Cin], dwconv2d [Kh,Kw,C], pwconv/linear [Cout,Cin]
    FE_BIAS = 17  # S32 [Cout]
    FE_MULT = 18  # S32 [Cout] or [1]; add: [2] = (m_a, m_b)
    FE_SHIFT = 19  # U8 [Cout] or [1]
    BE_WEIGHT = 32  # F32, same shapes as FE_WEIGHT
    BE_BIAS = 33  # F32 [Cout]
    LR_LATENTS = 48  # PACKED (bits = Q) [N, ...latent shape]
    LR_LABELS = 49  # U16 [N]
    LR_SCALE = 50  # F32 [1] or [C]
    LR_CODE_MAX = 51  # U8 [1] or [C]: the u8 front-end code that maps to 2^Q - 1
    DATA_IMAGES = 64  # U8 [N, H, W, C]
    DATA_LABELS = 65  # U16 [N]


class DType(IntEnum):
    U8 = 1
    S8 = 2
    U16 = 3
    S16 = 4
    U32 = 5
    S32 = 6
    F32 = 7
    PACKED = 8  # `bits` bits per element, one byte-aligned row per shape[0] entry
    LAYER = 9  # 64-byte layer records


ITEMSIZE: dict[DType, int] = {
    DType.U8: 1, DType.S8: 1, DType.U16: 2, DType.S16: 2, DType.U32: 4, DType.S32: 4,
    DType.F32: 4, DType.LAYER: LAYER_SIZE,
}
NUMPY_DTYPE: dict[DType, np.dtype] = {
    DType.U8: np.dtype("<u1"), DType.S8: np.dtype("<i1"), DType.U16: np.dtype("<u2"),
    DType.S16: np.dtype("<i2"), DType.U32: np.dtype("<u4"), DType.S32: np.dtype("<i4"),
    DType.F32: np.dtype("<f4"), DType.PACKED: np.dtype("<u1"),
}
DTYPE_OF_NUMPY: dict[str, DType] = {"|u1": DType.U8, "|i1": DType.S8, "<u2": DType.U16, "<i2": DType.S16,
                                    "<u4": DType.U32, "<i4": DType.S32, "<f4": DType.F32}

# Allowed element type per section type (the reader rejects anything else).
SECTION_DTYPE: dict[SectionType, DType] = {
    SectionType.NETWORK: DType.LAYER,
    SectionType.META: DType.U8,
    SectionType.FE_WEIGHT: DType.S8,
    SectionType.FE_BIAS: DType.S32,
    SectionType.FE_MULT: DType.S32,
    SectionType.FE_SHIFT: DType.U8,
    SectionType.BE_WEIGHT: DType.F32,
    SectionType.BE_BIAS: DType.F32,
    SectionType.LR_LATENTS: DType.PACKED,
    SectionType.LR_LABELS: DType.U16,
    SectionType.LR_SCALE: DType.F32,
    SectionType.LR_CODE_MAX: DType.U8,
    SectionType.DATA_IMAGES: DType.U8,
    SectionType.DATA_LABELS: DType.U16,
}


class Kind(IntEnum):
    CONV2D = 1
    DWCONV2D = 2
    PWCONV = 3
    LINEAR = 4
    AVGPOOL = 5
    GLOBAL_AVGPOOL = 6
    ADD = 7
    FLATTEN = 8
    RELU = 9
    RELU6 = 10


class Act(IntEnum):
    NONE = 0
    RELU = 1
    RELU6 = 2


class Stage(IntEnum):
    FRONT = 0  # frozen, int8 (uint8 activations)
    BACK = 1  # trainable, FP32


LAYER_HAS_BIAS = 0x01
PARAM_KINDS = (Kind.CONV2D, Kind.DWCONV2D, Kind.PWCONV, Kind.LINEAR)
WINDOW_KINDS = (Kind.CONV2D, Kind.DWCONV2D, Kind.AVGPOOL)


@dataclass
class LayerRecord:
    """One 64-byte layer record of the NETWORK section (field meanings: docs/image-format.md)."""

    kind: int
    act: int = Act.NONE
    stage: int = Stage.FRONT
    flags: int = 0
    input0: int = NO_INPUT
    input1: int = NO_INPUT
    in_shape: tuple[int, int, int] = (1, 1, 1)  # (H, W, C); a flat vector of F is (1, 1, F)
    out_shape: tuple[int, int, int] = (1, 1, 1)
    kernel: tuple[int, int] = (0, 0)
    stride: tuple[int, int] = (0, 0)
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)  # top, bottom, left, right
    in_zp: int = 0
    out_zp: int = 0
    act_min: int = 0
    act_max: int = 0
    w_zp: int = 0
    in_zp_b: int = 0
    index: int = -1  # the paper's layer index, -1 if none
    in_scale: float = 0.0
    out_scale: float = 0.0
    in_scale_b: float = 0.0

    def pack(self) -> bytes:
        return struct.pack(
            LAYER_FMT, self.kind, self.act, self.stage, self.flags, self.input0, self.input1,
            self.in_shape[0], self.in_shape[1], self.in_shape[2],
            self.out_shape[0], self.out_shape[1], self.out_shape[2],
            *self.kernel, *self.stride, *self.padding,
            self.in_zp, self.out_zp, self.act_min, self.act_max, self.w_zp, self.in_zp_b, self.index,
            self.in_scale, self.out_scale, self.in_scale_b, bytes(12),
        )

    @classmethod
    def unpack(cls, raw: bytes) -> tuple[LayerRecord, bytes]:
        """Decode one record; returns (record, reserved bytes) so the reader can check they are 0."""
        v = struct.unpack(LAYER_FMT, raw)
        rec = cls(
            kind=v[0], act=v[1], stage=v[2], flags=v[3], input0=v[4], input1=v[5],
            in_shape=(v[6], v[7], v[8]), out_shape=(v[9], v[10], v[11]),
            kernel=(v[12], v[13]), stride=(v[14], v[15]), padding=(v[16], v[17], v[18], v[19]),
            in_zp=v[20], out_zp=v[21], act_min=v[22], act_max=v[23], w_zp=v[24], in_zp_b=v[25],
            index=v[26], in_scale=v[27], out_scale=v[28], in_scale_b=v[29],
        )
        return rec, v[30]

    @property
    def has_bias(self) -> bool:
        return bool(self.flags & LAYER_HAS_BIAS)


def packed_row_bytes(elements: int, bits: int) -> int:
    return -(-elements * bits // 8)


def expected_size(dtype: DType, shape: tuple[int, ...], bits: int) -> int:
    """Bytes a section of this element type and shape must have (Python ints: no overflow)."""
    n = 1
    for d in shape:
        n *= d
    if dtype == DType.PACKED:
        rows = shape[0]
        per_row = n // rows if rows else 0
        return rows * packed_row_bytes(per_row, bits)
    return n * ITEMSIZE[dtype]

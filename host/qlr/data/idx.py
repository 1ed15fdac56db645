"""Reader for the IDX files of (Fashion-)MNIST, gzip-compressed or not.

Format: a big-endian header of 2 zero bytes, a type code (0x08 = unsigned byte), the number of
dimensions D, then D big-endian uint32 sizes, then the data in C order.
"""

from __future__ import annotations

import gzip
import os

import numpy as np

from qlr.errors import QlrError

_TYPES: dict[int, np.dtype] = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
          0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (a .gz suffix or gzip magic selects decompression)."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise QlrError(f"{path}: no such file") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise QlrError(f"{path}: corrupt gzip data ({e})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise QlrError(f"{path}: not an IDX file (bad magic)")
    code, ndim = raw[2], raw[3]
    if code not in _TYPES:
        raise QlrError(f"{path}: unknown IDX type code 0x{code:02x}")
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise QlrError(f"{path}: truncated IDX header")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = _TYPES[code]
    need = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) - head != need:
        raise QlrError(f"{path}: IDX data is {len(raw) - head} bytes, the header {dims} needs {need}")
    return np.frombuffer(raw, dtype, offset=head).reshape(dims).astype(dtype.newbyteorder("="))

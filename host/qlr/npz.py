"""Reading .npz files safely (no pickles) with errors that name the file, and writing them."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from typing import IO, Any

import numpy as np

from qlr.errors import QlrError


def open_npz(path: str | os.PathLike[str]) -> np.lib.npyio.NpzFile:
    """Opens `path` with allow_pickle=False; a missing or unreadable file is a QlrError."""
    path = os.fspath(path)
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise QlrError(f"{path}: no such file") from None
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise QlrError(f"{path}: not a readable .npz file ({e})") from None


def save_npz(file: str | os.PathLike[str] | IO[bytes], arrays: Mapping[str, np.ndarray], *,
             compressed: bool = False) -> None:
    """Writes named arrays as .npz (np.savez / np.savez_compressed)."""
    save = np.savez_compressed if compressed else np.savez
    # NumPy's stubs type savez(**kwds) so that a str-keyed mapping could also fill its
    # allow_pickle flag; these keys are array names, passed on as such.
    named: dict[str, Any] = dict(arrays)
    save(file, **named)

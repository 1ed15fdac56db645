"""Opening .npz files safely (no pickles) with errors that name the file."""

from __future__ import annotations

import os
import zipfile

import numpy as np

from qlr.errors import QlrError


def open_npz(path: str | os.PathLike) -> np.lib.npyio.NpzFile:
    """Opens `path` with allow_pickle=False; a missing or unreadable file is a QlrError."""
    path = os.fspath(path)
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise QlrError(f"{path}: no such file") from None
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise QlrError(f"{path}: not a readable .npz file ({e})") from None

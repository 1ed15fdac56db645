"""A generic data set file (.npz) so users can bring their own data.

Entries: ``x`` uint8 [N][H][W][C] (NHWC images), ``y`` integer labels [N] (>= 0), and optionally
``sessions`` integer [N] (e.g. the CORe50 session of each sample) and ``classes`` (unicode
names [K]). Nothing else is allowed; files are read with allow_pickle=False.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass

import numpy as np

from qlr.errors import QlrError
from qlr.npz import open_npz, save_npz

FIELDS = ("x", "y", "sessions", "classes")


@dataclass
class Dataset:
    x: np.ndarray
    y: np.ndarray
    sessions: np.ndarray | None = None
    classes: list[str] | None = None

    def __post_init__(self) -> None:
        validate(self.x, self.y, self.sessions, self.classes, "dataset")

    def __len__(self) -> int:
        return len(self.y)

    @property
    def num_classes(self) -> int:
        return len(self.classes) if self.classes is not None else int(self.y.max()) + 1 if len(self.y) else 0


def validate(x: np.ndarray, y: np.ndarray, sessions: np.ndarray | None, classes: list[str] | None, where: str) -> None:
    """Raise QlrError naming the field if the arrays do not form a valid data set."""
    if not isinstance(x, np.ndarray) or x.dtype != np.uint8:
        raise QlrError(f"{where}: field 'x' must be a uint8 array, got {getattr(x, 'dtype', type(x).__name__)}")
    if x.ndim != 4 or min(x.shape[1:], default=0) < 1:
        raise QlrError(f"{where}: field 'x' must be NHWC [N][H][W][C], got shape {x.shape}")
    if not isinstance(y, np.ndarray) or y.dtype.kind not in "iu":
        raise QlrError(f"{where}: field 'y' must be an integer array, got {getattr(y, 'dtype', type(y).__name__)}")
    if y.shape != (x.shape[0],):
        raise QlrError(f"{where}: field 'y' has shape {y.shape}, expected ({x.shape[0]},) to match 'x'")
    if y.size and y.min() < 0:
        raise QlrError(f"{where}: field 'y' has negative labels")
    if sessions is not None:
        if not isinstance(sessions, np.ndarray) or sessions.dtype.kind not in "iu":
            raise QlrError(f"{where}: field 'sessions' must be an integer array")
        if sessions.shape != (x.shape[0],):
            raise QlrError(f"{where}: field 'sessions' has shape {sessions.shape}, expected ({x.shape[0]},)")
    if classes is not None:
        if y.size and int(y.max()) >= len(classes):
            raise QlrError(f"{where}: field 'y' has label {int(y.max())} but 'classes' names only {len(classes)}")


def save_dataset(path: str | os.PathLike[str], ds: Dataset) -> None:
    arrays = {"x": ds.x, "y": ds.y}
    if ds.sessions is not None:
        arrays["sessions"] = ds.sessions
    if ds.classes is not None:
        arrays["classes"] = np.array([str(c) for c in ds.classes], dtype=str)
    save_npz(path, arrays, compressed=True)


def load_dataset(path: str | os.PathLike[str]) -> Dataset:
    path = os.fspath(path)
    npz = open_npz(path)
    with npz:
        unknown = sorted(set(npz.files) - set(FIELDS))
        if unknown:
            raise QlrError(f"{path}: unknown field(s) {unknown} (allowed: {', '.join(FIELDS)})")
        for key in ("x", "y"):
            if key not in npz.files:
                raise QlrError(f"{path}: missing field {key!r}")
        try:
            x, y = npz["x"], npz["y"]
            sessions = npz["sessions"] if "sessions" in npz.files else None
            class_arr = npz["classes"] if "classes" in npz.files else None
        except (ValueError, OSError, zipfile.BadZipFile) as e:
            raise QlrError(f"{path}: a field cannot be read ({e})") from None
    classes: list[str] | None = None
    if class_arr is not None:
        if class_arr.dtype.kind != "U" or class_arr.ndim != 1:
            raise QlrError(f"{path}: field 'classes' must be a 1-D array of strings")
        classes = [str(c) for c in class_arr]
    validate(x, y, sessions, classes, path)
    return Dataset(x, y, sessions, classes)


def parse_classes(text: str | None, option: str = "--classes") -> list[int] | None:
    """'0-4' -> [0, 1, 2, 3, 4]; '1,3,7' -> [1, 3, 7]; ranges and lists combine ('0-2,5').
    Errors name ``option``."""
    if text is None:
        return None
    out: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                lo, hi = (int(v) for v in part.split("-", 1))
                if hi < lo:
                    raise ValueError
                out.extend(range(lo, hi + 1))
            else:
                out.append(int(part))
    except ValueError:
        raise QlrError(f"{option}: cannot parse {text!r} (examples: 0-4, 1,3,7)") from None
    if len(set(out)) != len(out):
        raise QlrError(f"{option}: {text!r} names a value twice")
    return out

"""Fashion-MNIST from Debian's `dataset-fashion-mnist` package (28x28 grey images, 10 classes).

Files: <root>/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]; root defaults to
/usr/share/datasets/fashion-mnist, or the QLR_FASHION_MNIST environment variable.
Class names (label order): see `CLASSES`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from qlr.data.idx import read_idx
from qlr.data.images import fit
from qlr.errors import QlrError

DEFAULT_ROOT = "/usr/share/datasets/fashion-mnist"
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot")
_PREFIX = {"train": "train", "test": "t10k"}


def default_root() -> str:
    return os.environ.get("QLR_FASHION_MNIST", DEFAULT_ROOT)


def _find(root: str, stem: str) -> str:
    for name in (stem + ".gz", stem):
        path = os.path.join(root, name)
        if os.path.exists(path):
            return path
    raise QlrError(
        f"Fashion-MNIST file {os.path.join(root, stem)}[.gz] is missing: install Debian's "
        f"dataset-fashion-mnist package (run tools/setup) or set QLR_FASHION_MNIST to its directory"
    )


def load_fashion_mnist(
    split: str = "train",
    size: int | tuple[int, int] | None = None,
    mode: str = "pad",
    channels: int = 1,
    classes: Sequence[int] | None = None,
    limit: int | None = None,
    root: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Load a split as (x uint8 [N][H][W][C], y int64 [N]).

    size/mode: pad (centred, zeros) or bilinear-resize the 28x28 images to `size`;
    channels: replicate the grey channel (e.g. 3); classes: keep only these labels and renumber
    them 0..len(classes)-1 in the order given; limit: keep the first `limit` samples (after the
    class filter).
    """
    if split not in _PREFIX:
        raise QlrError(f"split must be 'train' or 't10k'/'test', got {split!r}")
    root = root or default_root()
    prefix = _PREFIX[split]
    x = read_idx(_find(root, f"{prefix}-images-idx3-ubyte"))
    y = read_idx(_find(root, f"{prefix}-labels-idx1-ubyte")).astype(np.int64)
    if x.ndim != 3 or y.ndim != 1 or len(x) != len(y) or x.dtype != np.uint8:
        raise QlrError(f"{root}: Fashion-MNIST {split} files have unexpected shapes {x.shape}, {y.shape}")
    if classes is not None:
        classes = [int(c) for c in classes]
        bad = [c for c in classes if not 0 <= c < len(CLASSES)]
        if bad or len(set(classes)) != len(classes):
            raise QlrError(f"classes must be distinct labels in 0..{len(CLASSES) - 1}, got {classes}")
        keep = np.isin(y, classes)
        x, y = x[keep], y[keep]
        remap = np.full(len(CLASSES), -1, np.int64)
        remap[classes] = np.arange(len(classes))
        y = remap[y]
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return fit(x[..., None], size, mode, channels), y

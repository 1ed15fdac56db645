"""Where a continual-learning run's images come from: a data source at its own image size, and
the `Pool` of training and test images fitted to a network's input.

- `load_source(data)`: ``"fashion-mnist"`` (Debian's package: 28x28x1, a separate test split) or a
  data set ``.npz`` (`qlr.data.Dataset`: any size and channel count, optional ``sessions``).
- `make_pool(source, input_shape, test_per_class, fit)`: the test set is chosen here and fixed
  for all seeds; the images are fitted to ``input_shape`` (`qlr.data.fitting`: zero padding,
  resize, channel replication or averaging) lazily, so large inputs never hold the whole data
  set in memory.

Test set of a ``.npz`` (which has no split of its own): per class, ``test_per_class`` images taken
from the end of the file, round robin over the class's sessions in ascending session id (the last
image of each session in turn, then the one before it, ...; the k-th class in label order starts
at its (k mod S)-th session), so that every session is tested about equally;
without sessions these are the class's last ``test_per_class`` images. They leave the training
pool. Fashion-MNIST's test set is the first ``test_per_class`` images of each class of its test
split. ``test_per_class = None`` chooses `auto_test_per_class`.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from qlr.data import FASHION_MNIST_CLASSES, load_dataset, load_fashion_mnist
from qlr.data.fitting import Fit, FittedImages, fitted, plan_fit
from qlr.errors import QlrError

DEFAULT_TEST_PER_CLASS = 100
FASHION_MNIST = "fashion-mnist"


def file_sha256(path: str) -> str:
    """The SHA-256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class Source:
    """A labelled data set at its own image size (see the module docstring)."""

    name: str
    identity: str  # what cache keys use for the data (a name and a content hash)
    x: np.ndarray  # uint8 [N][H][W][C]
    y: np.ndarray  # int64 [N]
    sessions: np.ndarray | None = None  # int64 [N]
    test_x: np.ndarray | None = None  # a separate test split (Fashion-MNIST), else None
    test_y: np.ndarray | None = None
    class_names: list[str] | None = None

    @property
    def image_shape(self) -> tuple[int, int, int]:
        h, w, c = (int(d) for d in self.x.shape[1:])
        return h, w, c

    @property
    def classes(self) -> list[int]:
        return sorted(int(c) for c in np.unique(self.y))


def load_source(data: str) -> Source:
    """``"fashion-mnist"`` or the path of a data set ``.npz``."""
    if data == FASHION_MNIST:
        x, y = load_fashion_mnist("train")
        xt, yt = load_fashion_mnist("test")
        return Source(FASHION_MNIST, FASHION_MNIST, x, y, None, xt, yt, list(FASHION_MNIST_CLASSES))
    if not os.path.exists(data):
        raise QlrError(f"--data {data}: no such file (give 'fashion-mnist' or a data set .npz)")
    ds = load_dataset(data)
    if len(ds.y) == 0:
        raise QlrError(f"{data}: the data set holds no images")
    sessions = None if ds.sessions is None else ds.sessions.astype(np.int64)
    return Source(os.path.basename(data), f"npz-sha256:{file_sha256(data)}", ds.x, ds.y.astype(np.int64),
                  sessions, None, None, ds.classes)


@dataclass
class Pool:
    """A labelled data source fitted to the network input: training pool and fixed test set.

    ``train_x`` may be a lazy `qlr.data.fitting.FittedImages` (index it with an array of
    indices); ``train_sessions`` is None when the data has no sessions.
    """

    name: str
    identity: str  # what the pretrained-model cache key uses for the data
    train_x: Any  # np.ndarray | FittedImages
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    classes: list[int]
    class_names: list[str] | None = None
    train_sessions: np.ndarray | None = None
    test_per_class: int = DEFAULT_TEST_PER_CLASS
    fit: Fit | None = None

    @property
    def sessions(self) -> list[int]:
        """The session ids of the training pool, ascending (empty without sessions)."""
        return [] if self.train_sessions is None else sorted(int(s) for s in np.unique(self.train_sessions))


def auto_test_per_class(src: Source) -> int:
    """100, or a tenth of the smallest class of a ``.npz`` when that is fewer (at least 1)."""
    if src.test_y is not None:
        return DEFAULT_TEST_PER_CLASS
    smallest = min(int(np.sum(src.y == c)) for c in src.classes)
    return max(1, min(DEFAULT_TEST_PER_CLASS, smallest // 10))


def _test_index(y: np.ndarray, sessions: np.ndarray | None, per_class: int, classes: list[int]) -> np.ndarray:
    """The held-out test images of a file without a split (module docstring)."""
    out = []
    for k, c in enumerate(classes):
        mine = np.flatnonzero(y == c)
        if sessions is None:
            out.append(mine[-per_class:] if per_class else mine[:0])
            continue
        by_session = [mine[sessions[mine] == s][::-1] for s in sorted(np.unique(sessions[mine]))]
        turn = k % len(by_session)
        by_session = by_session[turn:] + by_session[:turn]  # classes start at different sessions
        picked: list[int] = []
        depth = 0
        while len(picked) < per_class and any(depth < len(b) for b in by_session):
            for b in by_session:
                if depth < len(b) and len(picked) < per_class:
                    picked.append(int(b[depth]))
            depth += 1
        out.append(np.array(picked, np.int64))
    return np.sort(np.concatenate(out)) if out else np.zeros(0, np.int64)


def make_pool(src: Source, input_shape: tuple[int, ...], test_per_class: int | None = None,
              fit: str = "auto") -> Pool:
    """The source's images fitted to ``input_shape`` (H, W, C), with the test set held out."""
    f = plan_fit(src.image_shape, input_shape, fit)
    per = auto_test_per_class(src) if test_per_class is None else int(test_per_class)
    if per < 1:
        raise QlrError(f"--test-per-class must be >= 1, got {per}")
    classes = src.classes
    if src.test_x is not None and src.test_y is not None:
        keep = np.sort(np.concatenate([np.flatnonzero(src.test_y == c)[:per] for c in classes]))
        train = np.arange(len(src.y))
        test_x, test_y = src.test_x[keep], src.test_y[keep]
    else:
        small = [c for c in classes if int(np.sum(src.y == c)) <= per]
        if small:
            c = small[0]
            raise QlrError(f"{src.name}: class {c} has {int(np.sum(src.y == c))} images; holding out --test-per-class "
                           f"{per} would leave none to learn from (give --test-per-class "
                           f"{max(1, int(np.sum(src.y == c)) // 10)} or less)")
        keep = _test_index(src.y, src.sessions, per, classes)
        train = np.setdiff1d(np.arange(len(src.y)), keep)
        test_x, test_y = src.x[keep], src.y[keep]
    h, w, c = f.dst
    identity = f"{src.identity}/{h}x{w}x{c}"
    if f.size_op == "resize":
        identity += "/resize"
    if f.channel_op == "mean":
        identity += "/mean"
    train_x = fitted(src.x if len(train) == len(src.y) else src.x[train], f)
    sessions = None if src.sessions is None else src.sessions[train]
    return Pool(src.name, identity, train_x, src.y[train], f.apply(test_x), test_y.astype(np.int64), classes,
                src.class_names, sessions, per, f)


def load_pool(data: str, test_per_class: int | None, size: tuple[int, int], channels: int,
              fit: str = "auto") -> Pool:
    """`make_pool` of `load_source` at ``size`` x ``channels``."""
    return make_pool(load_source(data), (size[0], size[1], channels), test_per_class, fit)


__all__ = ["FittedImages", "Pool", "Source", "auto_test_per_class", "load_pool", "load_source",
           "make_pool"]

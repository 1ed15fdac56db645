"""Data: IDX parsing, Fashion-MNIST loading (synthetic files and the real package), image fitting,
and the generic .npz data set format."""

from __future__ import annotations

import gzip
import os
import struct

import numpy as np
import pytest

from qlr.data import Dataset, load_dataset, load_fashion_mnist, pad_to, read_idx, resize, save_dataset, to_float
from qlr.data.fashion_mnist import DEFAULT_ROOT
from qlr.errors import QlrError


def idx_bytes(arr: np.ndarray, code: int = 0x08) -> bytes:
    """IDX encoding written from the format description: 0, 0, type code, ndim, big-endian sizes, data."""
    head = bytes([0, 0, code, arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape)
    return head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write_fake_fashion(root, n_train=20, n_test=10, gz=True, seed=0):
    r = np.random.default_rng(seed)
    data = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        x = r.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        y = (np.arange(n) % 10).astype(np.uint8)
        data[prefix] = (x, y)
        for stem, arr in ((f"{prefix}-images-idx3-ubyte", x), (f"{prefix}-labels-idx1-ubyte", y)):
            raw = idx_bytes(arr)
            if gz:
                (root / (stem + ".gz")).write_bytes(gzip.compress(raw))
            else:
                (root / stem).write_bytes(raw)
    return data


@pytest.mark.parametrize("gz", [True, False])
def test_read_idx_roundtrip(tmp_path, gz):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    raw = idx_bytes(arr)
    p = tmp_path / ("a.gz" if gz else "a")
    p.write_bytes(gzip.compress(raw) if gz else raw)
    np.testing.assert_array_equal(read_idx(p), arr)
    ints = np.array([-5, 70000, 3], np.int32)
    (tmp_path / "i").write_bytes(idx_bytes(ints, 0x0C))
    np.testing.assert_array_equal(read_idx(tmp_path / "i"), ints)


@pytest.mark.parametrize("mutate,match", [
    (lambda b: b"\x01" + b[1:], "bad magic"),
    (lambda b: b[:2] + b"\x07" + b[3:], "unknown IDX type"),
    (lambda b: b[:-1], "needs"),
    (lambda b: b + b"\x00", "needs"),
    (lambda b: b[:6], "truncated IDX header"),
    (lambda b: gzip.compress(b)[:-5], "corrupt gzip"),
])
def test_read_idx_rejects_bad_files(tmp_path, mutate, match):
    p = tmp_path / "bad"
    p.write_bytes(mutate(idx_bytes(np.zeros((2, 3), np.uint8))))
    with pytest.raises(QlrError, match=match) as info:
        read_idx(p)
    assert str(p) in str(info.value)


def test_fashion_loader_on_synthetic_files(tmp_path):
    data = write_fake_fashion(tmp_path, gz=False)
    x, y = load_fashion_mnist("train", root=str(tmp_path))
    assert x.shape == (20, 28, 28, 1) and x.dtype == np.uint8 and y.dtype == np.int64
    np.testing.assert_array_equal(x[..., 0], data["train"][0])
    np.testing.assert_array_equal(y, data["train"][1])
    # classes are kept in the order given and renumbered from 0
    xs, ys = load_fashion_mnist("test", classes=[7, 2], root=str(tmp_path))
    orig = data["t10k"][1]
    keep = np.isin(orig, [7, 2])
    np.testing.assert_array_equal(ys, np.where(orig[keep] == 7, 0, 1))
    np.testing.assert_array_equal(xs[..., 0], data["t10k"][0][keep])
    # padding to 32x32 centres the 28x28 image with 2 zero rows/columns on each side; 3 channels
    xp, _ = load_fashion_mnist("train", size=32, channels=3, limit=4, root=str(tmp_path))
    assert xp.shape == (4, 32, 32, 3)
    np.testing.assert_array_equal(xp[:, 2:30, 2:30, 1], data["train"][0][:4])
    assert not xp[:, :2].any() and not xp[:, 30:].any() and not xp[:, :, :2].any() and not xp[:, :, 30:].any()
    np.testing.assert_array_equal(xp[..., 0], xp[..., 2])
    xr, _ = load_fashion_mnist("train", size=14, mode="resize", root=str(tmp_path), limit=2)
    assert xr.shape == (2, 14, 14, 1)
    with pytest.raises(QlrError, match="distinct labels"):
        load_fashion_mnist("train", classes=[1, 1], root=str(tmp_path))


def test_fashion_loader_missing_files_say_what_to_do(tmp_path):
    with pytest.raises(QlrError) as info:
        load_fashion_mnist("train", root=str(tmp_path))
    msg = str(info.value)
    assert os.path.join(str(tmp_path), "train-images-idx3-ubyte") in msg
    assert "tools/setup" in msg and "dataset-fashion-mnist" in msg


def test_real_fashion_mnist_package():
    """The Debian package is installed here and by tools/setup in CI: a missing file is a failure."""
    needed = [os.path.join(DEFAULT_ROOT, f"{p}-{k}-ubyte.gz") for p in ("train", "t10k")
              for k in ("images-idx3", "labels-idx1")]
    missing = [p for p in needed if not os.path.exists(p) and not os.path.exists(p[:-3])]
    if missing:
        pytest.fail(f"Fashion-MNIST files missing ({', '.join(missing)}): run tools/setup "
                    "(it installs Debian's dataset-fashion-mnist)")
    x, y = load_fashion_mnist("train", root=DEFAULT_ROOT)
    xt, yt = load_fashion_mnist("test", root=DEFAULT_ROOT)
    # Published facts of the data set: 60,000 training and 10,000 test 28x28 images, 10 balanced classes
    assert x.shape == (60000, 28, 28, 1) and xt.shape == (10000, 28, 28, 1)
    assert np.bincount(y).tolist() == [6000] * 10 and np.bincount(yt).tolist() == [1000] * 10
    assert x.dtype == np.uint8 and x.max() == 255 and x.min() == 0


def test_to_float_and_pad():
    x = np.array([0, 51, 255], np.uint8).reshape(1, 1, 3, 1)
    np.testing.assert_allclose(to_float(x).ravel(), [0.0, 0.2, 1.0], rtol=1e-7)
    assert to_float(x).dtype == np.float32
    with pytest.raises(QlrError, match="uint8"):
        to_float(x.astype(np.float32))
    p = pad_to(np.ones((1, 2, 3, 1), np.uint8), (5, 6))
    # odd margins: 3 extra rows -> 1 above, 2 below; 3 extra columns -> 1 left, 2 right
    assert p[0, :, :, 0].tolist() == [[0] * 6, [0, 1, 1, 1, 0, 0], [0, 1, 1, 1, 0, 0], [0] * 6, [0] * 6]
    with pytest.raises(QlrError, match="smaller"):
        pad_to(np.ones((1, 4, 4, 1), np.uint8), 3)


def test_resize_bilinear_by_hand():
    # 2 -> 4 pixels, centres aligned: sample positions -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1)
    x = np.array([[0, 100]], np.uint8).reshape(1, 1, 2, 1)
    assert resize(x, (1, 4))[0, 0, :, 0].tolist() == [0, 25, 75, 100]
    const = np.full((2, 7, 5, 3), 77, np.uint8)
    assert np.all(resize(const, (11, 4)) == 77)
    down = resize(np.arange(16, dtype=np.uint8).reshape(1, 4, 4, 1), 2)
    # 4 -> 2: sample positions 0.5 and 2.5 along each axis: means of 2x2 blocks, rounded half to even
    assert down[0, :, :, 0].tolist() == [[2, 4], [10, 12]]  # 2.5 -> 2, 4.5 -> 4, 10.5 -> 10, 12.5 -> 12


def test_dataset_roundtrip(tmp_path):
    r = np.random.default_rng(0)
    ds = Dataset(r.integers(0, 256, (6, 4, 5, 3), dtype=np.uint8), np.array([0, 1, 2, 1, 0, 2]),
                 sessions=np.array([0, 0, 1, 1, 2, 2]), classes=["a", "b", "c"])
    p = tmp_path / "d.npz"
    save_dataset(p, ds)
    back = load_dataset(p)
    np.testing.assert_array_equal(back.x, ds.x)
    np.testing.assert_array_equal(back.y, ds.y)
    np.testing.assert_array_equal(back.sessions, ds.sessions)
    assert back.classes == ["a", "b", "c"] and back.num_classes == 3 and len(back) == 6
    minimal = tmp_path / "m.npz"
    save_dataset(minimal, Dataset(ds.x, ds.y))
    m = load_dataset(minimal)
    assert m.sessions is None and m.classes is None and m.num_classes == 3


@pytest.mark.parametrize("arrays,match", [
    ({"x": np.zeros((2, 3, 3, 1), np.float32), "y": np.zeros(2, np.int64)}, "field 'x' must be a uint8"),
    ({"x": np.zeros((2, 3, 3), np.uint8), "y": np.zeros(2, np.int64)}, "field 'x' must be NHWC"),
    ({"x": np.zeros((2, 3, 3, 1), np.uint8), "y": np.zeros(3, np.int64)}, "field 'y' has shape"),
    ({"x": np.zeros((2, 3, 3, 1), np.uint8), "y": np.zeros(2, np.float32)}, "field 'y' must be an integer"),
    ({"x": np.zeros((2, 3, 3, 1), np.uint8), "y": np.array([0, -1])}, "field 'y' has negative"),
    ({"x": np.zeros((2, 3, 3, 1), np.uint8), "y": np.zeros(2, np.int64), "sessions": np.zeros(5, np.int64)},
     "field 'sessions' has shape"),
    ({"x": np.zeros((2, 3, 3, 1), np.uint8), "y": np.array([0, 4]), "classes": np.array(["a", "b"])},
     "field 'y' has label 4"),
    ({"x": np.zeros((2, 3, 3, 1), np.uint8)}, "missing field 'y'"),
    ({"x": np.zeros((2, 3, 3, 1), np.uint8), "y": np.zeros(2, np.int64), "extra": np.zeros(1)}, "unknown field"),
])
def test_dataset_validation_names_the_field(tmp_path, arrays, match):
    p = tmp_path / "bad.npz"
    np.savez(p, **arrays)
    with pytest.raises(QlrError, match=match) as info:
        load_dataset(p)
    assert "bad.npz" in str(info.value)


def test_dataset_file_errors(tmp_path):
    with pytest.raises(QlrError, match="nope.npz: no such file"):
        load_dataset(tmp_path / "nope.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"garbage")
    with pytest.raises(QlrError, match="junk.npz: not a readable"):
        load_dataset(junk)

"""Fitting data to a network's input: the decision (pad, resize, replicate, average, refuse), its
one-line description, the pixels it produces, and the lazy wrapper; the synthetic IMU data set."""

from __future__ import annotations

import numpy as np
import pytest

from qlr.data.fitting import FittedImages, fitted, plan_fit
from qlr.data.synthetic import ACTIVITIES, imu_dataset
from qlr.errors import QlrError


@pytest.mark.parametrize("src,dst,mode,size_op,channel_op", [
    ((28, 28, 1), (32, 32, 1), "auto", "pad", "none"),        # 14 % larger: keep the pixels
    ((28, 28, 1), (128, 128, 3), "auto", "resize", "replicate"),
    ((8, 8, 6), (32, 32, 6), "auto", "resize", "none"),       # 4x: padding would leave a speck
    ((64, 64, 3), (32, 32, 1), "auto", "resize", "mean"),     # larger than the network: always resize
    ((28, 28, 1), (32, 32, 1), "resize", "resize", "none"),
    ((8, 8, 1), (32, 32, 1), "pad", "pad", "none"),
    ((8, 8, 6), (8, 8, 6), "auto", "none", "none"),
])
def test_plan_fit_decisions(src, dst, mode, size_op, channel_op):
    f = plan_fit(src, dst, mode)
    assert (f.size_op, f.channel_op) == (size_op, channel_op)
    msg = f.describe("data")
    if f.identity:
        assert msg is None
    else:  # one line naming both shapes and what was done
        assert "\n" not in msg and "x".join(map(str, src)) in msg and "x".join(map(str, dst)) in msg


def test_the_issues_example_message():
    msg = plan_fit((28, 28, 1), (128, 128, 3)).describe("fashion-mnist")
    assert msg == ("fashion-mnist 28x28x1 fed to a 128x128x3 network: resized to 128x128 (bilinear) and "
                   "replicated to 3 channels")


@pytest.mark.parametrize("src,dst,mode,match", [
    ((6, 6, 6), (8, 8, 3), "auto", "6 channels, the network takes 3"),
    ((40, 40, 1), (32, 32, 1), "pad", "cannot zero-pad"),
    ((8, 8, 1), (8, 8, 1), "stretch", "--fit"),
])
def test_plan_fit_refuses_with_a_clear_message(src, dst, mode, match):
    with pytest.raises(QlrError, match=match):
        plan_fit(src, dst, mode)


def test_fit_pixels_pad_replicate_and_mean():
    r = np.random.default_rng(1)
    x = r.integers(0, 256, (3, 28, 28, 1), dtype=np.uint8)
    out = plan_fit((28, 28, 1), (32, 32, 3)).apply(x)
    assert out.shape == (3, 32, 32, 3)
    for ch in range(3):  # centred: 2 zero rows/columns on each side, every channel the grey image
        np.testing.assert_array_equal(out[:, 2:30, 2:30, ch], x[..., 0])
    assert not out[:, :2].any() and not out[:, 30:].any() and not out[:, :, :2].any() and not out[:, :, 30:].any()
    rgb = np.array([[[[10, 11, 13], [0, 0, 1], [255, 255, 254]]]], np.uint8)  # sums 34, 1, 764
    grey = plan_fit((1, 3, 3), (1, 3, 1)).apply(rgb)
    # mean rounded half up: 34/3 = 11.33 -> 11, 1/3 -> 0, 764/3 = 254.67 -> 255
    assert grey[0, 0, :, 0].tolist() == [11, 0, 255]
    with pytest.raises(QlrError, match="expects 28x28x1"):
        plan_fit((28, 28, 1), (32, 32, 1)).apply(np.zeros((1, 32, 32, 1), np.uint8))


def test_fitted_images_are_lazy_and_equal_to_fitting_everything():
    r = np.random.default_rng(2)
    raw = r.integers(0, 256, (10, 6, 6, 1), dtype=np.uint8)
    f = plan_fit((6, 6, 1), (12, 12, 3))
    lazy = fitted(raw, f)
    assert isinstance(lazy, FittedImages) and lazy.shape == (10, 12, 12, 3) and len(lazy) == 10
    whole = f.apply(raw)
    idx = np.array([7, 0, 7, 3])
    np.testing.assert_array_equal(lazy[idx], whole[idx])
    np.testing.assert_array_equal(lazy[-1], whole[-1])
    np.testing.assert_array_equal(lazy[2:5], whole[2:5])
    np.testing.assert_array_equal(np.asarray(lazy), whole)
    same = plan_fit((6, 6, 1), (6, 6, 1))
    assert fitted(raw, same) is raw  # nothing to do: no wrapper, no copy


def test_imu_data_set_is_deterministic_and_shaped():
    a = imu_dataset(sessions=3, per_class=5, seed=4)
    b = imu_dataset(sessions=3, per_class=5, seed=4)
    c = imu_dataset(sessions=3, per_class=5, seed=5)
    n = 3 * len(ACTIVITIES) * 5
    assert a.x.shape == (n, 8, 8, 6) and a.x.dtype == np.uint8
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)
    assert np.bincount(a.sessions).tolist() == [len(ACTIVITIES) * 5] * 3
    assert np.bincount(a.y).tolist() == [15] * len(ACTIVITIES) and a.classes == list(ACTIVITIES)
    # gravity: the at-rest classes read about +1 g on some accelerometer axis: above the 128 midpoint
    acc = a.x[a.y == 1][..., :3].astype(float).mean(axis=(0, 1, 2))
    assert acc.max() > 150 and np.abs(a.x[..., 3:].astype(float).mean() - 128) < 10
    with pytest.raises(QlrError, match="sessions"):
        imu_dataset(sessions=0)

"""A tiny seeded network and data set for `qlr learn --check` on the boards (fast: the check does
not need a good model, only the same computation). Test modules import the fixture: `from cl_tiny
import tiny`."""

from __future__ import annotations

import numpy as np
import pytest

from qlr.data.dataset import Dataset, save_dataset
from qlr.model import save_network
from qlr.model.mobilenet import mobilenet_v1
from qlr.quant.ptq import to_input
from qlr.train.trainer import TrainConfig, train

SIZE = 16


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    d = tmp_path_factory.mktemp("cl")
    rng = np.random.default_rng(5)
    n = 640
    y = rng.integers(0, 4, n)
    # Class-dependent blobs on noise: latents differ by class, so training moves the weights.
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    centres = [(4, 4), (4, 11), (11, 4), (11, 11)]
    x = rng.integers(0, 60, (n, SIZE, SIZE, 1))
    for i, c in enumerate(y):
        cy, cx = centres[c]
        x[i, :, :, 0] += (180 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 8.0)).astype(np.int64)
    x = np.clip(x, 0, 255).astype(np.uint8)
    data = d / "data.npz"
    save_dataset(data, Dataset(x, y.astype(np.int64)))
    # A freshly initialised network's latents are ~1e-5 (BatchNorm statistics of nothing); two
    # quick epochs give realistic statistics and latents of order 1, so a fault that scales the
    # latents moves the weights by far more than the checker's tolerance.
    net = mobilenet_v1(width=0.125, input_size=SIZE, num_classes=4, in_channels=1, seed=3)
    train(net, to_input(x), y.astype(np.int64), TrainConfig(epochs=2, batch_size=64, lr=0.05, progress=False))
    model = d / "net.npz"
    save_network(net, str(model))
    return str(model), str(data)

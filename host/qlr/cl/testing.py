"""Small, seeded continual-learning sessions for tests (host and device): synthetic images, a tiny
MobileNet-V1 and a `SessionSetup` built from them in well under a second.

Synthetic classes: class ``c`` of ``k`` draws a bright horizontal bar whose row depends on ``c``
(rows spread over the image) and a fainter vertical bar at a class-dependent column, on uniform
noise; learnable by a small network and cheap to make.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qlr.cl.session import CLConfig, SessionSetup, build_setup
from qlr.data import to_float
from qlr.model import Network, mobilenet_v1
from qlr.train import forward_train, update_running_stats


def synthetic_images(n: int, classes: int = 4, size: int = 16, channels: int = 1, seed: int = 0
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(x uint8 [n, size, size, channels], y int64 [n]) with labels cycling 0..classes-1."""
    r = np.random.default_rng(seed)
    y = np.arange(n, dtype=np.int64) % classes
    x = r.integers(0, 60, size=(n, size, size, channels)).astype(np.int32)
    for c in range(classes):
        sel = y == c
        row = 1 + (c * (size - 3)) // max(classes - 1, 1)
        col = (size - 1 - row) % size
        x[sel, row : row + 2, :, :] += 150
        x[sel, :, col, :] += 80
    return np.clip(x, 0, 255).astype(np.uint8), y


def tiny_network(classes: int = 4, size: int = 16, seed: int = 0, calib: np.ndarray | None = None) -> Network:
    """MobileNet-V1 width 0.125 at size x size x 1 with random He weights. With ``calib`` images the
    BatchNorm statistics are set to those of the images (one batch-statistics forward), so every
    block's output has unit scale instead of shrinking through 27 random layers."""
    net = mobilenet_v1(width=0.125, input_size=size, num_classes=classes, in_channels=1, seed=seed)
    if calib is not None:
        _, tape = forward_train(net, to_float(calib), bn="batch")
        update_running_stats(net, tape, momentum=1.0)
    return net


def tiny_setup(lr_layer: int = 23, n_lr: int = 48, q_lr: int | None = 8, epochs: int = 2, mb: int = 16,
               lr: float = 0.05, seed: int = 0, n_initial: int = 64, classes: int = 4, size: int = 16
               ) -> tuple[SessionSetup, dict[str, Any]]:
    """A setup whose LR memory is filled from ``n_initial`` synthetic images; returns (setup, data)
    with data = {"initial": (x, y), "net": the network}."""
    x, y = synthetic_images(n_initial, classes, size, seed=seed + 100)
    net = tiny_network(classes, size, seed, calib=x)
    # the paper's max calibration without equalization: tests built on these sessions (e.g. a fault
    # that must show in the accuracy before the first event) keep the quantization they were written for
    cfg = CLConfig(lr_layer=lr_layer, n_lr=n_lr, q_lr=q_lr, epochs=epochs, mb=mb, lr=lr, seed=seed,
                   calibration="max", equalize=False)
    setup = build_setup(net, cfg, x, x, y)
    return setup, {"initial": (x, y), "net": net}

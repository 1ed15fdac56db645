"""Activation range equalization before int8 quantization: channels of one tensor brought to the
same range, without changing the network's function.

For a pair ``L1 -> ReLU -> L2`` (L1 conv2d/dwconv2d/pwconv, L2 conv2d/dwconv2d/pwconv, the ReLU's
output read only by L2 and L1's only by the ReLU, neither the network's output) with ``m[c]`` the
largest value of channel c of the ReLU's output over the calibration images and ``M = max m``,
channel c of L1 (weights and bias) is multiplied by ``g[c] = min(M / m[c], MAX_GAIN)`` and L2's
weights on input channel c divided by it. ReLU is positively homogeneous (``relu(g y) = g relu(y)``
for g > 0), so every output of L2 is unchanged up to float rounding; a channel that is never
positive (m = 0) keeps g = 1. ReLU6 is not homogeneous (its cap would move), so pairs through a
ReLU6 are left alone.

Why: the uint8 tensor between L1 and L2 has ONE scale, set by its largest channel; a channel whose
values span a hundredth of that range is left with two or three codes, and BatchNorm folded over a
small variance gives L2 large weights on exactly such channels, so their rounding noise dominates
L2's output. Equalized, every channel spans the whole range, and L2's large weights shrink.
Measured in docs/quantization.md; `quantize_front_end(..., equalize=True)`.
"""

from __future__ import annotations

import numpy as np

from qlr.model.graph import Layer, Network

MAX_GAIN = 64.0
PRODUCERS = ("conv2d", "dwconv2d", "pwconv")
CONSUMERS = ("conv2d", "dwconv2d", "pwconv")


def relu_pairs(net: Network) -> list[tuple[Layer, Layer, Layer]]:
    """(L1, ReLU, L2) triples that can be equalized (module docstring)."""
    readers: dict[str, list[Layer]] = {}
    for lay in net.layers:
        for src in lay.inputs:
            readers.setdefault(src, []).append(lay)
    by_name = {lay.name: lay for lay in net.layers}
    out = []
    for act in net.layers:
        if act.kind != "relu" or len(act.inputs) != 1 or act is net.layers[-1]:
            continue
        l1 = by_name.get(act.inputs[0])
        after = readers.get(act.name, [])
        if l1 is None or l1.kind not in PRODUCERS or len(readers.get(l1.name, [])) != 1 or len(after) != 1:
            continue
        if after[0].kind in CONSUMERS and len(after[0].inputs) == 1:
            out.append((l1, act, after[0]))
    return out


def _scale_out(lay: Layer, g: np.ndarray) -> None:
    w = lay.params["weight"].astype(np.float64)
    w = w * g if lay.kind == "dwconv2d" else w * g.reshape((-1,) + (1,) * (w.ndim - 1))
    lay.params["weight"] = w.astype(np.float32)
    if "bias" in lay.params:
        lay.params["bias"] = (lay.params["bias"].astype(np.float64) * g).astype(np.float32)


def _scale_in(lay: Layer, g: np.ndarray) -> None:
    w = lay.params["weight"].astype(np.float64)
    w = w / g.reshape(1, -1) if lay.kind == "pwconv" else w / g  # dwconv [Kh][Kw][C], conv2d [Cout][Kh][Kw][Cin]
    lay.params["weight"] = w.astype(np.float32)


def equalize(net: Network, channel_max: dict[str, np.ndarray]) -> tuple[Network, int]:
    """A copy of ``net`` (BatchNorm folded) with every pair equalized, given the largest value of
    each channel of each ReLU output (``channel_max[relu name]``); returns it and the number of
    pairs changed."""
    out = net.copy()
    changed = 0
    for l1, act, l2 in relu_pairs(out):
        m = np.asarray(channel_max.get(act.name, []), np.float64)
        if m.size == 0 or m.max() <= 0:
            continue
        g = np.where(m > 0, np.minimum(m.max() / np.where(m > 0, m, 1.0), MAX_GAIN), 1.0)
        if np.all(g == 1.0):
            continue
        _scale_out(l1, g)
        _scale_in(l2, g)
        changed += 1
    out.validate()
    return out, changed

"""MobileNet-V1 builder at any width multiplier and input size, with the paper's layer indices.

Layer indices (Ravaglia et al. 2021, counted as in the Latent Replay code): each block of
conv (+ BatchNorm) + activation gets ONE index: conv1 = 0, dw1 = 1, pw1 = 2, dw2 = 3, pw2 = 4,
..., dw13 = 25, pw13 = 26, global average pool = 27, flatten + linear = 28. The latent at LR
layer l is the output of block l (after its activation).

Channels are round(c * width) (at least 1). Every 3x3 convolution has padding 1 on all sides; with
stride 2 that gives ceil(H / 2) outputs, the same sizes as TensorFlow's "same" padding. Weights
get He-normal initialisation (std sqrt(2 / fan_in)), the linear layer std sqrt(1 / fan_in);
BatchNorm starts at gamma = 1, beta = 0, mean = 0, var = 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qlr.errors import QlrError
from qlr.model.graph import Layer, Network
from qlr.model.init import check_builder_args, he_normal
from qlr.model.mobilenet_v2 import mobilenet_v2

# (stride of the depthwise conv, output channels of the pointwise conv) for dw1/pw1 .. dw13/pw13
BLOCKS: tuple[tuple[int, int], ...] = (
    (1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512),
    (1, 512), (1, 512), (1, 512), (1, 512), (1, 512),
    (2, 1024), (1, 1024),
)


def scaled(channels: int, width: float) -> int:
    return max(1, int(round(channels * width)))


def mobilenet_v1(
    width: float = 1.0,
    input_size: int | tuple[int, int] = 128,
    num_classes: int = 1000,
    in_channels: int = 3,
    batchnorm: bool = True,
    activation: str = "relu",
    seed: int = 0,
    dtype: type = np.float32,
) -> Network:
    """Build MobileNet-V1; layer names: conv1, dw1..dw13, pw1..pw13 (+ _bn, _relu), pool, flatten, fc.

    Without BatchNorm the conv layers have biases (zero-initialised); with it they have none.
    """
    check_builder_args(width, activation, num_classes, in_channels)
    h, w = (input_size, input_size) if isinstance(input_size, int) else input_size
    he = he_normal(seed, dtype)
    layers: list[Layer] = []

    def block(name: str, conv: Layer, c_out: int, index: int) -> None:
        conv.index = index
        if batchnorm:
            conv.params.pop("bias", None)
            layers.append(conv)
            layers.append(Layer(f"{name}_bn", "batchnorm", {"eps": 1e-5}, index=index, params={
                "gamma": np.ones(c_out, dtype), "beta": np.zeros(c_out, dtype),
                "mean": np.zeros(c_out, dtype), "var": np.ones(c_out, dtype)}))
        else:
            layers.append(conv)
        layers.append(Layer(f"{name}_{activation}", activation, index=index))

    c = scaled(32, width)
    block("conv1", Layer("conv1", "conv2d", {"out_channels": c, "kernel": 3, "stride": 2, "padding": 1},
                         params={"weight": he((c, 3, 3, in_channels), 9 * in_channels),
                                 "bias": np.zeros(c, dtype)}), c, 0)
    index = 1
    for i, (stride, c_pw) in enumerate(BLOCKS, start=1):
        block(f"dw{i}", Layer(f"dw{i}", "dwconv2d", {"kernel": 3, "stride": stride, "padding": 1},
                              params={"weight": he((3, 3, c), 9), "bias": np.zeros(c, dtype)}), c, index)
        c_out = scaled(c_pw, width)
        block(f"pw{i}", Layer(f"pw{i}", "pwconv", {"out_channels": c_out},
                              params={"weight": he((c_out, c), c), "bias": np.zeros(c_out, dtype)}), c_out, index + 1)
        c = c_out
        index += 2
    layers.append(Layer("pool", "global_avgpool", index=27))
    layers.append(Layer("flatten", "flatten", index=28))
    layers.append(Layer("fc", "linear", {"out_features": num_classes}, index=28,
                        params={"weight": he((num_classes, c), c, gain=1.0), "bias": np.zeros(num_classes, dtype)}))
    meta = {"arch": "mobilenet_v1", "width": width, "input_size": [h, w], "num_classes": num_classes,
            "batchnorm": batchnorm, "activation": activation, "seed": seed}
    return Network((h, w, in_channels), layers, meta=meta)


ARCHS = {"mobilenet_v1": mobilenet_v1, "mobilenet_v2": mobilenet_v2}


def build(arch: str, **kwargs: Any) -> Network:
    """Build a named architecture (see `ARCHS`)."""
    if arch not in ARCHS:
        raise QlrError(f"unknown architecture {arch!r} (known: {', '.join(sorted(ARCHS))})")
    return ARCHS[arch](**kwargs)

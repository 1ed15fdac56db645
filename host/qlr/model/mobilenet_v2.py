"""MobileNetV2 builder (Sandler et al. 2018) at any width and input size, in the project's network
description: inverted residual blocks of existing layer kinds.

Block ``i`` (``features[i]`` in torchvision's numbering, also the layer index):

- 0: conv 3x3 stride 2 (``c0 = make_divisible(32 * width)``) + BatchNorm + ReLU6: ``f0``;
- 1..17: inverted residual blocks, settings (t, c, n, s) = (1, 16, 1, 1), (6, 24, 2, 2),
  (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1): with ``h =
  round(c_in * t)``, an expansion pointwise conv to ``h`` + BN + ReLU6 (``f{i}_expand``; absent
  when t = 1), a depthwise 3x3 conv (stride s for the first block of a group, padding 1) + BN +
  ReLU6 (``f{i}_dw``), a linear projection pointwise conv to ``make_divisible(c * width)`` + BN
  without activation (``f{i}_project``) and, when the stride is 1 and the channels agree, a
  residual add of the block's input (``f{i}_add``);
- 18: pointwise conv to ``make_divisible(1280 * max(1, width))`` + BN + ReLU6: ``f18``;
- 19: global average pool (``pool``); 20: flatten + linear classifier (``flatten``, ``fc``).

``make_divisible(v) = max(8, int(v + 4) // 8 * 8)``, plus 8 when that loses more than 10 % of v
(the rule of the reference implementation). An LR layer ``l`` cuts after block ``l``; inside a
residual block the add's two inputs are in the same block, so every block boundary is a valid
cut. Latents with zero point 0 (what LR memory needs) are the outputs of blocks 0 and 18 (after
ReLU6) and of 19 (the pool of 18's); the outputs of blocks 1-17 are linear bottlenecks (signed).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qlr.model.graph import Layer, Network
from qlr.model.init import check_builder_args, he_normal

# (expansion t, output channels c, repeats n, first stride s)
SETTINGS: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
)
LAST_CHANNELS = 1280


def make_divisible(v: float, divisor: int = 8) -> int:
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def block_plan(width: float = 1.0) -> list[dict[str, Any]]:
    """Blocks 1..17: input and output channels, hidden channels, expansion, stride, residual."""
    c_in = make_divisible(32 * width)
    out = []
    for t, c, n, s in SETTINGS:
        c_out = make_divisible(c * width)
        for k in range(n):
            stride = s if k == 0 else 1
            out.append({"in": c_in, "out": c_out, "hidden": int(round(c_in * t)), "t": t, "stride": stride,
                        "residual": stride == 1 and c_in == c_out})
            c_in = c_out
    return out


def mobilenet_v2(width: float = 1.0, input_size: int | tuple[int, int] = 224, num_classes: int = 1000,
                 in_channels: int = 3, batchnorm: bool = True, activation: str = "relu6", seed: int = 0,
                 dtype: type = np.float32) -> Network:
    """Build MobileNetV2 with He-normal weights and BatchNorm (gamma 1, beta 0, mean 0, var 1), or
    without BatchNorm (the convolutions then have zero biases); ``activation`` relu6 (the
    architecture's) or relu."""
    check_builder_args(width, activation, num_classes, in_channels)
    h, w = (input_size, input_size) if isinstance(input_size, int) else input_size
    he = he_normal(seed, dtype)
    layers: list[Layer] = []

    def conv_bn(name: str, conv: Layer, c_out: int, index: int, act: bool, inputs: list[str] | None = None) -> str:
        conv.index = index
        if inputs:
            conv.inputs = inputs
        layers.append(conv)
        if batchnorm:
            layers.append(Layer(f"{name}_bn", "batchnorm", {"eps": 1e-5}, index=index, params={
                "gamma": np.ones(c_out, dtype), "beta": np.zeros(c_out, dtype),
                "mean": np.zeros(c_out, dtype), "var": np.ones(c_out, dtype)}))
        else:
            conv.params["bias"] = np.zeros(c_out, dtype)
        if act:
            layers.append(Layer(f"{name}_{activation}", activation, index=index))
        return layers[-1].name

    c0 = make_divisible(32 * width)
    last = conv_bn("f0", Layer("f0", "conv2d", {"out_channels": c0, "kernel": 3, "stride": 2, "padding": 1},
                               params={"weight": he((c0, 3, 3, in_channels), 9 * in_channels)}), c0, 0, True)
    for i, b in enumerate(block_plan(width), start=1):
        block_in = last
        x = last
        if b["t"] != 1:
            x = conv_bn(f"f{i}_expand", Layer(f"f{i}_expand", "pwconv", {"out_channels": b["hidden"]},
                                              params={"weight": he((b["hidden"], b["in"]), b["in"])}),
                        b["hidden"], i, True, [x])
        x = conv_bn(f"f{i}_dw", Layer(f"f{i}_dw", "dwconv2d", {"kernel": 3, "stride": b["stride"], "padding": 1},
                                      params={"weight": he((3, 3, b["hidden"]), 9)}), b["hidden"], i, True, [x])
        x = conv_bn(f"f{i}_project", Layer(f"f{i}_project", "pwconv", {"out_channels": b["out"]},
                                           params={"weight": he((b["out"], b["hidden"]), b["hidden"])}),
                    b["out"], i, False, [x])
        if b["residual"]:
            layers.append(Layer(f"f{i}_add", "add", inputs=[block_in, x], index=i))
            x = f"f{i}_add"
        last = x
    c_last = make_divisible(LAST_CHANNELS * max(1.0, width))
    c_in = block_plan(width)[-1]["out"]
    conv_bn("f18", Layer("f18", "pwconv", {"out_channels": c_last},
                         params={"weight": he((c_last, c_in), c_in)}), c_last, 18, True, [last])
    layers.append(Layer("pool", "global_avgpool", index=19))
    layers.append(Layer("flatten", "flatten", index=20))
    layers.append(Layer("fc", "linear", {"out_features": num_classes}, index=20,
                        params={"weight": he((num_classes, c_last), c_last, gain=1.0),
                                "bias": np.zeros(num_classes, dtype)}))
    meta = {"arch": "mobilenet_v2", "width": width, "input_size": [h, w], "num_classes": num_classes,
            "batchnorm": batchnorm, "activation": activation, "seed": seed}
    return Network((h, w, in_channels), layers, meta=meta)

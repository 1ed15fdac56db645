"""Small deterministic sample images with every section type and every layer kind.

For tests of image readers (the host's and the firmware's): `sample_network` builds a random
network whose front-end uses every int8 kernel (conv2d, dwconv2d, pwconv, add, avgpool, a
standalone ReLU, global average pooling, flatten, linear; fused ReLU and ReLU6), at odd sizes;
`sample_content` quantizes it with PTQ on random images and adds a back-end, an LR memory and two
data batches. Nothing is trained: the values are random but every field is valid.
"""

from __future__ import annotations

import numpy as np

from qlr.image.content import DataBatch, ImageContent, LRMemory
from qlr.image.pack import build_content
from qlr.model.graph import Layer, Network
from qlr.quant.latent import requantize_u8_latent
from qlr.quant.ptq import quantize_front_end


def sample_network(seed: int = 0, input_shape: tuple[int, int, int] = (9, 7, 2), classes: int = 5) -> Network:
    """A random network; LR layer index 7 ends the front-end (output (12,) after the linear)."""
    r = np.random.default_rng(seed)
    h, w, c = input_shape

    def n(*shape: int, s: float = 0.4) -> np.ndarray:
        return (r.standard_normal(shape) * s).astype(np.float32)

    def bn(ch: int) -> dict[str, np.ndarray]:
        return {"gamma": (1 + n(ch, s=0.1)), "beta": n(ch, s=0.1), "mean": n(ch, s=0.1),
                "var": r.uniform(0.5, 1.5, ch).astype(np.float32)}

    layers = [
        Layer("conv1", "conv2d", {"out_channels": 6, "kernel": (3, 2), "stride": (2, 1), "padding": (1, 1, 0, 1)},
              params={"weight": n(6, 3, 2, c)}, index=0),
        Layer("conv1_bn", "batchnorm", params=bn(6), index=0),
        Layer("conv1_relu", "relu", index=0),
        Layer("dw1", "dwconv2d", {"kernel": 3, "padding": 1}, params={"weight": n(3, 3, 6), "bias": n(6)}, index=1),
        Layer("dw1_relu6", "relu6", index=1),
        Layer("pw1", "pwconv", {"out_channels": 6}, params={"weight": n(6, 6), "bias": n(6)}, index=2),
        Layer("res", "add", inputs=["conv1_relu", "pw1"], index=3),
        Layer("res_relu", "relu", index=3),
        Layer("pool", "avgpool", {"kernel": 2, "stride": 1}, index=4),
        Layer("pool_relu", "relu", index=4),
        Layer("gpool", "global_avgpool", index=5),
        Layer("flatten", "flatten", index=6),
        Layer("fc1", "linear", {"out_features": 12}, params={"weight": n(12, 6), "bias": n(12)}, index=7),
        Layer("fc1_relu", "relu", index=7),
        Layer("fc2", "linear", {"out_features": 8}, params={"weight": n(8, 12), "bias": n(8)}, index=8),
        Layer("fc2_relu6", "relu6", index=8),
        Layer("fc3", "linear", {"out_features": classes}, params={"weight": n(classes, 8)}, index=9),
    ]
    return Network(input_shape, layers, meta={"sample": True, "seed": seed})


SAMPLE_LR_LAYER = 7


def sample_content(seed: int = 0, lr_bits: int = 5, lr_count: int = 6, per_channel: bool = True,
                   scheme: str = "per_channel") -> ImageContent:
    """A valid `ImageContent` with every section type (see the module docstring)."""
    net = sample_network(seed)
    r = np.random.default_rng(seed + 1)
    x = r.integers(0, 256, size=(16,) + net.input_shape, dtype=np.uint8)
    front, back = net.fold_batchnorm().split(SAMPLE_LR_LAYER)
    qfe = quantize_front_end(front, x, scheme=scheme)
    lat = qfe.run(x[:lr_count])
    assert isinstance(lat, np.ndarray)
    lat = lat.reshape((lr_count, 1, 1, -1))
    codes, scale = requantize_u8_latent(lat, lr_bits, qfe.output.out_scale, per_channel)
    cmax = np.maximum(lat.reshape(-1, lat.shape[-1]).max(axis=0), 1).astype(np.uint8) if per_channel else np.array([255], np.uint8)
    classes = net.output_shape[-1]
    lr = LRMemory(codes, r.integers(0, classes, lr_count), lr_bits, scale, cmax)
    batches = {0: DataBatch(x[:3], r.integers(0, classes, 3)), 2: DataBatch(x[3:5], r.integers(0, classes, 2))}
    return build_content(qfe, back, lr, batches, {"generator": "qlr.image.sample", "seed": seed})

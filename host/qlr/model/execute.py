"""Run a `Network` forward with the FP32 golden kernels (inference mode)."""

from __future__ import annotations

import numpy as np

from qlr import golden as G
from qlr.errors import QlrError
from qlr.model.graph import INPUT, Layer, Network


def layer_forward(layer: Layer, xs: list[np.ndarray]) -> np.ndarray:
    """One layer's inference forward on its input tensors (batch-first)."""
    a, p, k = layer.attrs, layer.params, layer.kind
    x = xs[0]
    if k == "conv2d":
        return G.qlr_conv2d_f32_fw(x, p["weight"], p.get("bias"), a["stride"], a["padding"])
    if k == "dwconv2d":
        return G.qlr_dwconv2d_f32_fw(x, p["weight"], p.get("bias"), a["stride"], a["padding"])
    if k == "pwconv":
        return G.qlr_pwconv_f32_fw(x, p["weight"], p.get("bias"))
    if k == "linear":
        return G.qlr_linear_f32_fw(x, p["weight"], p.get("bias"))
    if k == "relu":
        return G.qlr_relu_f32_fw(x)
    if k == "relu6":
        return G.qlr_relu6_f32_fw(x)
    if k == "batchnorm":
        return G.qlr_batchnorm_f32_fw(x, p["gamma"], p["beta"], p["mean"], p["var"], a["eps"])
    if k == "avgpool":
        return G.qlr_avgpool_f32_fw(x, a["kernel"], a["stride"], a["padding"])
    if k == "global_avgpool":
        return G.qlr_global_avgpool_f32_fw(x)
    if k == "add":
        return G.qlr_add_f32_fw(xs[0], xs[1])
    if k == "flatten":
        return G.qlr_flatten_f32_fw(x)
    raise QlrError(f"layer {layer.name!r}: no forward for kind {k!r}")


def check_input(net: Network, x: np.ndarray) -> np.ndarray:
    """Check x is (N,) + net.input_shape and floating; return it as float32 or float64."""
    x = np.asarray(x)
    if x.shape[1:] != net.input_shape:
        raise QlrError(f"input has shape {x.shape}, the network expects (N,) + {net.input_shape}")
    if x.dtype.kind != "f":
        raise QlrError(f"input must be floating point (scale images first, e.g. qlr.data.to_float), got {x.dtype}")
    return x if x.dtype == np.float64 else x.astype(np.float32, copy=False)


def run_forward(net: Network, x: np.ndarray, upto: str | None = None) -> np.ndarray:
    """Inference through `net` in floating point with the golden kernels (BatchNorm uses running
    stats), keeping each activation only while a later layer still needs it.

    `x` is batch-first: (N,) + input_shape. Computes in x's dtype if it is float64, else in
    float32 (uint8 images must be scaled by the caller, see `qlr.data.to_float`). Stops after
    layer `upto` when given."""
    x = check_input(net, x)
    if upto is not None and upto not in net.shapes:
        raise QlrError(f"no layer named {upto!r}")
    last_use: dict[str, int] = {}
    for pos, lay in enumerate(net.layers):
        for src in lay.inputs:
            last_use[src] = pos
    acts: dict[str, np.ndarray] = {INPUT: x}
    out = x
    for pos, lay in enumerate(net.layers):
        out = layer_forward(lay, [acts[s] for s in lay.inputs])
        acts[lay.name] = out
        for src in lay.inputs:
            if last_use[src] == pos and src != lay.name:
                acts.pop(src, None)
        if lay.name == upto:
            break
    return out

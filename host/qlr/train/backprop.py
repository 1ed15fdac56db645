"""Training-mode forward and backward through a `Network` with the FP32 golden kernels.

`forward_train` keeps every activation on a `Tape`; `backward` walks the layers in reverse and
returns the gradient of every learnable parameter (weight, bias, gamma, beta) plus the gradient
with respect to the network input. Gradients are sums over the batch of dLoss/dparam for the loss
whose gradient w.r.t. the network output is passed in (the golden softmax cross-entropy already
divides by the batch size, so with it these are gradients of the mean loss).

BatchNorm: with ``bn="batch"`` it normalises with the batch statistics and the Tape records them
(see `update_running_stats`); with ``bn="frozen"`` it uses the stored mean/var, as in inference
and as in a back-end trained on a device.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qlr import golden as G
from qlr.errors import QlrError
from qlr.golden.batchnorm import BatchnormCache
from qlr.model.execute import check_input, layer_forward
from qlr.model.graph import INPUT, Layer, Network


@dataclass
class Tape:
    """What the backward pass needs: every layer's output and the BatchNorm caches."""

    acts: dict[str, np.ndarray] = field(default_factory=dict)
    bn_cache: dict[str, BatchnormCache] = field(default_factory=dict)
    bn_stats: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    bn_mode: str = "batch"


def forward_train(net: Network, x: np.ndarray, bn: str = "batch") -> tuple[np.ndarray, Tape]:
    """Forward pass keeping activations; returns (output, tape)."""
    if bn not in ("batch", "frozen"):
        raise QlrError(f"bn must be 'batch' or 'frozen', got {bn!r}")
    x = check_input(net, x)
    tape = Tape(bn_mode=bn)
    tape.acts[INPUT] = x
    out = x
    for lay in net.layers:
        xs = [tape.acts[s] for s in lay.inputs]
        if lay.kind == "batchnorm" and bn == "batch":
            p = lay.params
            out, cache, mu, var = G.batchnorm_train_f32_fw(xs[0], p["gamma"], p["beta"], lay.attrs["eps"])
            tape.bn_cache[lay.name] = cache
            tape.bn_stats[lay.name] = (mu, var)
        else:
            out = layer_forward(lay, xs)
        tape.acts[lay.name] = out
    return out, tape


def update_running_stats(net: Network, tape: Tape, momentum: float = 0.1) -> None:
    """running = (1 - momentum) * running + momentum * batch; the variance is made unbiased (m/(m-1))."""
    for lay in net.layers:
        if lay.name not in tape.bn_stats:
            continue
        mu, var = tape.bn_stats[lay.name]
        m = tape.acts[lay.inputs[0]].size // mu.size
        unbiased = var * (m / max(m - 1, 1))
        p = lay.params
        p["mean"][...] = (1 - momentum) * p["mean"] + momentum * mu.astype(p["mean"].dtype)
        p["var"][...] = (1 - momentum) * p["var"] + momentum * unbiased.astype(p["var"].dtype)


def _layer_backward(lay: Layer, tape: Tape, dy: np.ndarray, in_shape: tuple[int, ...]
                    ) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """Gradients w.r.t. the layer's inputs and its learnable parameters."""
    a, p, k = lay.attrs, lay.params, lay.kind
    x = tape.acts[lay.inputs[0]]
    y = tape.acts[lay.name]
    grads: dict[str, np.ndarray] = {}
    if k == "conv2d":
        dx = G.qlr_conv2d_f32_bw_input(dy, p["weight"], (in_shape[0], in_shape[1]), a["stride"], a["padding"])
        grads["weight"], db = G.qlr_conv2d_f32_bw_weight(x, dy, a["kernel"], a["stride"], a["padding"])
    elif k == "dwconv2d":
        dx = G.qlr_dwconv2d_f32_bw_input(dy, p["weight"], (in_shape[0], in_shape[1]), a["stride"], a["padding"])
        grads["weight"], db = G.qlr_dwconv2d_f32_bw_weight(x, dy, a["kernel"], a["stride"], a["padding"])
    elif k == "pwconv":
        dx = G.qlr_pwconv_f32_bw_input(dy, p["weight"])
        grads["weight"], db = G.qlr_pwconv_f32_bw_weight(x, dy)
    elif k == "linear":
        dx = G.qlr_linear_f32_bw_input(dy, p["weight"])
        grads["weight"], db = G.qlr_linear_f32_bw_weight(x, dy)
    elif k == "relu":
        return [G.qlr_relu_f32_bw(dy, y)], grads
    elif k == "relu6":
        return [G.qlr_relu6_f32_bw(dy, y)], grads
    elif k == "batchnorm":
        if lay.name in tape.bn_cache:
            dx, grads["gamma"], grads["beta"] = G.batchnorm_train_f32_bw(dy, tape.bn_cache[lay.name])
        else:  # frozen statistics: an affine map per channel
            inv = 1.0 / np.sqrt(p["var"].astype(dy.dtype) + dy.dtype.type(a["eps"]))
            axes = tuple(range(dy.ndim - 1))
            dx = dy * (p["gamma"] * inv).astype(dy.dtype)
            grads["gamma"] = (dy * ((x - p["mean"]) * inv)).sum(axis=axes)
            grads["beta"] = dy.sum(axis=axes)
        return [dx], grads
    elif k == "avgpool":
        return [G.qlr_avgpool_f32_bw(dy, (in_shape[0], in_shape[1]), a["kernel"], a["stride"], a["padding"])], grads
    elif k == "global_avgpool":
        return [G.qlr_global_avgpool_f32_bw(dy, (in_shape[0], in_shape[1]))], grads
    elif k == "add":
        return list(G.qlr_add_f32_bw(dy)), grads
    elif k == "flatten":
        return [G.qlr_flatten_f32_bw(dy, in_shape)], grads
    else:
        raise QlrError(f"layer {lay.name!r}: no backward for kind {k!r}")
    if "bias" in p:
        grads["bias"] = db
    return [dx], grads


def backward(net: Network, tape: Tape, dout: np.ndarray, input_grad: bool = True,
             stop_after: str | None = None) -> tuple[dict[str, dict[str, np.ndarray]], np.ndarray | None]:
    """Backpropagate dout (gradient w.r.t. the network output).

    Returns ({layer name: {param name: gradient}}, gradient w.r.t. the network input or None).
    With `input_grad` False the layers reading the network input skip their input gradient
    (a conv/linear first layer then computes only its weight gradient). With `stop_after` the
    walk ends after that layer (the layers before it get no gradients; the input gradient is None).
    """
    if stop_after is not None and stop_after not in net.shapes:
        raise QlrError(f"no layer named {stop_after!r}")
    pending: dict[str, np.ndarray] = {net.layers[-1].name: dout}
    grads: dict[str, dict[str, np.ndarray]] = {}
    for lay in reversed(net.layers):
        dy = pending.pop(lay.name, None)
        if dy is None:  # the output of this layer does not reach the loss
            continue
        if not input_grad and lay.inputs == [INPUT]:
            if lay.kind in ("conv2d", "dwconv2d", "pwconv", "linear"):
                _, g = _weights_only(lay, tape, dy)
            else:
                _, g = _layer_backward(lay, tape, dy, net.input_shape_of(lay))
            dxs: list[np.ndarray] = []
        else:
            dxs, g = _layer_backward(lay, tape, dy, net.input_shape_of(lay))
        if g:
            grads[lay.name] = g
        for src, dx in zip(lay.inputs, dxs):
            pending[src] = pending[src] + dx if src in pending else dx
        if lay.name == stop_after:
            return grads, None
    return grads, pending.get(INPUT)


def _weights_only(lay: Layer, tape: Tape, dy: np.ndarray) -> tuple[None, dict[str, np.ndarray]]:
    a, p, k = lay.attrs, lay.params, lay.kind
    x = tape.acts[lay.inputs[0]]
    if k == "conv2d":
        w, b = G.qlr_conv2d_f32_bw_weight(x, dy, a["kernel"], a["stride"], a["padding"])
    elif k == "dwconv2d":
        w, b = G.qlr_dwconv2d_f32_bw_weight(x, dy, a["kernel"], a["stride"], a["padding"])
    elif k == "pwconv":
        w, b = G.qlr_pwconv_f32_bw_weight(x, dy)
    else:
        w, b = G.qlr_linear_f32_bw_weight(x, dy)
    g = {"weight": w}
    if "bias" in p:
        g["bias"] = b
    return None, g

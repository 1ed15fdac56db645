"""Op specs of the int8 family: the int8 front-end kernels (see qlr.kernels.spec and docs/kernels.md).

Every op mirrors a golden function of `qlr.golden.int8` bit for bit:

- ``conv2d_u8s8``, ``dwconv2d_u8s8``, ``pwconv_u8s8``, ``linear_u8s8``: uint8 input ``x`` (NHWC, or
  ``[n, in_f]``), int8 weights ``w``, the RAW int32 ``bias`` (the device folds the input zero
  point into it), per-channel or per-layer requantization ``mult`` (int32, ``[0, 2**31 - 1]``) and
  ``shift`` (uint8, ``[1, 62]``) of ``rq_channels`` entries, output ``y`` uint8.
- ``avgpool_u8``: count-include-pad average pooling, windowed or global (``k_h = k_w = 0``).
- ``add_u8``: residual add with two input scales; its multipliers are parameters.
- ``requant_u8``: the requantization alone (int32 accumulators to uint8), for its edge cases.

Zero points and the activation clamp ``[act_min, act_max]`` are parameters (none ``[0, 255]``,
ReLU ``[z_y, 255]``, ReLU6 ``[z_y, min(255, z_y + round(6 / S_y))]``: see
`qlr.golden.requant.activation_range`). The weight zero point is one per layer (the image
format's ``w_zp``; 0 for symmetric per-channel weights).

`make_inputs` draws random tensors, a bias that centres each channel's accumulators (as a folded
BatchNorm does) and each channel's real multiplier from the spread of the golden accumulators
(about 20 to 60 output steps per standard deviation, via `quantize_multiplier`), so that outputs
cover much of ``[0, 255]`` instead of saturating: a bit-exact match then exercises the rounding,
not just the clamp.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from qlr.golden.int8 import (
    AddRequant,
    Requant,
    avgpool_requant,
    qlr_add_u8,
    qlr_avgpool_u8,
    qlr_conv2d_u8s8,
    qlr_dwconv2d_u8s8,
    qlr_linear_u8s8,
    qlr_pwconv_u8s8,
    quantize_multiplier,
    requantize,
)
from qlr.golden.int8_conv import conv2d_u8s8_accumulate, pwconv_u8s8_accumulate
from qlr.golden.int8_dwconv import dwconv2d_u8s8_accumulate
from qlr.golden.int8_linear import linear_u8s8_accumulate
from qlr.kernels.spec import Arrays, Dims, OpSpec, Param, Params, Range, TensorSpec, dims

# ---- shared parameters and helpers ---------------------------------------------------------

# Ranges the firmware's int8 ops accept (one place: the firmware's checks are generated from them).
DIM: Range = {"min": 1, "max": 65535}          # batch, height, width
CH: Range = {"min": 1, "max": 1 << 24}         # channels, features
KER: Range = {"min": 1, "max": 255}            # kernel sizes, strides
PAD: Range = {"min": 0, "max": 255}
U8: Range = {"min": 0, "max": 255}             # zero points, clamp ends


def _geometry_params(with_kernel: bool = True) -> tuple[Param, ...]:
    ps: tuple[Param, ...] = ()
    if with_kernel:
        ps += (Param("k_h", doc="kernel height (derived from w)", **KER),
               Param("k_w", doc="kernel width (derived from w)", **KER))
    ps += (Param("stride_h", default=1, doc="vertical stride", **KER),
           Param("stride_w", default=1, doc="horizontal stride", **KER))
    if with_kernel:
        ps += (Param("pad_top", default=0, doc="rows of padding above (value in_zp)", **PAD),
               Param("pad_bottom", default=0, doc="rows of padding below", **PAD),
               Param("pad_left", default=0, doc="columns of padding left", **PAD),
               Param("pad_right", default=0, doc="columns of padding right", **PAD))
    return ps


def _nhw(c: str, cdoc: str = "channels (derived)") -> tuple[Param, ...]:
    """n, in_h, in_w and the channel parameter of an NHWC input x."""
    return (Param("n", doc="batch (derived from x)", **DIM), Param("in_h", doc="input height (derived)", **DIM),
            Param("in_w", doc="input width (derived)", **DIM), Param(c, doc=cdoc, **CH))


IN_ZP = Param("in_zp", default=0, doc="input zero point z_x (0 after a ReLU)", **U8)
W_ZP = Param("w_zp", default=0, doc="per-layer weight zero point z_w (0: symmetric weights)", min=-128, max=127)
RQ_PARAMS = (
    Param("out_zp", default=0, doc="output zero point z_y", **U8),
    Param("act_min", default=0, doc="clamp low end (none 0, ReLU/ReLU6 z_y)", **U8),
    Param("act_max", default=255, doc="clamp high end, >= act_min (ReLU6: min(255, z_y + round(6/S_y)))", **U8),
    Param("rq_channels", doc="entries of mult/shift: 1 (per layer) or the output channels (derived from mult)",
          **CH),
)


def _rq_tensors() -> tuple[TensorSpec, ...]:
    return (
        TensorSpec("mult", "int32", "in", lambda p: (p["rq_channels"],),
                   "requantization multipliers, 0..2**31-1 (M ~= mult * 2**-shift)"),
        TensorSpec("shift", "uint8", "in", lambda p: (p["rq_channels"],), "requantization right shifts, 1..62"),
    )


def _requant(a: Arrays, p: Dims) -> Requant:
    return Requant(mult=a["mult"].astype(np.int64), shift=a["shift"].astype(np.int64), out_zp=int(p["out_zp"]),
                   act_min=int(p["act_min"]), act_max=int(p["act_max"]))


def _out(n: int, k: int, s: int, p0: int, p1: int) -> int:
    """Output size; 0 when the window does not fit (the device then rejects the call by name)."""
    if s < 1 or n + p0 + p1 < k:
        return 0
    return (n + p0 + p1 - k) // s + 1


def _padding(p: Dims) -> tuple[int, int, int, int]:
    return (int(p["pad_top"]), int(p["pad_bottom"]), int(p["pad_left"]), int(p["pad_right"]))


def _spread(acc: np.ndarray) -> np.ndarray:
    """Per-channel standard deviation of accumulators (channels last); channels seen at fewer than
    8 positions take the spread over every element instead (a 1x1 output has no spread of its
    own). At least 1."""
    a = np.asarray(acc, dtype=np.float64).reshape(-1, acc.shape[-1])
    std = a.std(axis=0) if a.shape[0] >= 8 else np.full(a.shape[1], a.std())
    return np.maximum(std, 1.0)


def multipliers_for(acc: np.ndarray, per_channel: bool, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(mult int32, shift uint8) that map accumulators ``acc`` (channels last) to about 20..60
    output steps per standard deviation: realistic, mostly unsaturated outputs."""
    if per_channel:
        std = _spread(acc)
    else:
        std = np.array([max(float(np.asarray(acc, dtype=np.float64).std()), 1.0)])
    real = rng.uniform(20.0, 60.0, size=std.shape) / std
    mult, shift = quantize_multiplier(real)
    return mult.astype(np.int32), shift.astype(np.uint8)


def _rand_u8(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


def _rand_s8(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(-128, 128, size=shape, dtype=np.int8)


def centring_bias(acc0: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An int32 bias that centres the bias-free accumulators ``acc0`` (channels last) per channel,
    plus noise of half their spread: what a folded BatchNorm does to a real layer's
    pre-activations, so that ReLU keeps about half of the outputs."""
    a = np.asarray(acc0, dtype=np.float64).reshape(-1, acc0.shape[-1])
    mean, std = a.mean(axis=0), _spread(acc0)
    b = np.rint(-mean + rng.normal(0.0, 1.0, size=mean.shape) * 0.5 * std)
    return np.clip(b, -(2**30), 2**30).astype(np.int32)


# ---- conv2d_u8s8 -----------------------------------------------------------------------------

def _conv_shapes(p: Dims) -> dict[str, tuple[int, ...]]:
    oh = _out(p["in_h"], p["k_h"], p["stride_h"], p["pad_top"], p["pad_bottom"])
    ow = _out(p["in_w"], p["k_w"], p["stride_w"], p["pad_left"], p["pad_right"])
    return {"x": (p["n"], p["in_h"], p["in_w"], p["in_c"]), "w": (p["out_c"], p["k_h"], p["k_w"], p["in_c"]),
            "y": (p["n"], oh, ow, p["out_c"])}


def _conv_derive(a: Arrays) -> Params:
    n, h, w, cin = a["x"].shape
    cout, kh, kw, _ = a["w"].shape
    return {"n": n, "in_h": h, "in_w": w, "in_c": cin, "out_c": cout, "k_h": kh, "k_w": kw,
            "rq_channels": int(np.asarray(a["mult"]).shape[0])}


def _conv_kw(p: Dims) -> dict[str, Any]:
    return {"in_zp": int(p["in_zp"]), "w_zp": int(p["w_zp"]), "stride": (int(p["stride_h"]), int(p["stride_w"])),
            "padding": _padding(p)}


def _conv_golden(a: Arrays, params: Params) -> Arrays:
    p = dims(params)
    return {"y": qlr_conv2d_u8s8(a["x"], a["w"], a["bias"], _requant(a, p), **_conv_kw(p))}


def _conv_inputs(params: Params, rng: np.random.Generator) -> Arrays:
    p = dims(params)
    s = _conv_shapes(p)
    x, w = _rand_u8(rng, s["x"]), _rand_s8(rng, s["w"])
    acc0 = conv2d_u8s8_accumulate(x, w, None, **_conv_kw(p))
    bias = centring_bias(acc0, rng)
    acc = acc0 + bias
    mult, shift = multipliers_for(acc, p["rq_channels"] != 1, rng)
    return {"x": x, "w": w, "bias": bias, "mult": mult, "shift": shift}


def _bias_tensor(name: str) -> TensorSpec:
    return TensorSpec("bias", "int32", "in", lambda p: (p[name],),
                      "raw int32 bias (scale S_x*S_w[c]); the device folds in_zp into it")


CONV2D = OpSpec(
    name="conv2d_u8s8", family="int8",
    params=_nhw("in_c", "input channels (derived)") + (Param("out_c", doc="output channels (derived from w)", **CH),)
    + _geometry_params() + (IN_ZP, W_ZP) + RQ_PARAMS,
    tensors=(TensorSpec("x", "uint8", "in", lambda p: (p["n"], p["in_h"], p["in_w"], p["in_c"]), "input (HWC)"),
             TensorSpec("w", "int8", "in", lambda p: (p["out_c"], p["k_h"], p["k_w"], p["in_c"]), "weights"),
             _bias_tensor("out_c")) + _rq_tensors()
    + (TensorSpec("y", "uint8", "out", lambda p: _conv_shapes(p)["y"], "output [n, out_h, out_w, out_c], "
                  "out_h = (in_h + pad_top + pad_bottom - k_h) // stride_h + 1, out_w likewise"),),
    derive=_conv_derive, golden=_conv_golden,
    macs=lambda p: math.prod(_conv_shapes(p)["y"]) * p["k_h"] * p["k_w"] * p["in_c"],
    make_inputs=_conv_inputs,
    doc="int8 2-D convolution, any kernel/stride/padding (padding holds in_zp); golden "
        "qlr.golden.int8.qlr_conv2d_u8s8. Scratch: im2col of 2 pixels per core in L1 (or free L2).",
)


# ---- dwconv2d_u8s8 ---------------------------------------------------------------------------

def _dw_shapes(p: Dims) -> dict[str, tuple[int, ...]]:
    oh = _out(p["in_h"], p["k_h"], p["stride_h"], p["pad_top"], p["pad_bottom"])
    ow = _out(p["in_w"], p["k_w"], p["stride_w"], p["pad_left"], p["pad_right"])
    return {"x": (p["n"], p["in_h"], p["in_w"], p["c"]), "w": (p["k_h"], p["k_w"], p["c"]),
            "y": (p["n"], oh, ow, p["c"])}


def _dw_derive(a: Arrays) -> Params:
    n, h, w, c = a["x"].shape
    kh, kw, _ = a["w"].shape
    return {"n": n, "in_h": h, "in_w": w, "c": c, "k_h": kh, "k_w": kw,
            "rq_channels": int(np.asarray(a["mult"]).shape[0])}


def _dw_golden(a: Arrays, params: Params) -> Arrays:
    p = dims(params)
    return {"y": qlr_dwconv2d_u8s8(a["x"], a["w"], a["bias"], _requant(a, p), **_conv_kw(p))}


def _dw_inputs(params: Params, rng: np.random.Generator) -> Arrays:
    p = dims(params)
    s = _dw_shapes(p)
    x, w = _rand_u8(rng, s["x"]), _rand_s8(rng, s["w"])
    acc0 = dwconv2d_u8s8_accumulate(x, w, None, **_conv_kw(p))
    bias = centring_bias(acc0, rng)
    acc = acc0 + bias
    mult, shift = multipliers_for(acc, p["rq_channels"] != 1, rng)
    return {"x": x, "w": w, "bias": bias, "mult": mult, "shift": shift}


DWCONV2D = OpSpec(
    name="dwconv2d_u8s8", family="int8",
    params=_nhw("c")
    + _geometry_params() + (IN_ZP, W_ZP) + RQ_PARAMS,
    tensors=(TensorSpec("x", "uint8", "in", lambda p: (p["n"], p["in_h"], p["in_w"], p["c"]), "input (HWC)"),
             TensorSpec("w", "int8", "in", lambda p: (p["k_h"], p["k_w"], p["c"]), "weights"),
             _bias_tensor("c")) + _rq_tensors()
    + (TensorSpec("y", "uint8", "out", lambda p: _dw_shapes(p)["y"], "output [n, out_h, out_w, c], "
                  "out_h = (in_h + pad_top + pad_bottom - k_h) // stride_h + 1, out_w likewise"),),
    derive=_dw_derive, golden=_dw_golden,
    macs=lambda p: math.prod(_dw_shapes(p)["y"]) * p["k_h"] * p["k_w"],
    make_inputs=_dw_inputs,
    doc="int8 depthwise 2-D convolution (channel multiplier 1), any kernel/stride/padding; golden "
        "qlr.golden.int8.qlr_dwconv2d_u8s8.",
)


# ---- pwconv_u8s8 -----------------------------------------------------------------------------

def _pw_shapes(p: Dims) -> dict[str, tuple[int, ...]]:
    oh = _out(p["in_h"], 1, p["stride_h"], 0, 0)
    ow = _out(p["in_w"], 1, p["stride_w"], 0, 0)
    return {"x": (p["n"], p["in_h"], p["in_w"], p["in_c"]), "w": (p["out_c"], p["in_c"]),
            "y": (p["n"], oh, ow, p["out_c"])}


def _pw_derive(a: Arrays) -> Params:
    n, h, w, cin = a["x"].shape
    return {"n": n, "in_h": h, "in_w": w, "in_c": cin, "out_c": a["w"].shape[0],
            "rq_channels": int(np.asarray(a["mult"]).shape[0])}


def _pw_kw(p: Dims) -> dict[str, Any]:
    return {"in_zp": int(p["in_zp"]), "w_zp": int(p["w_zp"]), "stride": (int(p["stride_h"]), int(p["stride_w"]))}


def _pw_golden(a: Arrays, params: Params) -> Arrays:
    p = dims(params)
    return {"y": qlr_pwconv_u8s8(a["x"], a["w"], a["bias"], _requant(a, p), **_pw_kw(p))}


def _pw_inputs(params: Params, rng: np.random.Generator) -> Arrays:
    p = dims(params)
    s = _pw_shapes(p)
    x, w = _rand_u8(rng, s["x"]), _rand_s8(rng, s["w"])
    acc0 = pwconv_u8s8_accumulate(x, w, None, **_pw_kw(p))
    bias = centring_bias(acc0, rng)
    acc = acc0 + bias
    mult, shift = multipliers_for(acc, p["rq_channels"] != 1, rng)
    return {"x": x, "w": w, "bias": bias, "mult": mult, "shift": shift}


PWCONV = OpSpec(
    name="pwconv_u8s8", family="int8",
    params=_nhw("in_c", "input channels (derived)") + (Param("out_c", doc="output channels (derived from w)", **CH),)
    + _geometry_params(with_kernel=False) + (IN_ZP, W_ZP) + RQ_PARAMS,
    tensors=(TensorSpec("x", "uint8", "in", lambda p: (p["n"], p["in_h"], p["in_w"], p["in_c"]), "input (HWC)"),
             TensorSpec("w", "int8", "in", lambda p: (p["out_c"], p["in_c"]), "weights"),
             _bias_tensor("out_c")) + _rq_tensors()
    + (TensorSpec("y", "uint8", "out", lambda p: _pw_shapes(p)["y"],
                  "output [n, out_h, out_w, out_c], out = (in - 1) // stride + 1"),),
    derive=_pw_derive, golden=_pw_golden,
    macs=lambda p: math.prod(_pw_shapes(p)["y"]) * p["in_c"],
    make_inputs=_pw_inputs,
    doc="int8 pointwise (1x1) convolution, no padding; golden qlr.golden.int8.qlr_pwconv_u8s8. "
        "Cortex-M4: SMLAD on 2 pixels x 2 channels.",
)


# ---- linear_u8s8 -----------------------------------------------------------------------------

def _lin_derive(a: Arrays) -> Params:
    n, i = a["x"].shape
    return {"n": n, "in_f": i, "out_f": a["w"].shape[0], "rq_channels": int(np.asarray(a["mult"]).shape[0])}


def _lin_kw(p: Dims) -> dict[str, Any]:
    return {"in_zp": int(p["in_zp"]), "w_zp": int(p["w_zp"])}


def _lin_golden(a: Arrays, params: Params) -> Arrays:
    p = dims(params)
    return {"y": qlr_linear_u8s8(a["x"], a["w"], a["bias"], _requant(a, p), **_lin_kw(p))}


def _lin_inputs(params: Params, rng: np.random.Generator) -> Arrays:
    p = dims(params)
    x, w = _rand_u8(rng, (p["n"], p["in_f"])), _rand_s8(rng, (p["out_f"], p["in_f"]))
    acc0 = linear_u8s8_accumulate(x, w, None, **_lin_kw(p))
    bias = centring_bias(acc0, rng)
    acc = acc0 + bias
    mult, shift = multipliers_for(acc, p["rq_channels"] != 1, rng)
    return {"x": x, "w": w, "bias": bias, "mult": mult, "shift": shift}


LINEAR = OpSpec(
    name="linear_u8s8", family="int8",
    params=(Param("n", doc="rows (derived from x)", **DIM), Param("in_f", doc="input features (derived)", **CH),
            Param("out_f", doc="output features (derived from w)", **CH), IN_ZP, W_ZP) + RQ_PARAMS,
    tensors=(TensorSpec("x", "uint8", "in", lambda p: (p["n"], p["in_f"]), "input [n, in_f]"),
             TensorSpec("w", "int8", "in", lambda p: (p["out_f"], p["in_f"]), "weights [out_f, in_f]"),
             _bias_tensor("out_f")) + _rq_tensors()
    + (TensorSpec("y", "uint8", "out", lambda p: (p["n"], p["out_f"]), "output [n, out_f]"),),
    derive=_lin_derive, golden=_lin_golden, macs=lambda p: p["n"] * p["in_f"] * p["out_f"],
    make_inputs=_lin_inputs,
    doc="int8 fully connected layer; golden qlr.golden.int8.qlr_linear_u8s8.",
)


# ---- avgpool_u8 ----------------------------------------------------------------------------

def _pool_window(p: Dims) -> tuple[int, int, int, int]:
    kh = int(p["k_h"]) or int(p["in_h"])
    kw = int(p["k_w"]) or int(p["in_w"])
    return kh, kw, int(p["stride_h"]) or kh, int(p["stride_w"]) or kw


def _pool_shapes(p: Dims) -> dict[str, tuple[int, ...]]:
    kh, kw, sh, sw = _pool_window(p)
    oh = _out(p["in_h"], kh, sh, p["pad_top"], p["pad_bottom"])
    ow = _out(p["in_w"], kw, sw, p["pad_left"], p["pad_right"])
    return {"x": (p["n"], p["in_h"], p["in_w"], p["c"]), "y": (p["n"], oh, ow, p["c"])}


def _pool_derive(a: Arrays) -> Params:
    n, h, w, c = a["x"].shape
    return {"n": n, "in_h": h, "in_w": w, "c": c, "rq_channels": int(np.asarray(a["mult"]).shape[0])}


def _pool_golden(a: Arrays, params: Params) -> Arrays:
    p = dims(params)
    kh, kw, sh, sw = _pool_window(p)
    return {"y": qlr_avgpool_u8(a["x"], _requant(a, p), in_zp=int(p["in_zp"]), kernel=(kh, kw), stride=(sh, sw),
                                padding=_padding(p))}


def _pool_inputs(params: Params, rng: np.random.Generator) -> Arrays:
    p = dims(params)
    kh, kw, _, _ = _pool_window(p)
    in_scale = 0.05
    if p["rq_channels"] == 1:
        rq = avgpool_requant(in_scale, in_scale * float(rng.uniform(0.5, 1.5)), kh * kw)
        mult, shift = rq.mult, rq.shift
    else:
        mult, shift = quantize_multiplier(rng.uniform(0.5, 1.5, size=p["rq_channels"]) / (kh * kw))
    return {"x": _rand_u8(rng, _pool_shapes(p)["x"]), "mult": mult.astype(np.int32), "shift": shift.astype(np.uint8)}


AVGPOOL = OpSpec(
    name="avgpool_u8", family="int8",
    params=_nhw("c") + (
            Param("k_h", default=0, doc="window height; 0: the input height (global pooling)", min=0, max=65535),
            Param("k_w", default=0, doc="window width; 0: the input width (global pooling)", min=0, max=65535),
            Param("stride_h", default=0, doc="vertical stride; 0: the window height", min=0, max=65535),
            Param("stride_w", default=0, doc="horizontal stride; 0: the window width", min=0, max=65535),
            Param("pad_top", default=0, doc="padding rows above (hold in_zp, count in the mean)", **PAD),
            Param("pad_bottom", default=0, doc="padding rows below", **PAD),
            Param("pad_left", default=0, doc="padding columns left", **PAD),
            Param("pad_right", default=0, doc="padding columns right", **PAD),
            IN_ZP) + RQ_PARAMS,
    tensors=(TensorSpec("x", "uint8", "in", lambda p: (p["n"], p["in_h"], p["in_w"], p["c"]), "input (HWC)"),)
    + _rq_tensors()
    + (TensorSpec("y", "uint8", "out", lambda p: _pool_shapes(p)["y"], "output [n, out_h, out_w, c], "
                  "out_h = (in_h + pad_top + pad_bottom - k_h) // stride_h + 1 with the defaults resolved"),),
    derive=_pool_derive, golden=_pool_golden,
    macs=lambda p: math.prod(_pool_shapes(p)["y"]) * _pool_window(p)[0] * _pool_window(p)[1],
    make_inputs=_pool_inputs,
    doc="uint8 average pooling, count-include-pad, mult*2**-shift ~= S_x/(k_h*k_w*S_y) "
        "(qlr.golden.int8.avgpool_requant); golden qlr.golden.int8.qlr_avgpool_u8. MACs = additions.",
)


# ---- add_u8 --------------------------------------------------------------------------------

def _add_shape(p: Dims) -> tuple[int, ...]:
    return (p["n"], p["h"], p["w"], p["c"])


def _add_derive(a: Arrays) -> Params:
    n, h, w, c = a["a"].shape
    return {"n": n, "h": h, "w": w, "c": c}


def _add_golden(a: Arrays, params: Params) -> Arrays:
    p = dims(params)
    rq = AddRequant(int(p["mult_a"]), int(p["mult_b"]), int(p["shift"]), int(p["out_zp"]), int(p["act_min"]),
                    int(p["act_max"]))
    return {"y": qlr_add_u8(a["a"], a["b"], rq, a_zp=int(p["a_zp"]), b_zp=int(p["b_zp"]))}


def _add_inputs(params: Params, rng: np.random.Generator) -> Arrays:
    shape = _add_shape(dims(params))
    return {"a": _rand_u8(rng, shape), "b": _rand_u8(rng, shape)}


ADD = OpSpec(
    name="add_u8", family="int8",
    params=(Param("n", doc="batch (derived from a)", **DIM), Param("h", doc="height (derived)", **DIM),
            Param("w", doc="width (derived)", **DIM), Param("c", doc="channels (derived)", **CH),
            Param("a_zp", default=0, doc="zero point of a", **U8),
            Param("b_zp", default=0, doc="zero point of b", **U8),
            Param("mult_a", doc="multiplier of a (m_a*2**-shift ~= S_a/S_y; qlr.golden.int8.add_requant)",
                  min=0, max=(1 << 21) - 1),
            Param("mult_b", doc="multiplier of b", min=0, max=(1 << 21) - 1),
            Param("shift", doc="shared right shift", min=1, max=31),
            Param("out_zp", default=0, doc="output zero point", **U8),
            Param("act_min", default=0, doc="clamp low end", **U8),
            Param("act_max", default=255, doc="clamp high end, >= act_min", **U8)),
    tensors=(TensorSpec("a", "uint8", "in", _add_shape, "first input"),
             TensorSpec("b", "uint8", "in", _add_shape, "second input, same shape"),
             TensorSpec("y", "uint8", "out", _add_shape, "output, same shape")),
    derive=_add_derive, golden=_add_golden, macs=lambda p: math.prod(_add_shape(p)),
    make_inputs=_add_inputs,
    doc="uint8 residual add with two input scales, 32-bit arithmetic; golden qlr.golden.int8.qlr_add_u8. "
        "MACs = elements.",
)


# ---- requant_u8 ----------------------------------------------------------------------------

def _rq_golden(a: Arrays, params: Params) -> Arrays:
    p = dims(params)
    return {"y": requantize(a["acc"].astype(np.int64), _requant(a, p))}


def _rq_inputs(params: Params, rng: np.random.Generator) -> Arrays:
    p = dims(params)
    mult, shift = quantize_multiplier(np.exp(rng.uniform(np.log(1e-6), np.log(10.0), size=p["rq_channels"])))
    acc = rng.integers(-(2**31), 2**31, size=(p["m"], p["channels"]), dtype=np.int64).astype(np.int32)
    return {"acc": acc, "mult": mult.astype(np.int32), "shift": shift.astype(np.uint8)}


REQUANT = OpSpec(
    name="requant_u8", family="int8",
    params=(Param("m", doc="rows (derived from acc)", min=1),
            Param("channels", doc="channels, last axis (derived)", **CH)) + RQ_PARAMS,
    tensors=(TensorSpec("acc", "int32", "in", lambda p: (p["m"], p["channels"]), "int32 accumulators [m, channels]"),)
    + _rq_tensors()
    + (TensorSpec("y", "uint8", "out", lambda p: (p["m"], p["channels"]), "requantized output [m, channels]"),),
    derive=lambda a: {"m": a["acc"].shape[0], "channels": a["acc"].shape[1],
                      "rq_channels": int(np.asarray(a["mult"]).shape[0])},
    golden=_rq_golden, macs=lambda p: p["m"] * p["channels"], make_inputs=_rq_inputs,
    doc="the requantization of every int8 kernel alone: round half up of acc*mult/2**shift, + out_zp, clamp; "
        "golden qlr.golden.requant.requantize. MACs = elements.",
)

OPS: list[OpSpec] = [CONV2D, DWCONV2D, PWCONV, LINEAR, AVGPOOL, ADD, REQUANT]

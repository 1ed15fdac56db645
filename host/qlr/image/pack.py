"""Turn a network (quantized front-end + FP32 back-end), an LR memory and data into an `ImageContent`.

Layer table: the quantized front-end layers first (stage FRONT, activations fused as in
`qlr.quant.ptq`), then the back-end layers (stage BACK, BatchNorm folded, a ReLU/ReLU6 fused into
the conv/linear/add before it when that is its only reader). Flat shapes ``(F,)`` are stored as
``(1, 1, F)``. The back-end's input is the latent, i.e. the last front-end layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qlr.errors import QlrError
from qlr.image.content import BackParams, DataBatch, FrontParams, ImageContent, LRMemory
from qlr.image.format import LAYER_HAS_BIAS, NO_INPUT, Act, Kind, LayerRecord, Stage
from qlr.model.graph import INPUT, Network
from qlr.quant.ptq import QuantizedFrontEnd, plan_points

KIND = {
    "conv2d": Kind.CONV2D, "dwconv2d": Kind.DWCONV2D, "pwconv": Kind.PWCONV, "linear": Kind.LINEAR,
    "avgpool": Kind.AVGPOOL, "global_avgpool": Kind.GLOBAL_AVGPOOL, "add": Kind.ADD,
    "flatten": Kind.FLATTEN, "relu": Kind.RELU, "relu6": Kind.RELU6,
}
ACT = {"none": Act.NONE, "relu": Act.RELU, "relu6": Act.RELU6}


def hwc(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """A model shape as the image's (H, W, C): (F,) -> (1, 1, F)."""
    s = tuple(int(d) for d in shape)
    if len(s) == 1:
        return (1, 1, s[0])
    if len(s) == 3:
        return (s[0], s[1], s[2])
    raise QlrError(f"shape {s} cannot be stored in an image layer record (needs (H, W, C) or (F,))")


def _geometry(kind: str, attrs: dict[str, Any]) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int, int, int]]:
    if kind in ("conv2d", "dwconv2d", "avgpool"):
        k, s, p = attrs["kernel"], attrs["stride"], attrs["padding"]
        for v in (*k, *s, *p):
            if not 0 <= int(v) <= 255:
                raise QlrError(f"kernel/stride/padding value {v} does not fit the image's 8-bit fields")
        return (int(k[0]), int(k[1])), (int(s[0]), int(s[1])), (int(p[0]), int(p[1]), int(p[2]), int(p[3]))
    return (0, 0), (0, 0), (0, 0, 0, 0)


def front_records(qfe: QuantizedFrontEnd) -> tuple[list[LayerRecord], dict[int, FrontParams]]:
    """Layer records and int8 parameters of a quantized front-end."""
    pos = {INPUT: NO_INPUT}
    recs: list[LayerRecord] = []
    params: dict[int, FrontParams] = {}
    for i, q in enumerate(qfe.layers):
        if q.kind not in KIND:
            raise QlrError(f"layer {q.name!r}: kind {q.kind!r} cannot be stored in an image")
        kernel, stride, padding = _geometry(q.kind, q.attrs)
        lo, hi = q.act_range
        r = LayerRecord(
            kind=int(KIND[q.kind]), act=int(ACT[q.act]) if q.kind not in ("relu", "relu6") else int(Act.NONE),
            stage=int(Stage.FRONT), flags=LAYER_HAS_BIAS if q.bias is not None else 0,
            input0=pos[q.inputs[0]], input1=pos[q.inputs[1]] if len(q.inputs) > 1 else NO_INPUT,
            in_shape=hwc(q.in_shape), out_shape=hwc(q.out_shape), kernel=kernel, stride=stride, padding=padding,
            in_zp=q.in_zp, out_zp=q.out_zp, act_min=lo, act_max=hi, w_zp=q.w_zp, in_zp_b=q.in_zp_b,
            index=-1 if q.index is None else int(q.index),
            in_scale=float(np.float32(q.in_scale)), out_scale=float(np.float32(q.out_scale)),
            in_scale_b=float(np.float32(q.in_scale_b)),
        )
        recs.append(r)
        pos[q.name] = i
        if q.kind in ("conv2d", "dwconv2d", "pwconv", "linear"):
            assert q.rq is not None and q.weight is not None
            params[i] = FrontParams(q.rq.mult.astype(np.int32), q.rq.shift.astype(np.uint8), q.weight, q.bias)
        elif q.kind in ("avgpool", "global_avgpool"):
            assert q.rq is not None
            params[i] = FrontParams(q.rq.mult.astype(np.int32), q.rq.shift.astype(np.uint8))
        elif q.kind == "add":
            assert q.add_rq is not None
            params[i] = FrontParams(np.array([q.add_rq.mult_a, q.add_rq.mult_b], np.int32),
                                    np.array([q.add_rq.shift], np.uint8))
    # the float32 scales in the records must chain exactly (the reader compares them)
    for r in recs:
        srcs = [(r.input0, "in"), (r.input1, "in_b")] if r.kind == Kind.ADD else [(r.input0, "in")]
        for s, which in srcs:
            src_scale = float(np.float32(qfe.input_scale)) if s == NO_INPUT else recs[s].out_scale
            if which == "in":
                r.in_scale = src_scale
            else:
                r.in_scale_b = src_scale
    return recs, params


def back_records(
    back: Network, first: int, latent_pos: int
) -> tuple[list[LayerRecord], dict[int, BackParams]]:
    """Layer records (positions from ``first``) and FP32 parameters of a folded back-end network."""
    points = plan_points(back)
    pos: dict[str, int] = {INPUT: latent_pos}
    recs: list[LayerRecord] = []
    params: dict[int, BackParams] = {}
    for j, p in enumerate(points):
        lay = p.layer
        i = first + j
        if lay.kind not in KIND:
            raise QlrError(f"layer {lay.name!r}: kind {lay.kind!r} cannot be stored in an image")
        kernel, stride, padding = _geometry(lay.kind, lay.attrs)
        in_shape = back.input_shape if lay.inputs[0] == INPUT else back.shapes[lay.inputs[0]]
        has_bias = "bias" in lay.params
        recs.append(LayerRecord(
            kind=int(KIND[lay.kind]), act=int(ACT[p.act]), stage=int(Stage.BACK),
            flags=LAYER_HAS_BIAS if has_bias else 0,
            input0=pos[lay.inputs[0]], input1=pos[lay.inputs[1]] if len(lay.inputs) > 1 else NO_INPUT,
            in_shape=hwc(in_shape), out_shape=hwc(back.shapes[p.out_name]), kernel=kernel, stride=stride,
            padding=padding, index=-1 if lay.index is None else int(lay.index),
        ))
        for n in p.fused:
            pos[n] = i
        if lay.kind in ("conv2d", "dwconv2d", "pwconv", "linear"):
            params[i] = BackParams(lay.params["weight"].astype(np.float32),
                                   lay.params["bias"].astype(np.float32) if has_bias else None)
    return recs, params


def build_content(
    qfe: QuantizedFrontEnd,
    back: Network,
    lr: LRMemory | None = None,
    batches: dict[int, DataBatch] | None = None,
    meta: dict[str, Any] | None = None,
) -> ImageContent:
    """An `ImageContent` for a quantized front-end and an FP32 back-end (already BatchNorm-folded)."""
    if any(l.kind == "batchnorm" for l in back.layers):
        back = back.fold_batchnorm()
    if hwc(back.input_shape) != hwc(qfe.output.out_shape):
        raise QlrError(f"the back-end input {back.input_shape} is not the front-end's latent {qfe.output.out_shape}")
    frecs, fparams = front_records(qfe)
    brecs, bparams = back_records(back, len(frecs), len(frecs) - 1)
    return ImageContent(frecs + brecs, fparams, bparams, lr, dict(batches or {}), meta)

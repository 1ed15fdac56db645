"""Post-training quantization (PTQ) of the frozen front-end to int8, and its error report.

Procedure (`quantize_front_end`):

1. BatchNorm is folded into the conv/linear before it (`Network.fold_batchnorm`).
2. Activation functions are fused: a ReLU/ReLU6 whose only input is a conv2d, dwconv2d, pwconv,
   linear or add (read by nothing else) becomes that layer's output clamp. Each remaining layer is
   a *quantization point* whose output is a uint8 tensor with a scale and a zero point.
3. Calibration: the FP32 front-end runs on calibration images; per point the maximum (or, with
   ``percentile=p``, the mean over calibration batches of the batch's p-th percentile) and the
   minimum of the output are recorded.
4. Output quantization per point: after ReLU ``S = a_max / 255``, zero point 0; after ReLU6
   ``S = min(a_max, 6) / 255``; without activation ``S = (a_max - a_min) / 255`` over a range that
   includes 0, zero point ``round(-a_min / S)``. Average pooling, flatten and a standalone ReLU keep
   their input's scale and zero point. The network input is the uint8 image with ``S = 1/255``
   and zero point 0 (the project's input convention, ``x / 255``).
5. Weights (``scheme``): ``"per_channel"``: symmetric per output channel,
   ``S_w[c] = max|w_c| / 127``, ``q = clamp(round(w / S_w), -127, 127)``, zero point 0;
   ``"per_layer"``: the paper's affine scheme, ``S_w = (w_max - w_min) / 255`` over a range that
   includes 0, ``z_w = clamp(round(-128 - w_min / S_w), -128, 127)``,
   ``q = clamp(round(w / S_w) + z_w, -128, 127)``. Rounding here is half up (host-side only).
6. Biases: int32 ``round(b / (S_x * S_w[c]))``; requantization ``M[c] = S_x * S_w[c] / S_y`` as
   `qlr.golden.requant.Requant` (int32 multiplier, shift). The int32 accumulator bound of every
   layer is checked here (`qlr.golden.int8_common.check_accumulator_bound`).

`QuantizedFrontEnd.run` executes the quantized front-end with the int8 golden kernels;
`qlr.quant.ptq_report` compares it with the FP32 network per layer and end to end.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, overload

import numpy as np
from tqdm import tqdm

from qlr.errors import QlrError
from qlr.golden.int8_add import AddRequant, add_requant, qlr_add_u8
from qlr.golden.int8_common import check_accumulator_bound
from qlr.golden.int8_conv import qlr_conv2d_u8s8, qlr_pwconv_u8s8
from qlr.golden.int8_dwconv import qlr_dwconv2d_u8s8
from qlr.golden.int8_linear import qlr_linear_u8s8
from qlr.golden.int8_pool import avgpool_requant, qlr_avgpool_u8
from qlr.golden.requant import Requant, activation_range
from qlr.model.execute import layer_forward
from qlr.model.graph import INPUT, Layer, Network
from qlr.quant.calibrate import Calibration, Observer
from qlr.quant.equalize import equalize as equalize_ranges
from qlr.quant.equalize import relu_pairs

PARAM_KINDS = ("conv2d", "dwconv2d", "pwconv", "linear")
FUSABLE = PARAM_KINDS + ("add",)
SCHEMES = ("per_channel", "per_layer")
INPUT_SCALE = 1.0 / 255.0


def _round_half_up(x: np.ndarray | float) -> np.ndarray:
    return np.floor(np.asarray(x, dtype=np.float64) + 0.5)


@dataclass
class QLayer:
    """One layer of the quantized front-end (an FP32 layer with its fused activation, if any)."""

    name: str
    kind: str  # conv2d dwconv2d pwconv linear avgpool global_avgpool add flatten relu relu6
    act: str  # fused activation: none, relu, relu6
    inputs: list[str]  # names of earlier QLayers, or "input"
    index: int | None
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    in_scale: float
    in_zp: int
    out_scale: float
    out_zp: int
    attrs: dict[str, Any] = field(default_factory=dict)  # kernel, stride, padding
    weight: np.ndarray | None = None  # int8
    w_scale: np.ndarray | None = None  # float64 [Cout] (per channel) or [1] (per layer)
    w_zp: int = 0
    bias: np.ndarray | None = None  # int32 [Cout]
    rq: Requant | None = None
    add_rq: AddRequant | None = None
    in_scale_b: float = 0.0
    in_zp_b: int = 0
    fused: list[str] = field(default_factory=list)  # FP32 layer names this one stands for

    @property
    def act_range(self) -> tuple[int, int]:
        if self.rq is not None:
            return self.rq.act_min, self.rq.act_max
        if self.add_rq is not None:
            return self.add_rq.act_min, self.add_rq.act_max
        return activation_range(self.act, self.out_scale, self.out_zp)

    def int8_weight(self) -> np.ndarray:
        if self.weight is None:
            raise ValueError(f"layer {self.name} ({self.kind}) has no int8 weight")
        return self.weight

    def requant(self) -> Requant:
        if self.rq is None:
            raise ValueError(f"layer {self.name} ({self.kind}) has no requantization")
        return self.rq

    def add_requant(self) -> AddRequant:
        if self.add_rq is None:
            raise ValueError(f"layer {self.name} ({self.kind}) has no add requantization")
        return self.add_rq


@dataclass
class QuantizedFrontEnd:
    """An int8 front-end: uint8 input image (scale ``input_scale``, zero point 0) -> uint8 latent."""

    input_shape: tuple[int, ...]
    input_scale: float
    input_zp: int
    layers: list[QLayer]
    scheme: str
    percentile: float | None = None
    calibration: str = "max"
    reference: Network | None = None  # the FP32 network quantized (folded, maybe equalized)

    @property
    def output(self) -> QLayer:
        return self.layers[-1]

    @overload
    def run(self, x: np.ndarray, keep: Literal[False] = False) -> np.ndarray: ...
    @overload
    def run(self, x: np.ndarray, keep: Literal[True]) -> dict[str, np.ndarray]: ...
    def run(self, x: np.ndarray, keep: bool = False) -> np.ndarray | dict[str, np.ndarray]:
        """Run the int8 golden kernels on uint8 images ``[N] + input_shape``.

        Returns the uint8 latent, or with ``keep=True`` every layer's uint8 output by name.
        """
        x = np.asarray(x)
        if x.dtype != np.uint8 or x.shape[1:] != tuple(self.input_shape):
            raise QlrError(f"int8 front-end input must be uint8 (N,) + {tuple(self.input_shape)}, got {x.dtype} {x.shape}")
        acts: dict[str, np.ndarray] = {INPUT: x}
        last_use = {s: i for i, q in enumerate(self.layers) for s in q.inputs}
        out = x
        for i, q in enumerate(self.layers):
            out = run_qlayer(q, [acts[s] for s in q.inputs])
            acts[q.name] = out
            if not keep:
                for s in q.inputs:
                    if last_use.get(s) == i:
                        acts.pop(s, None)
        if keep:
            acts.pop(INPUT, None)
            return acts
        return out

    def dequantize(self, y: np.ndarray, name: str | None = None) -> np.ndarray:
        """Real values ``S * (y - z)`` (float32) of a layer's uint8 output (default: the latent)."""
        q = self.output if name is None else next(l for l in self.layers if l.name == name)
        return (np.float32(q.out_scale) * (y.astype(np.float32) - np.float32(q.out_zp))).astype(np.float32)


def run_qlayer(q: QLayer, xs: list[np.ndarray]) -> np.ndarray:
    """One quantized layer with the int8 golden kernels."""
    x = xs[0]
    a = q.attrs
    try:
        if q.kind == "conv2d":
            return qlr_conv2d_u8s8(x, q.int8_weight(), q.bias, q.requant(), in_zp=q.in_zp, w_zp=q.w_zp, stride=a["stride"],
                                 padding=a["padding"])
        if q.kind == "dwconv2d":
            return qlr_dwconv2d_u8s8(x, q.int8_weight(), q.bias, q.requant(), in_zp=q.in_zp, w_zp=q.w_zp,
                                   stride=a["stride"], padding=a["padding"])
        if q.kind == "pwconv":
            return qlr_pwconv_u8s8(x, q.int8_weight(), q.bias, q.requant(), in_zp=q.in_zp, w_zp=q.w_zp)
        if q.kind == "linear":
            return qlr_linear_u8s8(x, q.int8_weight(), q.bias, q.requant(), in_zp=q.in_zp, w_zp=q.w_zp)
        if q.kind == "avgpool":
            return qlr_avgpool_u8(x, q.requant(), in_zp=q.in_zp, kernel=a["kernel"], stride=a["stride"], padding=a["padding"])
        if q.kind == "global_avgpool":
            return qlr_avgpool_u8(x, q.requant(), in_zp=q.in_zp)
        if q.kind == "add":
            return qlr_add_u8(xs[0], xs[1], q.add_requant(), a_zp=q.in_zp, b_zp=q.in_zp_b)
        if q.kind == "flatten":
            return x.reshape(x.shape[0], -1)
        if q.kind in ("relu", "relu6"):
            lo, hi = q.act_range
            return np.clip(x, lo, hi)
    except (ValueError, TypeError) as e:
        raise QlrError(f"layer {q.name!r} ({q.kind}): {e}") from None
    raise QlrError(f"layer {q.name!r}: kind {q.kind!r} has no int8 kernel")


# ----------------------------------------------------------------------------- planning


@dataclass
class _Point:
    """A quantization point: the FP32 layers it covers and the name whose output it quantizes."""

    layer: Layer
    act: str
    out_name: str  # FP32 layer whose output is this point's output
    fused: list[str]


def plan_points(net: Network) -> list[_Point]:
    """Fuse activations into their producers; returns the quantization points in order."""
    consumers: dict[str, list[str]] = {}
    for lay in net.layers:
        for s in lay.inputs:
            consumers.setdefault(s, []).append(lay.name)
    by_name = {l.name: l for l in net.layers}
    points: list[_Point] = []
    skip: set[str] = set()
    for lay in net.layers:
        if lay.name in skip:
            continue
        if lay.kind == "batchnorm":
            raise QlrError(f"layer {lay.name!r}: BatchNorm must be folded before quantization (it follows no conv/linear?)")
        act, out_name, fused = "none", lay.name, [lay.name]
        cons = consumers.get(lay.name, [])
        if lay.kind in FUSABLE and len(cons) == 1 and by_name[cons[0]].kind in ("relu", "relu6"):
            act_layer = by_name[cons[0]]
            act, out_name, fused = act_layer.kind, act_layer.name, [lay.name, act_layer.name]
            skip.add(act_layer.name)
        points.append(_Point(lay, act, out_name, fused))
    return points


def _calib_stats(
    net: Network, points: list[_Point], x_u8: np.ndarray, batch_size: int, cal: Calibration, progress: bool,
) -> dict[str, tuple[float, float]]:
    """(a_min, a_max) per point output over the calibration images (FP32, folded network), chosen
    by ``cal`` (`qlr.quant.calibrate`)."""
    names = {p.out_name for p in points}
    batch_size = memory_batch(net, names, batch_size)
    obs = {n: Observer() for n in names}
    if len(x_u8) == 0:
        raise QlrError("calibration needs at least one image")
    for s in tqdm(range(0, len(x_u8), batch_size), desc="calibrate", unit="batch", disable=not progress):
        acts = forward_all(net, to_input(x_u8[s : s + batch_size]), names=names)
        for n in names:
            try:
                obs[n].observe(acts[n])
            except QlrError as e:
                raise QlrError(f"layer {n!r}: {e}") from None
    return {n: o.range(cal) for n, o in obs.items()}


def _equalized(net: Network, x_u8: np.ndarray, batch_size: int) -> Network:
    """`qlr.quant.equalize` with the channel maxima of the ReLU outputs over ``x_u8``."""
    pairs = relu_pairs(net)
    if not pairs:
        return net
    names = {act.name for _, act, _ in pairs}
    batch_size = memory_batch(net, names, batch_size)
    cmax: dict[str, np.ndarray] = {}
    for s in range(0, len(x_u8), batch_size):
        acts = forward_all(net, to_input(x_u8[s : s + batch_size]), names=names)
        for n in names:
            m = acts[n].reshape(-1, acts[n].shape[-1]).max(axis=0)
            cmax[n] = m if n not in cmax else np.maximum(cmax[n], m)
    return equalize_ranges(net, cmax)[0]


ACTIVATION_BUDGET = 256 << 20  # bytes of FP32 activations a calibration batch may keep


def memory_batch(net: Network, names: Iterable[str], batch_size: int) -> int:
    """``batch_size``, lowered so that the FP32 outputs of the layers ``names`` (all kept for one
    batch) take at most `ACTIVATION_BUDGET` bytes (40 images of MobileNet-V1 1.0 at 128x128x3, l27)."""
    per_image = 4 * sum(int(np.prod(net.shapes[n])) for n in names) or 1
    return max(1, min(batch_size, ACTIVATION_BUDGET // per_image))


def to_input(x_u8: np.ndarray) -> np.ndarray:
    """The FP32 network input for uint8 images: ``x / 255`` (float32)."""
    return x_u8.astype(np.float32) * np.float32(INPUT_SCALE)


def forward_all(net: Network, x: np.ndarray, names: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """FP32 forward keeping every layer's output (or only ``names``)."""
    keep = None if names is None else set(names)
    acts: dict[str, np.ndarray] = {INPUT: x}
    last_use = {s: i for i, l in enumerate(net.layers) for s in l.inputs}
    out: dict[str, np.ndarray] = {}
    for i, lay in enumerate(net.layers):
        y = layer_forward(lay, [acts[s] for s in lay.inputs])
        acts[lay.name] = y
        if keep is None or lay.name in keep:
            out[lay.name] = y
        for s in lay.inputs:
            if last_use.get(s) == i and (keep is not None and s not in keep):
                acts.pop(s, None)
    return out


def _out_quant(act: str, a_min: float, a_max: float, layer: str) -> tuple[float, int]:
    if not (math.isfinite(a_min) and math.isfinite(a_max)):
        raise QlrError(f"layer {layer!r}: calibration produced NaN or infinite activations")
    if act in ("relu", "relu6"):
        top = min(a_max, 6.0) if act == "relu6" else a_max
        return (top / 255.0 if top > 0 else 1.0 / 255.0), 0
    lo, hi = min(a_min, 0.0), max(a_max, 0.0)
    if hi - lo <= 0:
        return 1.0 / 255.0, 0
    s = (hi - lo) / 255.0
    return s, int(np.clip(_round_half_up(-lo / s), 0, 255))


def quantize_weights(w: np.ndarray, kind: str, scheme: str, max_scale: float | None = None
                     ) -> tuple[np.ndarray, np.ndarray, int]:
    """FP32 weights -> (int8 q, scale [Cout] or [1], zero point). Output channel axis: last for
    dwconv2d ``[Kh][Kw][C]``, first otherwise. ``max_scale`` caps the weight scale (weights beyond
    127 of it saturate; see `quantize_front_end`)."""
    w = np.asarray(w, dtype=np.float64)
    if scheme == "per_channel":
        if kind == "dwconv2d":
            amax = np.abs(w).reshape(-1, w.shape[-1]).max(axis=0)
        else:
            amax = np.abs(w).reshape(w.shape[0], -1).max(axis=1)
        scale = np.where(amax > 0, amax / 127.0, 1.0)
        if max_scale is not None:
            scale = np.minimum(scale, max_scale)
        bshape = (1,) * (w.ndim - 1) + (-1,) if kind == "dwconv2d" else (-1,) + (1,) * (w.ndim - 1)
        q = np.clip(_round_half_up(w / scale.reshape(bshape)), -127, 127).astype(np.int8)
        return q, scale, 0
    if scheme == "per_layer":
        lo, hi = min(float(w.min()), 0.0), max(float(w.max()), 0.0)
        s = (hi - lo) / 255.0 if hi > lo else 1.0
        if max_scale is not None and s > max_scale:
            s, lo = max_scale, max(lo, -128.0 * max_scale)  # keep the zero point's range around 0
        zp = int(np.clip(_round_half_up(-128.0 - lo / s), -128, 127))
        q = np.clip(_round_half_up(w / s) + zp, -128, 127).astype(np.int8)
        return q, np.array([s]), zp
    raise QlrError(f"unknown weight scheme {scheme!r}; expected one of {SCHEMES}")


def quantize_front_end(
    front: Network,
    calib_x: np.ndarray,
    scheme: str = "per_channel",
    percentile: float | None = None,
    batch_size: int = 256,
    progress: bool = False,
    calibration: Calibration | None = None,
    equalize: bool = False,
) -> QuantizedFrontEnd:
    """Calibrate on uint8 images ``calib_x`` and quantize the (frozen) network ``front`` to int8.

    ``equalize`` first brings the channels of every ReLU output between two layers to one range
    (`qlr.quant.equalize`; the function is unchanged, ``reference`` of the result is the network
    actually quantized).

    ``calibration`` chooses the activation ranges (`qlr.quant.calibrate`; default `max`);
    ``percentile=P`` is a shorthand for ``Calibration("percentile", P)``.
    """
    if scheme not in SCHEMES:
        raise QlrError(f"unknown weight scheme {scheme!r}; expected one of {SCHEMES}")
    if percentile is not None and not 50.0 < percentile <= 100.0:
        raise QlrError(f"percentile must be in (50, 100], got {percentile}")
    if calibration is None:
        calibration = Calibration("percentile", percentile) if percentile is not None else Calibration("max")
    calib_x = np.asarray(calib_x)
    if calib_x.dtype != np.uint8 or calib_x.shape[1:] != front.input_shape:
        raise QlrError(f"calibration images must be uint8 (N,) + {front.input_shape}, got {calib_x.dtype} {calib_x.shape}")
    net = front.fold_batchnorm()
    if equalize:
        net = _equalized(net, calib_x, batch_size)
    points = plan_points(net)
    stats = _calib_stats(net, points, calib_x, batch_size, calibration, progress)
    # quantization of every FP32 layer output that a point reads: name -> (scale, zp)
    qof: dict[str, tuple[float, int]] = {INPUT: (INPUT_SCALE, 0)}
    point_of: dict[str, str] = {INPUT: INPUT}  # FP32 output name -> QLayer name
    layers: list[QLayer] = []
    for p in points:
        lay = p.layer
        where = f"layer {lay.name!r} ({lay.kind})"
        ins = [point_of[s] for s in lay.inputs]
        in_s, in_z = qof[lay.inputs[0]]
        in_shape = net.input_shape if lay.inputs[0] == INPUT else net.shapes[lay.inputs[0]]
        out_shape = net.shapes[p.out_name]
        q = QLayer(lay.name, lay.kind, p.act, ins, lay.index, tuple(in_shape), tuple(out_shape), in_s, in_z, 0.0, 0,
                   attrs={k: v for k, v in lay.attrs.items() if k in ("kernel", "stride", "padding")}, fused=p.fused)
        a_min, a_max = stats[p.out_name]
        try:
            if lay.kind in PARAM_KINDS:
                q.out_scale, q.out_zp = _out_quant(p.act, a_min, a_max, lay.name)
                # one input step may move the output by at most 127 output steps: a larger weight scale
                # only arises from a dead input channel (BatchNorm folded over a zero variance), where
                # it would leave the bias S_x * S_w coarser than the output's step
                wq, ws, wz = quantize_weights(lay.params["weight"], lay.kind, scheme, q.out_scale / in_s)
                cout = ws.shape[0] if scheme == "per_channel" else out_shape[-1]
                ws_full = np.broadcast_to(ws, (cout,)).astype(np.float64)
                b = lay.bias_or_zeros(cout, np.float64).astype(np.float64)
                bq = _round_half_up(b / (in_s * ws_full))
                if np.any(np.abs(bq) > 2**31 - 1):
                    raise QlrError(f"{where}: a quantized bias does not fit int32 (input or weight scale too small)")
                q.weight, q.w_scale, q.w_zp, q.bias = wq, ws, wz, bq.astype(np.int32)
                wc = wq.astype(np.int64) - wz
                per_out = np.abs(wc).reshape(-1, cout).max(axis=0) if lay.kind == "dwconv2d" else np.abs(wc).reshape(cout, -1).max(axis=1)
                check_accumulator_bound(per_out, wq.size // cout, in_z, q.bias, where)
                q.rq = Requant.from_real(in_s * ws_full / q.out_scale, q.out_zp, p.act, q.out_scale)
            elif lay.kind in ("avgpool", "global_avgpool"):
                q.out_scale, q.out_zp = in_s, in_z
                taps = lay.attrs["kernel"][0] * lay.attrs["kernel"][1] if lay.kind == "avgpool" else in_shape[0] * in_shape[1]
                q.rq = avgpool_requant(in_s, q.out_scale, taps, q.out_zp)
            elif lay.kind == "add":
                q.out_scale, q.out_zp = _out_quant(p.act, a_min, a_max, lay.name)
                q.in_scale_b, q.in_zp_b = qof[lay.inputs[1]]
                q.add_rq = add_requant(in_s, q.in_scale_b, q.out_scale, q.out_zp, p.act)
            elif lay.kind in ("flatten", "relu", "relu6"):
                q.out_scale, q.out_zp = in_s, in_z
                if lay.kind != "flatten":
                    q.act = lay.kind
            else:
                raise QlrError(f"{where}: no int8 kernel for this kind")
        except ValueError as e:
            raise QlrError(f"{where}: {e}") from None
        qof[p.out_name] = (q.out_scale, q.out_zp)
        for n in p.fused:
            point_of[n] = lay.name
        layers.append(q)
    pct = calibration.percentile if calibration.method == "percentile" else None
    name = calibration.name + ("+eq" if equalize else "")
    return QuantizedFrontEnd(tuple(net.input_shape), INPUT_SCALE, 0, layers, scheme, pct, name, net)

"""Layers and networks: an explicit, validated graph of layers with NumPy parameters.

Conventions (see the package docstring of `qlr.model` for the full list):

- Activations are batch-first NHWC. Shapes stored here leave out the batch: a feature map is
  ``(H, W, C)``, a flat vector ``(F,)``.
- Weights: conv2d ``[Cout][Kh][Kw][Cin]``; dwconv2d ``[Kh][Kw][C]``; pwconv ``[Cout][Cin]`` (the
  same memory order as ``[Cout][1][1][Cin]``); linear ``[Out][In]``. Biases are ``[Cout]``.
- Padding is ``(top, bottom, left, right)``; kernel and stride are ``(h, w)``.
- A layer reads the outputs of the layers named in ``inputs``; the network input is called
  ``"input"``. The output of a network is the output of its last layer.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qlr.errors import QlrError

INPUT = "input"

KINDS = (
    "conv2d",
    "dwconv2d",
    "pwconv",
    "linear",
    "relu",
    "relu6",
    "batchnorm",
    "avgpool",
    "global_avgpool",
    "add",
    "flatten",
)

# kind -> (required params, optional params)
PARAMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "conv2d": (("weight",), ("bias",)),
    "dwconv2d": (("weight",), ("bias",)),
    "pwconv": (("weight",), ("bias",)),
    "linear": (("weight",), ("bias",)),
    "batchnorm": (("gamma", "beta", "mean", "var"), ()),
}
# Parameters a trainer updates (BatchNorm's mean and var are running statistics, not learned).
LEARNABLE = ("weight", "bias", "gamma", "beta")

# kind -> attributes it accepts (with defaults filled in by `Layer.__post_init__`)
ATTRS: dict[str, dict[str, Any]] = {
    "conv2d": {"out_channels": None, "kernel": None, "stride": (1, 1), "padding": (0, 0, 0, 0)},
    "dwconv2d": {"kernel": None, "stride": (1, 1), "padding": (0, 0, 0, 0)},
    "pwconv": {"out_channels": None},
    "linear": {"out_features": None},
    "relu": {},
    "relu6": {},
    "batchnorm": {"eps": 1e-5},
    "avgpool": {"kernel": None, "stride": None, "padding": (0, 0, 0, 0)},
    "global_avgpool": {},
    "add": {},
    "flatten": {},
}

Shape = tuple[int, ...]


def _pair(value: Any, what: str) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)):
        return (int(value), int(value))
    try:
        a, b = value
        return (int(a), int(b))
    except (TypeError, ValueError):
        raise QlrError(f"{what}: expected an int or a pair of ints, got {value!r}") from None


def _quad(value: Any, what: str) -> tuple[int, int, int, int]:
    if isinstance(value, (int, np.integer)):
        v = int(value)
        return (v, v, v, v)
    try:
        vals = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        raise QlrError(f"{what}: expected an int or (top, bottom, left, right), got {value!r}") from None
    if len(vals) == 2:  # (vertical, horizontal)
        return (vals[0], vals[0], vals[1], vals[1])
    if len(vals) != 4:
        raise QlrError(f"{what}: expected an int, (v, h) or (top, bottom, left, right), got {value!r}")
    return (vals[0], vals[1], vals[2], vals[3])


@dataclass
class Layer:
    """One layer of a `Network`.

    name:   unique within the network; ``"input"`` is reserved for the network input.
    kind:   one of `KINDS`.
    attrs:  kind-specific attributes (see `ATTRS`): ``kernel`` (kh, kw), ``stride`` (sh, sw),
            ``padding`` (top, bottom, left, right) -- an int or (v, h) pair is expanded --,
            ``out_channels`` (conv2d, pwconv), ``out_features`` (linear), ``eps`` (batchnorm).
            An avgpool's stride defaults to its kernel.
    inputs: names of the producer layers; empty means "the previous layer" (or the network input
            for the first layer) and is filled in by `Network`. ``add`` takes two.
    params: NumPy arrays: ``weight`` and optional ``bias`` for conv2d/dwconv2d/pwconv/linear;
            ``gamma``, ``beta``, ``mean``, ``var`` for batchnorm. A missing bias means zero.
    index:  the paper's layer index (a conv/dw/pw block and its BatchNorm and ReLU share one), or
            None for layers outside the indexing.
    """

    name: str
    kind: str
    attrs: dict[str, Any] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    params: dict[str, np.ndarray] = field(default_factory=dict)
    index: int | None = None

    def __post_init__(self) -> None:
        where = f"layer {self.name!r}"
        if not isinstance(self.name, str) or not self.name or self.name == INPUT or "/" in self.name:
            raise QlrError(f"{where}: a layer name must be a non-empty string without '/', not {INPUT!r}")
        if self.kind not in KINDS:
            raise QlrError(f"{where}: unknown kind {self.kind!r} (known: {', '.join(KINDS)})")
        allowed = ATTRS[self.kind]
        unknown = set(self.attrs) - set(allowed)
        if unknown:
            raise QlrError(f"{where} ({self.kind}): unknown attribute(s) {sorted(unknown)}")
        attrs = dict(allowed)
        attrs.update(self.attrs)
        for key, val in attrs.items():
            if val is None and not (self.kind == "avgpool" and key == "stride"):
                raise QlrError(f"{where} ({self.kind}): attribute {key!r} is required")
        if "kernel" in attrs:
            attrs["kernel"] = _pair(attrs["kernel"], f"{where}: kernel")
            if self.kind == "avgpool" and attrs["stride"] is None:
                attrs["stride"] = attrs["kernel"]
        if "stride" in attrs:
            attrs["stride"] = _pair(attrs["stride"], f"{where}: stride")
        if "padding" in attrs:
            attrs["padding"] = _quad(attrs["padding"], f"{where}: padding")
        for key in ("kernel", "stride"):
            if key in attrs and min(attrs[key]) < 1:
                raise QlrError(f"{where}: {key} must be >= 1, got {attrs[key]}")
        if "padding" in attrs and min(attrs["padding"]) < 0:
            raise QlrError(f"{where}: padding must be >= 0, got {attrs['padding']}")
        for key in ("out_channels", "out_features"):
            if key in attrs:
                if int(attrs[key]) < 1:
                    raise QlrError(f"{where}: {key} must be >= 1, got {attrs[key]}")
                attrs[key] = int(attrs[key])
        if "eps" in attrs:
            attrs["eps"] = float(attrs["eps"])
            if not attrs["eps"] > 0:
                raise QlrError(f"{where}: eps must be > 0, got {attrs['eps']}")
        self.attrs = attrs
        self.inputs = [str(i) for i in self.inputs]
        if self.index is not None:
            self.index = int(self.index)
        required, optional = PARAMS.get(self.kind, ((), ()))
        unknown = set(self.params) - set(required) - set(optional)
        if unknown:
            raise QlrError(f"{where} ({self.kind}): unknown parameter(s) {sorted(unknown)}")

    def bias_or_zeros(self, n: int, dtype: Any = np.float32) -> np.ndarray:
        """The bias, or zeros of length `n` when the layer has none."""
        b = self.params.get("bias")
        return np.zeros(n, dtype) if b is None else b

    def expected_param_shapes(self, in_shape: Shape) -> dict[str, Shape]:
        """Shapes of the parameters this layer needs, given its input shape (no batch)."""
        a = self.attrs
        if self.kind == "conv2d":
            kh, kw = a["kernel"]
            w = (a["out_channels"], kh, kw, in_shape[-1])
            return {"weight": w, "bias": (a["out_channels"],)}
        if self.kind == "dwconv2d":
            kh, kw = a["kernel"]
            return {"weight": (kh, kw, in_shape[-1]), "bias": (in_shape[-1],)}
        if self.kind == "pwconv":
            return {"weight": (a["out_channels"], in_shape[-1]), "bias": (a["out_channels"],)}
        if self.kind == "linear":
            return {"weight": (a["out_features"], in_shape[-1]), "bias": (a["out_features"],)}
        if self.kind == "batchnorm":
            c = (in_shape[-1],)
            return {"gamma": c, "beta": c, "mean": c, "var": c}
        return {}


def conv_out_size(size: int, kernel: int, stride: int, pad_lo: int, pad_hi: int) -> int:
    """Output length of a convolution/pooling along one axis (floor division, as in the kernels)."""
    return (size + pad_lo + pad_hi - kernel) // stride + 1


def infer_shape(layer: Layer, in_shapes: list[Shape]) -> Shape:
    """The output shape (no batch) of `layer` given its input shapes; raises QlrError if invalid."""
    where = f"layer {layer.name!r} ({layer.kind})"
    want_inputs = 2 if layer.kind == "add" else 1
    if len(in_shapes) != want_inputs:
        raise QlrError(f"{where}: takes {want_inputs} input(s), got {len(in_shapes)}")
    s = in_shapes[0]
    a = layer.attrs
    if layer.kind in ("conv2d", "dwconv2d", "avgpool", "pwconv", "global_avgpool", "batchnorm"):
        if len(s) != 3:
            raise QlrError(f"{where}: needs an (H, W, C) input, got shape {s}")
    if layer.kind in ("conv2d", "dwconv2d", "avgpool"):
        (kh, kw), (sh, sw), (pt, pb, pl, pr) = a["kernel"], a["stride"], a["padding"]
        ho = conv_out_size(s[0], kh, sh, pt, pb)
        wo = conv_out_size(s[1], kw, sw, pl, pr)
        if ho < 1 or wo < 1:
            raise QlrError(f"{where}: kernel {a['kernel']} does not fit input {s} with padding {a['padding']}")
        if layer.kind == "avgpool" and (max(pt, pb) >= kh or max(pl, pr) >= kw):
            raise QlrError(f"{where}: padding {a['padding']} must be smaller than the kernel {a['kernel']}")
        c = a["out_channels"] if layer.kind == "conv2d" else s[2]
        return (ho, wo, c)
    if layer.kind == "pwconv":
        return (s[0], s[1], a["out_channels"])
    if layer.kind == "linear":
        if len(s) != 1:
            raise QlrError(f"{where}: needs a flat (F,) input (add a flatten layer), got shape {s}")
        return (a["out_features"],)
    if layer.kind == "global_avgpool":
        return (1, 1, s[2])
    if layer.kind == "flatten":
        return (int(np.prod(s)),)
    if layer.kind == "add":
        if in_shapes[0] != in_shapes[1]:
            raise QlrError(f"{where}: input shapes differ: {in_shapes[0]} vs {in_shapes[1]}")
        return s
    return s  # relu, relu6, batchnorm


class Network:
    """A validated sequence of layers in execution order, with shape inference.

    Parameters are NumPy arrays owned by the layers. `Network` checks on construction that every
    layer's inputs exist earlier in the list, that the shapes agree, and that every parameter has
    the expected shape and is a finite float array. `meta` is free-form JSON-serialisable
    information (e.g. the data set, class list and input preprocessing a trainer used).
    """

    def __init__(
        self,
        input_shape: Iterable[int],
        layers: Iterable[Layer],
        meta: dict[str, Any] | None = None,
        check_params: bool = True,
    ) -> None:
        self.input_shape: Shape = tuple(int(d) for d in input_shape)
        if not self.input_shape or min(self.input_shape) < 1:
            raise QlrError(f"network input_shape must be positive dimensions, got {self.input_shape}")
        self.layers: list[Layer] = list(layers)
        if not self.layers:
            raise QlrError("a network needs at least one layer")
        self.meta: dict[str, Any] = dict(meta or {})
        self.shapes: dict[str, Shape] = {}
        self._validate(check_params)

    # ---------------------------------------------------------------- validation and shapes
    def _validate(self, check_params: bool) -> None:
        shapes: dict[str, Shape] = {INPUT: self.input_shape}
        prev = INPUT
        for layer in self.layers:
            where = f"layer {layer.name!r}"
            if layer.name in shapes:
                raise QlrError(f"{where}: duplicate layer name")
            if not layer.inputs:
                layer.inputs = [prev]
            for src in layer.inputs:
                if src not in shapes:
                    raise QlrError(f"{where}: input {src!r} is not the network input or an earlier layer")
            shape = infer_shape(layer, [shapes[s] for s in layer.inputs])
            if check_params:
                self._check_params(layer, shapes[layer.inputs[0]])
            shapes[layer.name] = shape
            prev = layer.name
        del shapes[INPUT]
        self.shapes = shapes

    @staticmethod
    def _check_params(layer: Layer, in_shape: Shape) -> None:
        where = f"layer {layer.name!r} ({layer.kind})"
        required, optional = PARAMS.get(layer.kind, ((), ()))
        expected = layer.expected_param_shapes(in_shape)
        for pname in required:
            if pname not in layer.params:
                raise QlrError(f"{where}: missing parameter {pname!r}")
        for pname, arr in layer.params.items():
            if pname not in required + optional:
                raise QlrError(f"{where}: unknown parameter {pname!r}")
            if not isinstance(arr, np.ndarray):
                raise QlrError(f"{where}: parameter {pname!r} must be a NumPy array, got {type(arr).__name__}")
            if arr.dtype.kind != "f":
                raise QlrError(f"{where}: parameter {pname!r} must be floating point, got dtype {arr.dtype}")
            if tuple(arr.shape) != expected[pname]:
                raise QlrError(
                    f"{where}: parameter {pname!r} has shape {tuple(arr.shape)}, expected {expected[pname]}"
                )
            if not np.all(np.isfinite(arr)):
                raise QlrError(f"{where}: parameter {pname!r} contains NaN or infinity")
        if layer.kind == "batchnorm" and np.any(layer.params["var"] < 0):
            raise QlrError(f"{where}: parameter 'var' has negative entries")

    def validate(self) -> None:
        """Re-check the graph, the shapes and the parameters (after editing layers by hand)."""
        self._validate(True)

    # ---------------------------------------------------------------- lookups
    @property
    def output_shape(self) -> Shape:
        return self.shapes[self.layers[-1].name]

    def layer(self, name: str) -> Layer:
        for lay in self.layers:
            if lay.name == name:
                return lay
        raise QlrError(f"no layer named {name!r}")

    def input_shape_of(self, layer: Layer | str) -> Shape:
        lay = self.layer(layer) if isinstance(layer, str) else layer
        src = lay.inputs[0]
        return self.input_shape if src == INPUT else self.shapes[src]

    def indices(self) -> list[int]:
        """The distinct paper layer indices present, in order."""
        out: list[int] = []
        for lay in self.layers:
            if lay.index is not None and lay.index not in out:
                out.append(lay.index)
        return out

    def index_output(self, index: int) -> str:
        """Name of the layer whose output is the output of block `index` (its last layer)."""
        names = [lay.name for lay in self.layers if lay.index == index]
        if not names:
            raise QlrError(f"no layer has index {index} (indices present: {self.indices()})")
        return names[-1]

    def latent_shape(self, index: int) -> Shape:
        """Shape (no batch) of the latent at LR layer `index`: the output of block `index`."""
        return self.shapes[self.index_output(index)]

    # ---------------------------------------------------------------- counts
    def layer_params(self, layer: Layer) -> int:
        """Learnable parameter elements of one layer (BatchNorm's running mean/var excluded)."""
        return int(sum(arr.size for k, arr in layer.params.items() if k in LEARNABLE))

    def layer_macs(self, layer: Layer) -> int:
        """Multiply-accumulates of one layer's forward pass for one sample (conv/dw/pw/linear only)."""
        out = self.shapes[layer.name]
        cin = self.input_shape_of(layer)[-1]
        a = layer.attrs
        if layer.kind == "conv2d":
            return out[0] * out[1] * out[2] * a["kernel"][0] * a["kernel"][1] * cin
        if layer.kind == "dwconv2d":
            return out[0] * out[1] * out[2] * a["kernel"][0] * a["kernel"][1]
        if layer.kind == "pwconv":
            return out[0] * out[1] * out[2] * cin
        if layer.kind == "linear":
            return out[0] * cin
        return 0

    def param_count(self) -> int:
        return sum(self.layer_params(lay) for lay in self.layers)

    def mac_count(self) -> int:
        return sum(self.layer_macs(lay) for lay in self.layers)

    # ---------------------------------------------------------------- transformations
    def copy(self) -> Network:
        """A deep copy (parameters included)."""
        return Network(self.input_shape, copy.deepcopy(self.layers), copy.deepcopy(self.meta))

    def split(self, l: int) -> tuple[Network, Network]:
        """Split at LR layer `l`: front = blocks with index <= l, back = the rest.

        The latent is the output of block `l`; it becomes the back-end's input ("input").
        Layers without an index stay with the block before them. Raises QlrError if the network
        has no block `l`, if the indices are not in order around the split, or if a connection
        other than the latent crosses the split (e.g. a residual add). Parameters are copied.
        """
        return self.split_after(self.index_output(l), _check_index=l)

    def split_after(self, name: str, _check_index: int | None = None) -> tuple[Network, Network]:
        """Split after the layer called `name` (see `split`)."""
        names = [lay.name for lay in self.layers]
        if name not in names:
            raise QlrError(f"no layer named {name!r}")
        pos = names.index(name)
        if pos == len(names) - 1:
            raise QlrError(f"cannot split after the last layer {name!r}: the back-end would be empty")
        front_layers = copy.deepcopy(self.layers[: pos + 1])
        back_layers = copy.deepcopy(self.layers[pos + 1 :])
        if _check_index is not None:
            for lay in front_layers:
                if lay.index is not None and lay.index > _check_index:
                    raise QlrError(f"layer {lay.name!r} (index {lay.index}) comes before the split at {_check_index}")
            for lay in back_layers:
                if lay.index is not None and lay.index <= _check_index:
                    raise QlrError(f"layer {lay.name!r} (index {lay.index}) comes after the split at {_check_index}")
        front_names = set(names[: pos + 1])
        for lay in back_layers:
            new_inputs = []
            for src in lay.inputs:
                if src == name:
                    new_inputs.append(INPUT)
                elif src in front_names or src == INPUT:
                    raise QlrError(
                        f"layer {lay.name!r} reads {src!r}, which is in the front-end: only the latent "
                        f"({name!r}) may cross the split"
                    )
                else:
                    new_inputs.append(src)
            lay.inputs = new_inputs
        front = Network(self.input_shape, front_layers, copy.deepcopy(self.meta))
        back = Network(self.shapes[name], back_layers, copy.deepcopy(self.meta))
        return front, back

    def fold_batchnorm(self) -> Network:
        """A copy with every BatchNorm folded into the conv2d/dwconv2d/pwconv/linear feeding it.

        For y = gamma * (z - mean) / sqrt(var + eps) + beta with z = W x + b, the folded layer has
        W' = W * s (s = gamma / sqrt(var + eps) per output channel) and b' = (b - mean) * s + beta.
        The producer must feed only the BatchNorm; otherwise QlrError names the layer.
        """
        layers = copy.deepcopy(self.layers)
        by_name = {lay.name: lay for lay in layers}
        consumers: dict[str, int] = {}
        for lay in layers:
            for src in lay.inputs:
                consumers[src] = consumers.get(src, 0) + 1
        out: list[Layer] = []
        rename: dict[str, str] = {}
        for lay in layers:
            lay.inputs = [rename.get(s, s) for s in lay.inputs]
            if lay.kind != "batchnorm":
                out.append(lay)
                continue
            src = lay.inputs[0]
            prod = by_name.get(src)
            if prod is None or prod.kind not in ("conv2d", "dwconv2d", "pwconv", "linear"):
                raise QlrError(f"layer {lay.name!r}: cannot fold a BatchNorm that does not follow a conv or linear layer")
            if consumers.get(src, 0) != 1:
                raise QlrError(f"layer {lay.name!r}: cannot fold, {src!r} also feeds other layers")
            p = lay.params
            w = prod.params["weight"]
            dtype = w.dtype
            scale = (p["gamma"].astype(np.float64) / np.sqrt(p["var"].astype(np.float64) + lay.attrs["eps"]))
            n_out = scale.shape[0]
            b = prod.bias_or_zeros(n_out, np.float64).astype(np.float64)
            if prod.kind == "dwconv2d":
                w_new = w.astype(np.float64) * scale  # [Kh][Kw][C]: channel is the last axis
            else:
                w_new = w.astype(np.float64) * scale.reshape((-1,) + (1,) * (w.ndim - 1))
            prod.params["weight"] = w_new.astype(dtype)
            prod.params["bias"] = ((b - p["mean"]) * scale + p["beta"]).astype(dtype)
            rename[lay.name] = prod.name
        for lay in out:
            lay.inputs = [rename.get(s, s) for s in lay.inputs]
        return Network(self.input_shape, out, copy.deepcopy(self.meta))

    # ---------------------------------------------------------------- display
    def summary_rows(self) -> list[dict[str, Any]]:
        rows = []
        for lay in self.layers:
            rows.append(
                {
                    "index": lay.index,
                    "name": lay.name,
                    "kind": lay.kind,
                    "inputs": list(lay.inputs),
                    "output_shape": list(self.shapes[lay.name]),
                    "params": self.layer_params(lay),
                    "macs": self.layer_macs(lay),
                }
            )
        return rows

    def __repr__(self) -> str:
        return (
            f"Network(input_shape={self.input_shape}, layers={len(self.layers)}, "
            f"output_shape={self.output_shape}, params={self.param_count()})"
        )


def replace_params(layer: Layer, **params: np.ndarray) -> Layer:
    """A copy of `layer` with some parameters replaced."""
    new = dataclasses.replace(layer, params={**layer.params, **params})
    return new

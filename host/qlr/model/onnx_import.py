"""Networks from ONNX files: the graph, node by node, into the project's network description.

Needs the ``onnx`` package (an optional dependency: ``pip install 'qlr[onnx]'``), used only to
parse the protobuf and turn initializers into arrays.

Supported nodes (NCHW in ONNX, NHWC here):

- ``Conv`` (dilation 1, explicit or VALID padding): group 1 with a 1x1 kernel, stride 1 and no
  padding -> ``pwconv``; group = channels with one filter per channel -> ``dwconv2d``; group 1
  -> ``conv2d``. Weights ``[Cout][Cin][Kh][Kw]`` become ``[Cout][Kh][Kw][Cin]``.
- ``BatchNormalization`` (inference form) -> ``batchnorm``; ``Relu`` -> ``relu``; ``Clip`` to
  [0, 6] -> ``relu6``; ``Add`` of two activations -> ``add`` (of a constant after a linear layer
  without bias -> its bias).
- ``GlobalAveragePool`` and ``ReduceMean`` over H and W -> ``global_avgpool``; ``AveragePool``
  (count_include_pad when padded, no ceil mode) -> ``avgpool``.
- ``Flatten`` (axis 1) and ``Reshape`` to (N, -1) -> ``flatten``; since ONNX flattens C, H, W and
  this project H, W, C, the columns of the linear layer reading a flattened H x W x C map with
  H * W > 1 are permuted.
- ``Gemm`` (no transposed A; alpha and beta folded) and ``MatMul`` with a constant -> ``linear``;
  ``Dropout`` and ``Identity`` are dropped.

Anything else is reported (node name, op type, reason) and the import fails with every problem
listed, not only the first. Layer names are the node names with ``/`` replaced by ``.``; layer
indices start a new block at every conv, linear and pooling layer (BatchNorm, activations and
adds share the block of the layer before them; a flatten joins the layer after it), so an LR layer
can be any such block whose output alone crosses the cut.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from qlr.errors import QlrError
from qlr.model.graph import INPUT, Layer, Network, infer_shape
from qlr.model.importer import ImportReport, Issue

SUPPORTED = ("Conv", "BatchNormalization", "Relu", "Clip", "Add", "GlobalAveragePool", "ReduceMean", "AveragePool",
             "Flatten", "Reshape", "Gemm", "MatMul", "Dropout", "Identity", "Constant")


def _onnx() -> Any:
    try:
        import onnx  # optional dependency, loaded only to read an ONNX file
        from onnx import numpy_helper
    except ImportError:
        raise QlrError("reading ONNX needs the onnx package: pip install onnx (or the qlr[onnx] extra)") from None
    return onnx, numpy_helper


class _Graph:
    """The walk over an ONNX graph (see the module docstring)."""

    def __init__(self, onnx: Any, numpy_helper: Any, model: Any, rep: ImportReport) -> None:
        self.onnx, self.nh, self.rep = onnx, numpy_helper, rep
        g = model.graph
        self.consts: dict[str, np.ndarray] = {i.name: numpy_helper.to_array(i) for i in g.initializer}
        self.layers: list[Layer] = []
        self.tensor: dict[str, tuple[str, tuple[int, ...]]] = {}  # ONNX tensor -> (layer name, NHWC shape)
        self.chw_flat: dict[str, tuple[int, int, int]] = {}  # flattened tensors of H*W > 1 maps
        self.names: set[str] = {INPUT}
        self.g = g

    def attrs(self, node: Any) -> dict[str, Any]:
        return {a.name: self.onnx.helper.get_attribute_value(a) for a in node.attribute}

    def name_of(self, node: Any) -> str:
        base = re.sub(r"[^A-Za-z0-9_.\-]", ".", node.name.strip("/")).strip(".") or node.op_type.lower()
        name, k = base, 1
        while name in self.names:
            k += 1
            name = f"{base}_{k}"
        self.names.add(name)
        return name

    def issue(self, node: Any, reason: str) -> None:
        self.rep.unsupported.append(Issue(f"{node.name or node.op_type} ({node.op_type})", reason))

    def act(self, node: Any, i: int = 0) -> tuple[str, tuple[int, ...]] | None:
        t = node.input[i] if i < len(node.input) else ""
        if t not in self.tensor:
            self.issue(node, f"input {t!r} is not an activation this importer produced")
            return None
        return self.tensor[t]

    def const(self, node: Any, i: int) -> np.ndarray | None:
        t = node.input[i] if i < len(node.input) else ""
        return self.consts.get(t) if t else None

    def add_layer(self, node: Any, kind: str, src: str, shape: tuple[int, ...], attrs: dict[str, Any] | None = None,
                  params: dict[str, np.ndarray] | None = None, inputs: list[str] | None = None) -> Layer:
        lay = Layer(self.name_of(node), kind, attrs or {}, inputs or [src],
                    {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in (params or {}).items()})
        self.layers.append(lay)
        out = infer_shape(lay, [shape] if kind != "add" else [shape, shape])
        self.tensor[node.output[0]] = (lay.name, out)
        return lay

    # ------------------------------------------------------------------ node handlers
    def conv(self, node: Any) -> None:
        x, w = self.act(node), self.const(node, 1)
        if x is None:
            return
        if w is None or w.ndim != 4:
            return self.issue(node, "the weight is not a constant 4-D tensor")
        a = self.attrs(node)
        if any(d != 1 for d in a.get("dilations", [1, 1])):
            return self.issue(node, f"dilation {a['dilations']} (only 1 is supported)")
        if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", b"VALID", "NOTSET", "VALID"):
            return self.issue(node, f"auto_pad {a['auto_pad']!r} (give explicit pads)")
        pads = list(a.get("pads", [0, 0, 0, 0]))
        stride = tuple(a.get("strides", [1, 1]))
        group = int(a.get("group", 1))
        b = self.const(node, 2)
        src, shape = x
        cout, cin_g, kh, kw = w.shape
        pad = (pads[0], pads[2], pads[1], pads[3])  # ONNX: (top, left, bottom, right)
        params: dict[str, np.ndarray] = {}
        if b is not None:
            params["bias"] = b
        if group == 1 and cin_g != shape[2]:
            return self.issue(node, f"weight has {cin_g} input channels, the input has {shape[2]}")
        if group == 1 and (kh, kw) == (1, 1) and stride == (1, 1) and not any(pads):
            self.add_layer(node, "pwconv", src, shape, {"out_channels": cout}, {**params, "weight": w[:, :, 0, 0]})
        elif group == 1:
            self.add_layer(node, "conv2d", src, shape, {"out_channels": cout, "kernel": (kh, kw), "stride": stride,
                                                         "padding": pad}, {**params, "weight": w.transpose(0, 2, 3, 1)})
        elif group == shape[2] == cout and cin_g == 1:
            self.add_layer(node, "dwconv2d", src, shape, {"kernel": (kh, kw), "stride": stride, "padding": pad},
                           {**params, "weight": w[:, 0].transpose(1, 2, 0)})
        else:
            self.issue(node, f"grouped convolution with {group} groups of {cin_g} channels (only 1 group or "
                             "depthwise with one filter per channel)")

    def batchnorm(self, node: Any) -> None:
        x = self.act(node)
        ps = [self.const(node, i) for i in (1, 2, 3, 4)]
        if x is None:
            return
        if any(p is None for p in ps) or len(node.output) > 1 and any(node.output[1:]):
            return self.issue(node, "only the inference form with constant scale, bias, mean and variance")
        scale, bias, mean, var = (np.asarray(p) for p in ps)
        eps = float(self.attrs(node).get("epsilon", 1e-5))
        self.add_layer(node, "batchnorm", x[0], x[1], {"eps": eps},
                       {"gamma": scale, "beta": bias, "mean": mean, "var": var})

    def clip(self, node: Any) -> None:
        x = self.act(node)
        if x is None:
            return
        a = self.attrs(node)
        lo = self.const(node, 1) if len(node.input) > 1 and node.input[1] else a.get("min")
        hi = self.const(node, 2) if len(node.input) > 2 and node.input[2] else a.get("max")
        lo_v = None if lo is None else float(np.asarray(lo))
        hi_v = None if hi is None else float(np.asarray(hi))
        if lo_v == 0.0 and hi_v == 6.0:
            self.add_layer(node, "relu6", x[0], x[1])
        elif lo_v == 0.0 and hi_v is None:
            self.add_layer(node, "relu", x[0], x[1])
        else:
            self.issue(node, f"clip to [{lo_v}, {hi_v}] (only [0, 6] = ReLU6 and [0, inf) = ReLU)")

    def add(self, node: Any) -> None:
        if all(t in self.tensor for t in node.input[:2]):
            (a, sa), (b, sb) = self.tensor[node.input[0]], self.tensor[node.input[1]]
            if sa != sb:
                return self.issue(node, f"adds tensors of shapes {sa} and {sb} (no broadcasting)")
            self.add_layer(node, "add", a, sa, inputs=[a, b])
            return
        k = 0 if node.input[0] in self.tensor else 1
        x, c = self.act(node, k), self.const(node, 1 - k)
        if x is None:
            return
        last = self.layers[-1] if self.layers else None
        if c is not None and last is not None and last.name == x[0] and last.kind == "linear" \
                and "bias" not in last.params and c.size == x[1][-1]:
            last.params["bias"] = np.asarray(c, np.float32).reshape(-1)
            self.tensor[node.output[0]] = x
            return
        self.issue(node, "adds a constant that is not the bias of the linear layer before it")

    def pool(self, node: Any, kind: str) -> None:
        x = self.act(node)
        if x is None:
            return
        if kind == "global":
            if node.op_type == "ReduceMean":
                a = self.attrs(node)
                axes = a.get("axes")
                if axes is None and len(node.input) > 1:
                    c = self.const(node, 1)
                    axes = None if c is None else [int(v) for v in c]
                if sorted(int(v) % 4 for v in (axes or [])) != [2, 3] or not a.get("keepdims", 1):
                    return self.issue(node, f"ReduceMean over axes {axes} (only H and W, keepdims)")
            self.add_layer(node, "global_avgpool", x[0], x[1])
            return
        a = self.attrs(node)
        pads = list(a.get("pads", [0, 0, 0, 0]))
        if a.get("ceil_mode", 0) or (any(pads) and not a.get("count_include_pad", 0)):
            return self.issue(node, "average pooling with ceil_mode, or padding that is not counted")
        self.add_layer(node, "avgpool", x[0], x[1], {"kernel": tuple(a["kernel_shape"]),
                                                      "stride": tuple(a.get("strides", a["kernel_shape"])),
                                                      "padding": (pads[0], pads[2], pads[1], pads[3])})

    def flatten(self, node: Any) -> None:
        x = self.act(node)
        if x is None:
            return
        if node.op_type == "Flatten" and int(self.attrs(node).get("axis", 1)) != 1:
            return self.issue(node, "Flatten with an axis other than 1")
        if node.op_type == "Reshape":
            shape = self.const(node, 1)
            if shape is None or shape.size != 2 or int(shape[1]) not in (-1, int(np.prod(x[1]))):
                return self.issue(node, f"Reshape to {None if shape is None else shape.tolist()} (only to (N, -1))")
        if len(x[1]) == 1:
            self.tensor[node.output[0]] = x
            return
        lay = self.add_layer(node, "flatten", x[0], x[1])
        if x[1][0] * x[1][1] > 1:
            self.chw_flat[lay.name] = x[1]  # type: ignore[assignment]

    def linear(self, node: Any) -> None:
        x = self.act(node)
        if x is None:
            return
        a = self.attrs(node)
        w = self.const(node, 1)
        if w is None or w.ndim != 2:
            return self.issue(node, "the weight is not a constant matrix")
        if node.op_type == "Gemm":
            if a.get("transA", 0):
                return self.issue(node, "Gemm with a transposed input")
            w = w if a.get("transB", 0) else w.T
            w = w * float(a.get("alpha", 1.0))
            c = self.const(node, 2)
            b = None if c is None else np.broadcast_to(np.asarray(c) * float(a.get("beta", 1.0)), (w.shape[0],))
        else:
            w, b = w.T, None
        src, shape = x
        if len(shape) != 1:
            return self.issue(node, f"a linear layer on an unflattened {shape} tensor")
        if src in self.chw_flat:  # ONNX columns are (c, h, w); ours (h, w, c)
            h, wd, ch = self.chw_flat[src]
            w = w.reshape(w.shape[0], ch, h, wd).transpose(0, 2, 3, 1).reshape(w.shape[0], -1)
        params = {"weight": w} if b is None else {"weight": w, "bias": b}
        self.add_layer(node, "linear", src, shape, {"out_features": int(w.shape[0])}, params)

    def run(self) -> None:
        handlers: dict[str, Callable[[Any], Any]] = {
                    "Conv": self.conv, "BatchNormalization": self.batchnorm, "Clip": self.clip, "Add": self.add,
                    "Flatten": self.flatten, "Reshape": self.flatten, "Gemm": self.linear, "MatMul": self.linear,
                    "Relu": lambda n: (lambda x: x and self.add_layer(n, "relu", x[0], x[1]))(self.act(n)),
                    "GlobalAveragePool": lambda n: self.pool(n, "global"),
                    "ReduceMean": lambda n: self.pool(n, "global"), "AveragePool": lambda n: self.pool(n, "avg")}
        for node in self.g.node:
            if node.op_type == "Constant":
                self.consts[node.output[0]] = self.nh.to_array(self.attrs(node)["value"])
            elif node.op_type in ("Dropout", "Identity"):
                if node.input[0] in self.tensor:
                    self.tensor[node.output[0]] = self.tensor[node.input[0]]
            elif node.op_type in handlers:
                try:
                    handlers[node.op_type](node)
                except QlrError as e:
                    self.issue(node, str(e))
            else:
                self.issue(node, f"op {node.op_type} is not supported (supported: {', '.join(SUPPORTED)})")


def _assign_indices(layers: list[Layer]) -> None:
    index = -1
    for lay in layers:
        if lay.kind in ("conv2d", "dwconv2d", "pwconv", "linear", "avgpool", "global_avgpool"):
            index += 1
        lay.index = max(index, 0)
    for i, lay in enumerate(layers):  # a flatten belongs to the layer that reads it
        if lay.kind == "flatten" and i + 1 < len(layers):
            lay.index = layers[i + 1].index


def import_onnx(path: str | os.PathLike[str], input_size: tuple[int, int] | None = None
                ) -> tuple[Network | None, ImportReport]:
    """The network of an ONNX file and the import report (None when anything is unsupported)."""
    onnx, nh = _onnx()
    path = os.fspath(path)
    rep = ImportReport(path, "onnx")
    try:
        model = onnx.load(path)
    except (OSError, ValueError) as e:
        raise QlrError(f"{path}: cannot read as ONNX ({e})") from None
    except Exception as e:  # protobuf's DecodeError is not a standard exception type
        raise QlrError(f"{path}: not an ONNX model ({type(e).__name__}: {e})") from None
    g = _Graph(onnx, nh, model, rep)
    inputs = [i for i in model.graph.input if i.name not in g.consts]
    if len(inputs) != 1:
        raise QlrError(f"{path}: the graph has {len(inputs)} non-constant inputs; one image input is supported")
    dims = [d.dim_value if d.HasField("dim_value") else None for d in inputs[0].type.tensor_type.shape.dim]
    if len(dims) != 4 or dims[1] is None:
        raise QlrError(f"{path}: input {inputs[0].name!r} has shape {dims}; an (N, C, H, W) image is supported")
    h, w = (dims[2], dims[3]) if input_size is None else input_size
    if h is None or w is None:
        raise QlrError(f"{path}: the input's height and width are not fixed in the file: give --size")
    in_shape = (int(h), int(w), int(dims[1]))
    g.tensor[inputs[0].name] = (INPUT, in_shape)
    g.run()
    outs = [o.name for o in model.graph.output]
    if len(outs) != 1 or outs[0] not in g.tensor:
        if not rep.unsupported:
            rep.unsupported.append(Issue("graph output", f"outputs {outs}: one output computed by the graph is "
                                         "supported"))
    if rep.unsupported or not g.layers:
        return None, rep
    if g.tensor[outs[0]][0] != g.layers[-1].name:
        rep.unsupported.append(Issue("graph output", "the output is not the last layer's"))
        return None, rep
    _assign_indices(g.layers)
    try:
        net = Network(in_shape, g.layers, meta={"arch": "onnx", "source": path, "imported_from": "onnx"})
    except QlrError as e:
        rep.unsupported.append(Issue("network", str(e)))
        return None, rep
    rep.arch, rep.input_shape, rep.classes = "onnx graph", in_shape, int(net.output_shape[-1])
    rep.mapped = len(g.layers)
    rep.tensors = sum(len(lay.params) for lay in g.layers)
    return net, rep

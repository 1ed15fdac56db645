"""The fixed set of layer shapes `qlr bench` measures: MobileNet-V1 1.0 @ 128 (the paper's network),
layers 19..26 and the linear head, as the model builder (`qlr.model.mobilenet`) makes them.

    l19 dw10  DW 8x8x512, 3x3 s1 p1      l20 pw10  PW 8x8x512 -> 512
    l21 dw11  DW 8x8x512, 3x3 s1 p1      l22 pw11  PW 8x8x512 -> 512
    l23 dw12  DW 8x8x512, 3x3 s2 p1      l24 pw12  PW 4x4x512 -> 1024
    l25 dw13  DW 4x4x1024, 3x3 s1 p1     l26 pw13  PW 4x4x1024 -> 1024
    l28 fc    linear 1024 -> 50 (CORe50's classes), a mini-batch of 128 rows

(l27 is the global average pool: no MACs.) Convolutions run on one sample (batch 1): the paper's
per-layer figures are per sample, and the trainer runs the convolutions sample by sample. The
linear head runs on the mini-batch of 128 (21 new + 107 replayed latents): one sample would be
a matrix-vector product in which every weight is used once, and the trainer computes the head on
the whole mini-batch. Every layer is measured in three passes: forward (fw), input gradient
(bw_input) and weight gradient (bw_weight).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qlr.errors import QlrError
from qlr.kernels.run import complete_params
from qlr.kernels.spec import OpSpec, Params
from qlr.model.mobilenet import mobilenet_v1

PASSES = ("fw", "bw_input", "bw_weight")
LINEAR_BATCH = 128
NUM_CLASSES = 50
FIRST, LAST = 19, 28
QUICK = (20, 23, 28)  # `--quick`: one pointwise, one depthwise (stride 2) and the linear head


@dataclass(frozen=True)
class BenchLayer:
    index: int                    # the paper's layer index
    name: str                     # the model's layer name (dw10, pw10, fc)
    kind: str                     # "dw", "pw" or "linear"
    params: Params = field(hash=False, compare=False)  # shape parameters of the f32 ops of the layer

    def op(self, pass_: str) -> str:
        """Name of the untiled f32 op of a pass."""
        base = {"dw": "dwconv2d", "pw": "pwconv", "linear": "linear"}[self.kind]
        return f"{base}_f32_{pass_}"

    def describe(self) -> str:
        p = self.params
        if self.kind == "dw":
            return f"DW {p['height']}x{p['width']}x{p['c']} {p['kh']}x{p['kw']} s{p['sh']}"
        if self.kind == "pw":
            return f"PW {p['height']}x{p['width']}x{p['cin']}->{p['cout']}"
        return f"linear {p['in_features']}->{p['out_features']} x{p['n']}"

    def op_params(self, pass_: str) -> Params:
        """Parameters of the op of a pass: the shape, with bias, no accumulation."""
        q = dict(self.params)
        if pass_ == "fw" or pass_ == "bw_weight":
            q["use_bias"] = 1
        if pass_ == "bw_weight":
            q["accumulate"] = 0
        return q

    def params_for(self, spec: OpSpec, pass_: str) -> Params:
        """Every parameter of `spec` for a pass of this layer: the layer's, else the spec's
        default (a parameter with neither is an error naming it)."""
        return complete_params(spec, self.op_params(pass_))


def paper_layers() -> list[BenchLayer]:
    """Layers 19..26 and the head of MobileNet-V1 1.0 @ 128 with 50 classes (see the module doc)."""
    net = mobilenet_v1(width=1.0, input_size=128, num_classes=NUM_CLASSES)
    out: list[BenchLayer] = []
    for lay in net.layers:
        if lay.index is None or not FIRST <= lay.index <= LAST:
            continue
        shape = net.input_shape_of(lay)
        if lay.kind == "dwconv2d":
            (kh, kw), (sh, sw), (pt, pb, pl, pr) = lay.attrs["kernel"], lay.attrs["stride"], lay.attrs["padding"]
            p = {"n": 1, "height": shape[0], "width": shape[1], "c": shape[2], "kh": kh, "kw": kw, "sh": sh,
                 "sw": sw, "pad_top": pt, "pad_bottom": pb, "pad_left": pl, "pad_right": pr}
            out.append(BenchLayer(lay.index, lay.name, "dw", p))
        elif lay.kind == "pwconv":
            p = {"n": 1, "height": shape[0], "width": shape[1], "cin": shape[2], "cout": lay.attrs["out_channels"]}
            out.append(BenchLayer(lay.index, lay.name, "pw", p))
        elif lay.kind == "linear":
            p = {"n": LINEAR_BATCH, "in_features": shape[-1], "out_features": lay.attrs["out_features"]}
            out.append(BenchLayer(lay.index, lay.name, "linear", p))
    return out


def select(layers: list[BenchLayer], spec: str | None) -> list[BenchLayer]:
    """The layers named by a comma-separated `--layer` value: indices (20, l20) or model names
    (pw10, fc); None keeps all."""
    if not spec:
        return layers
    chosen: list[BenchLayer] = []
    for item in (s.strip() for s in spec.split(",") if s.strip()):
        key = item[1:] if item[:1] in "lL" and item[1:].isdigit() else item
        hits = [b for b in layers if (key.isdigit() and b.index == int(key)) or b.name == key]
        if not hits:
            known = ", ".join(f"{b.index} ({b.name})" for b in layers)
            raise QlrError(f"--layer {item!r}: no such bench layer; the layers are {known}")
        chosen += [h for h in hits if h not in chosen]
    return chosen

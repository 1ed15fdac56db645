"""Op specs of the tiled family: FP32 layers run tile by tile through L1 with double-buffered
copies from L2 (firmware/kernels/tiled/, qlr/tiled.h; see qlr.kernels.spec and docs/kernels.md).

Each op takes the layer's parameters plus ``l1_budget``: the bytes of ONE tile set in L1 (the
executor uses two, double-buffered), 0 = half of the free L1. The executor chooses the tile
sizes itself; a small budget only makes more, smaller tiles (the tests force it so that tiling is
exercised on every board). The results equal the untiled layers up to FP32 summation order.

Golden references are computed in float64 from the float32 inputs and rounded once, so a test's
tolerance measures the firmware alone.
"""

from __future__ import annotations

import numpy as np

from qlr.golden import (
    qlr_dwconv2d_f32_fw,
    qlr_linear_f32_bw_input,
    qlr_linear_f32_bw_weight,
    qlr_linear_f32_fw,
    qlr_pwconv_f32_bw_input,
    qlr_pwconv_f32_bw_weight,
    qlr_pwconv_f32_fw,
)
from qlr.golden._common import out_size
from qlr.kernels.spec import Arrays, OpSpec, Param, Params, TensorSpec

F64 = np.float64

BUDGET = Param("l1_budget", default=0,
               doc="bytes of one L1 tile set (two are used); 0 = half of the free L1; at most half of it")
ACCUMULATE = Param("accumulate", default=0, doc="0: dw, db = gradient; 1: dw, db += gradient")


def _rand(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


def _inputs(spec_tensors: tuple[TensorSpec, ...], p: Params, rng: np.random.Generator) -> Arrays:
    return {t.name: _rand(rng, t.shape(p)) for t in spec_tensors if t.role in ("in", "inout")}


def _f64(a: np.ndarray) -> np.ndarray:
    return a.astype(F64)


# ---- pointwise ----------------------------------------------------------------------------

_PW = (Param("n", doc="batch >= 1"), Param("h", doc="height >= 1"), Param("w", doc="width >= 1"),
       Param("cin", doc="input channels >= 1"), Param("cout", doc="output channels >= 1"))


def _nhwc(c: str):
    return lambda p: (p["n"], p["h"], p["w"], p[c])


def _pw_derive_x(a: Arrays) -> Params:
    n, h, w, cin = a["x"].shape
    return {"n": n, "h": h, "w": w, "cin": cin}


def _pw_fw() -> OpSpec:
    tensors = (TensorSpec("x", "float32", "in", _nhwc("cin"), "input, NHWC [n][h][w][cin]"),
               TensorSpec("w", "float32", "in", lambda p: (p["cout"], p["cin"]), "weights [cout][cin]"),
               TensorSpec("b", "float32", "in", lambda p: (p["cout"],), "bias [cout]"),
               TensorSpec("y", "float32", "out", _nhwc("cout"), "output, NHWC [n][h][w][cout]"))
    return OpSpec(
        name="pwconv_f32_fw_tiled", family="tiled", params=_PW + (BUDGET,), tensors=tensors,
        derive=lambda a: {**_pw_derive_x(a), "cout": a["w"].shape[0]},
        golden=lambda a, p: {"y": qlr_pwconv_f32_fw(_f64(a["x"]), _f64(a["w"]), _f64(a["b"])).astype(np.float32)},
        macs=lambda p: p["n"] * p["h"] * p["w"] * p["cin"] * p["cout"],
        make_inputs=lambda p, rng: _inputs(tensors, p, rng),
        doc="Pointwise conv forward, tiled: y = x w^T + b (a tiled nt matmul over the n*h*w pixels, "
            "K = cin tiles through L1)")


def _pw_bw_input() -> OpSpec:
    tensors = (TensorSpec("dy", "float32", "in", _nhwc("cout"), "output gradient, NHWC [n][h][w][cout]"),
               TensorSpec("w", "float32", "in", lambda p: (p["cout"], p["cin"]), "weights [cout][cin]"),
               TensorSpec("dx", "float32", "out", _nhwc("cin"), "input gradient, NHWC [n][h][w][cin]"))

    def derive(a: Arrays) -> Params:
        n, h, w, cout = a["dy"].shape
        return {"n": n, "h": h, "w": w, "cout": cout, "cin": a["w"].shape[1]}

    return OpSpec(
        name="pwconv_f32_bw_input_tiled", family="tiled", params=_PW + (BUDGET,), tensors=tensors,
        derive=derive,
        golden=lambda a, p: {"dx": qlr_pwconv_f32_bw_input(_f64(a["dy"]), _f64(a["w"])).astype(np.float32)},
        macs=lambda p: p["n"] * p["h"] * p["w"] * p["cin"] * p["cout"],
        make_inputs=lambda p, rng: _inputs(tensors, p, rng),
        doc="Pointwise conv input gradient, tiled: dx = dy w (a tiled nn matmul, K = cout)")


def _pw_bw_weight() -> OpSpec:
    tensors = (TensorSpec("x", "float32", "in", _nhwc("cin"), "forward input, NHWC [n][h][w][cin]"),
               TensorSpec("dy", "float32", "in", _nhwc("cout"), "output gradient, NHWC [n][h][w][cout]"),
               TensorSpec("dw", "float32", "inout", lambda p: (p["cout"], p["cin"]),
                          "weight gradient [cout][cin] (read only when accumulate = 1)"),
               TensorSpec("db", "float32", "inout", lambda p: (p["cout"],),
                          "bias gradient [cout] (read only when accumulate = 1)"))

    def golden(a: Arrays, p: Params) -> Arrays:
        dw, db = qlr_pwconv_f32_bw_weight(_f64(a["x"]), _f64(a["dy"]))
        if p["accumulate"]:
            dw, db = dw + a["dw"], db + a["db"]
        return {"dw": dw.astype(np.float32), "db": db.astype(np.float32)}

    return OpSpec(
        name="pwconv_f32_bw_weight_tiled", family="tiled", params=_PW + (ACCUMULATE, BUDGET), tensors=tensors,
        derive=lambda a: {**_pw_derive_x(a), "cout": a["dy"].shape[3]},
        golden=golden, macs=lambda p: p["n"] * p["h"] * p["w"] * p["cin"] * p["cout"],
        make_inputs=lambda p, rng: _inputs(tensors, p, rng),
        doc="Pointwise conv weight and bias gradients, tiled: dw (+)= dy^T x (a tiled tn matmul, K = the "
            "n*h*w pixels), db (+)= column sums of dy, taken from the dy tiles")


# ---- linear --------------------------------------------------------------------------------

_LIN = (Param("n", doc="batch >= 1"), Param("in", doc="input features >= 1"),
        Param("out", doc="output features >= 1"))


def _lin_fw() -> OpSpec:
    tensors = (TensorSpec("x", "float32", "in", lambda p: (p["n"], p["in"]), "input [n][in]"),
               TensorSpec("w", "float32", "in", lambda p: (p["out"], p["in"]), "weights [out][in]"),
               TensorSpec("b", "float32", "in", lambda p: (p["out"],), "bias [out]"),
               TensorSpec("y", "float32", "out", lambda p: (p["n"], p["out"]), "output [n][out]"))
    return OpSpec(
        name="linear_f32_fw_tiled", family="tiled", params=_LIN + (BUDGET,), tensors=tensors,
        derive=lambda a: {"n": a["x"].shape[0], "in": a["x"].shape[1], "out": a["w"].shape[0]},
        golden=lambda a, p: {"y": qlr_linear_f32_fw(_f64(a["x"]), _f64(a["w"]), _f64(a["b"])).astype(np.float32)},
        macs=lambda p: p["n"] * p["in"] * p["out"], make_inputs=lambda p, rng: _inputs(tensors, p, rng),
        doc="Linear forward, tiled: y = x w^T + b (a tiled nt matmul, K = in)")


def _lin_bw_input() -> OpSpec:
    tensors = (TensorSpec("dy", "float32", "in", lambda p: (p["n"], p["out"]), "output gradient [n][out]"),
               TensorSpec("w", "float32", "in", lambda p: (p["out"], p["in"]), "weights [out][in]"),
               TensorSpec("dx", "float32", "out", lambda p: (p["n"], p["in"]), "input gradient [n][in]"))
    return OpSpec(
        name="linear_f32_bw_input_tiled", family="tiled", params=_LIN + (BUDGET,), tensors=tensors,
        derive=lambda a: {"n": a["dy"].shape[0], "out": a["dy"].shape[1], "in": a["w"].shape[1]},
        golden=lambda a, p: {"dx": qlr_linear_f32_bw_input(_f64(a["dy"]), _f64(a["w"])).astype(np.float32)},
        macs=lambda p: p["n"] * p["in"] * p["out"], make_inputs=lambda p, rng: _inputs(tensors, p, rng),
        doc="Linear input gradient, tiled: dx = dy w (a tiled nn matmul, K = out)")


def _lin_bw_weight() -> OpSpec:
    tensors = (TensorSpec("x", "float32", "in", lambda p: (p["n"], p["in"]), "forward input [n][in]"),
               TensorSpec("dy", "float32", "in", lambda p: (p["n"], p["out"]), "output gradient [n][out]"),
               TensorSpec("dw", "float32", "inout", lambda p: (p["out"], p["in"]),
                          "weight gradient [out][in] (read only when accumulate = 1)"),
               TensorSpec("db", "float32", "inout", lambda p: (p["out"],),
                          "bias gradient [out] (read only when accumulate = 1)"))

    def golden(a: Arrays, p: Params) -> Arrays:
        dw, db = qlr_linear_f32_bw_weight(_f64(a["x"]), _f64(a["dy"]))
        if p["accumulate"]:
            dw, db = dw + a["dw"], db + a["db"]
        return {"dw": dw.astype(np.float32), "db": db.astype(np.float32)}

    return OpSpec(
        name="linear_f32_bw_weight_tiled", family="tiled", params=_LIN + (ACCUMULATE, BUDGET), tensors=tensors,
        derive=lambda a: {"n": a["x"].shape[0], "in": a["x"].shape[1], "out": a["dy"].shape[1]},
        golden=golden, macs=lambda p: p["n"] * p["in"] * p["out"], make_inputs=lambda p, rng: _inputs(tensors, p, rng),
        doc="Linear weight and bias gradients, tiled: dw (+)= dy^T x (a tiled tn matmul, K = n), db (+)= sum "
            "over the batch of dy")


# ---- depthwise forward ----------------------------------------------------------------------

_DW = (Param("n", doc="batch >= 1"), Param("h", doc="input height >= 1"), Param("w", doc="input width >= 1"),
       Param("c", doc="channels >= 1"), Param("kh", doc="kernel height >= 1"), Param("kw", doc="kernel width >= 1"),
       Param("sh", default=1, doc="vertical stride >= 1"), Param("sw", default=1, doc="horizontal stride >= 1"),
       Param("pad_top", default=0, doc="zero rows above, >= 0"),
       Param("pad_bottom", default=0, doc="zero rows below, >= 0"),
       Param("pad_left", default=0, doc="zero columns on the left, >= 0"),
       Param("pad_right", default=0, doc="zero columns on the right, >= 0"))


def dw_out_hw(p: Params) -> tuple[int, int]:
    """(Ho, Wo) of a depthwise op's parameters."""
    return (out_size(p["h"], p["kh"], p["sh"], p["pad_top"], p["pad_bottom"]),
            out_size(p["w"], p["kw"], p["sw"], p["pad_left"], p["pad_right"]))


def _dw_fw() -> OpSpec:
    tensors = (TensorSpec("x", "float32", "in", lambda p: (p["n"], p["h"], p["w"], p["c"]), "input, NHWC"),
               TensorSpec("w", "float32", "in", lambda p: (p["kh"], p["kw"], p["c"]), "weights [kh][kw][c]"),
               TensorSpec("b", "float32", "in", lambda p: (p["c"],), "bias [c]"),
               TensorSpec("y", "float32", "out", lambda p: (p["n"], *dw_out_hw(p), p["c"]), "output, NHWC [n][ho][wo][c]"))

    def derive(a: Arrays) -> Params:
        n, h, w, c = a["x"].shape
        kh, kw, _ = a["w"].shape
        return {"n": n, "h": h, "w": w, "c": c, "kh": kh, "kw": kw}

    def golden(a: Arrays, p: Params) -> Arrays:
        y = qlr_dwconv2d_f32_fw(_f64(a["x"]), _f64(a["w"]), _f64(a["b"]), stride=(p["sh"], p["sw"]),
                                padding=(p["pad_top"], p["pad_bottom"], p["pad_left"], p["pad_right"]))
        return {"y": y.astype(np.float32)}

    def macs(p: Params) -> int:
        ho, wo = dw_out_hw(p)
        return p["n"] * ho * wo * p["c"] * p["kh"] * p["kw"]

    return OpSpec(
        name="dwconv2d_f32_fw_tiled", family="tiled", params=_DW + (BUDGET,), tensors=tensors, derive=derive,
        golden=golden, macs=macs, make_inputs=lambda p, rng: _inputs(tensors, p, rng),
        doc="Depthwise conv forward, tiled over (image, group of channels): 2-D strided copies of the HWC "
            "planes of a channel group into L1, then the depthwise kernel on the tile")


OPS: list[OpSpec] = [_pw_fw(), _pw_bw_input(), _pw_bw_weight(), _lin_fw(), _lin_bw_input(), _lin_bw_weight(),
                     _dw_fw()]

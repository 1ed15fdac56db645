"""Op specs of the f32 family: the FP32 training kernels (see qlr.kernels.spec and docs/kernels.md).

One op per kernel pass of `firmware/include/qlr/kernels_f32.h`; the golden reference of each is
the `qlr.golden` function of the same name, evaluated in float64 and rounded once to float32 (so
a comparison measures the firmware's rounding alone).

Conventions: activations NHWC with the batch N outermost; conv2d weights [cout][kh][kw][cin],
depthwise [kh][kw][c], pointwise and linear [out][in]. Zero padding (top, bottom, left, right);
output size ho = (height + pad_top + pad_bottom - kh) // sh + 1, likewise wo. Weight-gradient
ops sum over the batch and every output pixel; with accumulate=1 they add to the dw/db given.
Ops without multiplications report elements (or window additions) as their MAC count.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from qlr import golden as G
from qlr.kernels.spec import Arrays, Dims, OpSpec, Param, Params, TensorSpec, dims

F32 = "float32"


def _rand(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


def _f64(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _flag(name: str, doc: str) -> Param:
    return Param(name, default=1 if name == "use_bias" else 0, doc=doc, min=0, max=1)


USE_BIAS = ("use_bias", "1: use the bias tensor; 0: no bias (the tensor is ignored)")
USE_BIAS_BW = ("use_bias", "1: compute db; 0: no bias (db is left untouched)")
ACCUMULATE = ("accumulate", "0: dw, db = gradient; 1: dw, db += gradient (sum micro-batches)")
CHUNK_ROWS = Param("chunk_rows", default=0, min=0,
                   doc="im2col rows (output pixels) per chunk; 0 = as many as fit in L1 (else the free L2)")


# ---- window geometry (conv2d, dwconv2d, avgpool) ---------------------------------------------

def _window_params(cname: str, cdoc: str, *, kernel_default: int | None = None) -> tuple[Param, ...]:
    return (
        Param("n", doc="batch size N", min=1),
        Param("height", doc="input height H", min=1),
        Param("width", doc="input width W", min=1),
        Param(cname, doc=cdoc, min=1),
        Param("kh", default=kernel_default, doc="window height", min=1, max=65535),
        Param("kw", default=kernel_default, doc="window width", min=1, max=65535),
        Param("sh", default=1, doc="vertical stride", min=1),
        Param("sw", default=1, doc="horizontal stride", min=1),
        Param("pad_top", default=0, doc="zero rows above the input", min=0, max=65535),
        Param("pad_bottom", default=0, doc="zero rows below the input", min=0, max=65535),
        Param("pad_left", default=0, doc="zero columns left of the input", min=0, max=65535),
        Param("pad_right", default=0, doc="zero columns right of the input", min=0, max=65535),
    )


def ho(p: Dims) -> int:
    return (p["height"] + p["pad_top"] + p["pad_bottom"] - p["kh"]) // p["sh"] + 1


def wo(p: Dims) -> int:
    return (p["width"] + p["pad_left"] + p["pad_right"] - p["kw"]) // p["sw"] + 1


def _stride(p: Params) -> tuple[int, int]:
    return (int(p["sh"]), int(p["sw"]))


def _pair(p: Params, a: str, b: str) -> tuple[int, int]:
    return (int(p[a]), int(p[b]))


def _padding(p: Params) -> tuple[int, int, int, int]:
    return (int(p["pad_top"]), int(p["pad_bottom"]), int(p["pad_left"]), int(p["pad_right"]))


def _nhwc(a: np.ndarray, c: str) -> Params:
    n, h, w, ch = a.shape
    return {"n": int(n), "height": int(h), "width": int(w), c: int(ch)}


def _x_shape(c: str) -> Callable[[Dims], tuple[int, ...]]:
    return lambda p: (p["n"], p["height"], p["width"], p[c])


def _y_shape(c: str) -> Callable[[Dims], tuple[int, ...]]:
    return lambda p: (p["n"], ho(p), wo(p), p[c])


def _inputs_from(tensors: tuple[TensorSpec, ...]) -> Callable[[Params, np.random.Generator], Arrays]:
    def make(p: Params, rng: np.random.Generator) -> Arrays:
        return {t.name: _rand(rng, t.shape_for(p)) for t in tensors if t.role in ("in", "inout")}
    return make


# ---- conv2d -------------------------------------------------------------------------------------

def CONV_W(p: Dims) -> tuple[int, ...]:
    return (p["cout"], p["kh"], p["kw"], p["cin"])


def _conv_params(*extra: Param) -> tuple[Param, ...]:
    return _window_params("cin", "input channels >= 1") + (Param("cout", doc="output channels", min=1),) + extra


def _conv_fw() -> OpSpec:
    tensors = (
        TensorSpec("x", F32, "in", _x_shape("cin"), "input activations NHWC"),
        TensorSpec("w", F32, "in", CONV_W, "weights [cout][kh][kw][cin]"),
        TensorSpec("b", F32, "in", lambda p: (p["cout"],), "bias"),
        TensorSpec("y", F32, "out", _y_shape("cout"), "output activations NHWC"),
    )

    def derive(a: Arrays) -> Params:
        d = _nhwc(a["x"], "cin") if "x" in a else {}
        if "w" in a:
            d.update(cout=int(a["w"].shape[0]), kh=int(a["w"].shape[1]), kw=int(a["w"].shape[2]))
        return d

    def golden(a: Arrays, p: Params) -> Arrays:
        b = _f64(a["b"]) if p["use_bias"] else None
        y = G.qlr_conv2d_f32_fw(_f64(a["x"]), _f64(a["w"]), b, stride=_stride(p), padding=_padding(p))
        return {"y": y.astype(np.float32)}

    return OpSpec(
        name="conv2d_f32_fw", family="f32",
        params=_conv_params(_flag(*USE_BIAS), CHUNK_ROWS), tensors=tensors, derive=derive, golden=golden,
        macs=lambda p: p["n"] * ho(p) * wo(p) * p["cout"] * p["kh"] * p["kw"] * p["cin"],
        make_inputs=_inputs_from(tensors),
        doc="conv2d forward: y = conv(x, w) + b, any kernel/stride/padding (im2col in L1 chunks + matmul nt)")


def _conv_bw_input() -> OpSpec:
    tensors = (
        TensorSpec("dy", F32, "in", _y_shape("cout"), "output gradient NHWC"),
        TensorSpec("w", F32, "in", CONV_W, "weights [cout][kh][kw][cin]"),
        TensorSpec("dx", F32, "out", _x_shape("cin"), "input gradient NHWC (0 where no window reaches)"),
    )

    def derive(a: Arrays) -> Params:
        d: Params = {}
        if "dy" in a:
            d["n"] = int(a["dy"].shape[0])
        if "w" in a:
            d.update(cout=int(a["w"].shape[0]), kh=int(a["w"].shape[1]), kw=int(a["w"].shape[2]),
                     cin=int(a["w"].shape[3]))
        return d

    def golden(a: Arrays, p: Params) -> Arrays:
        dx = G.qlr_conv2d_f32_bw_input(_f64(a["dy"]), _f64(a["w"]), _pair(p, "height", "width"), stride=_stride(p),
                                       padding=_padding(p))
        return {"dx": dx.astype(np.float32)}

    return OpSpec(
        name="conv2d_f32_bw_input", family="f32", params=_conv_params(CHUNK_ROWS), tensors=tensors, derive=derive,
        golden=golden, macs=lambda p: p["n"] * ho(p) * wo(p) * p["cout"] * p["kh"] * p["kw"] * p["cin"],
        make_inputs=_inputs_from(tensors),
        doc="conv2d input gradient (matmul nn into column rows in L1 chunks, then col2im); height and width "
            "are required (dy does not determine them)")


def _conv_bw_weight() -> OpSpec:
    tensors = (
        TensorSpec("x", F32, "in", _x_shape("cin"), "forward input NHWC"),
        TensorSpec("dy", F32, "in", _y_shape("cout"), "output gradient NHWC"),
        TensorSpec("dw", F32, "inout", CONV_W, "weight gradient [cout][kh][kw][cin] (read only with accumulate=1)"),
        TensorSpec("db", F32, "inout", lambda p: (p["cout"],), "bias gradient (read only with accumulate=1)"),
    )

    def derive(a: Arrays) -> Params:
        d = _nhwc(a["x"], "cin") if "x" in a else {}
        if "dw" in a:
            d.update(cout=int(a["dw"].shape[0]), kh=int(a["dw"].shape[1]), kw=int(a["dw"].shape[2]))
        return d

    def golden(a: Arrays, p: Params) -> Arrays:
        dw, db = G.qlr_conv2d_f32_bw_weight(_f64(a["x"]), _f64(a["dy"]), _pair(p, "kh", "kw"), stride=_stride(p),
                                            padding=_padding(p))
        return _weight_grads(a, p, dw, db)

    return OpSpec(
        name="conv2d_f32_bw_weight", family="f32",
        params=_conv_params(_flag(*USE_BIAS_BW), _flag(*ACCUMULATE), CHUNK_ROWS), tensors=tensors, derive=derive,
        golden=golden, macs=lambda p: p["n"] * ho(p) * wo(p) * p["cout"] * p["kh"] * p["kw"] * p["cin"],
        make_inputs=_inputs_from(tensors),
        doc="conv2d weight and bias gradients summed over the batch (im2col in L1 chunks + matmul tn)")


def _weight_grads(a: Arrays, p: Params, dw: np.ndarray, db: np.ndarray) -> Arrays:
    """dw, db as the op returns them: accumulated onto the given ones, db untouched without bias."""
    if p["accumulate"]:
        dw = dw + _f64(a["dw"])
        db = db + _f64(a["db"])
    out_db = db.astype(np.float32) if p["use_bias"] else np.asarray(a["db"], np.float32)
    return {"dw": dw.astype(np.float32), "db": out_db}


# ---- depthwise conv2d ---------------------------------------------------------------------------

DW_W = lambda p: (p["kh"], p["kw"], p["c"])


def _dw_params(*extra: Param) -> tuple[Param, ...]:
    return _window_params("c", "channels >= 1 (depth multiplier 1)") + extra


def _dw_fw() -> OpSpec:
    tensors = (
        TensorSpec("x", F32, "in", _x_shape("c"), "input activations NHWC"),
        TensorSpec("w", F32, "in", DW_W, "weights [kh][kw][c]"),
        TensorSpec("b", F32, "in", lambda p: (p["c"],), "bias"),
        TensorSpec("y", F32, "out", _y_shape("c"), "output activations NHWC"),
    )

    def derive(a: Arrays) -> Params:
        d = _nhwc(a["x"], "c") if "x" in a else {}
        if "w" in a:
            d.update(kh=int(a["w"].shape[0]), kw=int(a["w"].shape[1]))
        return d

    def golden(a: Arrays, p: Params) -> Arrays:
        b = _f64(a["b"]) if p["use_bias"] else None
        y = G.qlr_dwconv2d_f32_fw(_f64(a["x"]), _f64(a["w"]), b, stride=_stride(p), padding=_padding(p))
        return {"y": y.astype(np.float32)}

    return OpSpec(
        name="dwconv2d_f32_fw", family="f32", params=_dw_params(_flag(*USE_BIAS)), tensors=tensors, derive=derive,
        golden=golden, macs=lambda p: p["n"] * ho(p) * wo(p) * p["c"] * p["kh"] * p["kw"],
        make_inputs=_inputs_from(tensors),
        doc="depthwise conv2d forward (direct loops, (pixel, 4-channel group) items over the cores)")


def _dw_bw_input() -> OpSpec:
    tensors = (
        TensorSpec("dy", F32, "in", _y_shape("c"), "output gradient NHWC"),
        TensorSpec("w", F32, "in", DW_W, "weights [kh][kw][c]"),
        TensorSpec("dx", F32, "out", _x_shape("c"), "input gradient NHWC"),
    )

    def derive(a: Arrays) -> Params:
        d: Params = {}
        if "dy" in a:
            d.update(n=int(a["dy"].shape[0]), c=int(a["dy"].shape[3]))
        if "w" in a:
            d.update(kh=int(a["w"].shape[0]), kw=int(a["w"].shape[1]))
        return d

    def golden(a: Arrays, p: Params) -> Arrays:
        dx = G.qlr_dwconv2d_f32_bw_input(_f64(a["dy"]), _f64(a["w"]), _pair(p, "height", "width"),
                                         stride=_stride(p), padding=_padding(p))
        return {"dx": dx.astype(np.float32)}

    return OpSpec(
        name="dwconv2d_f32_bw_input", family="f32", params=_dw_params(), tensors=tensors, derive=derive,
        golden=golden, macs=lambda p: p["n"] * ho(p) * wo(p) * p["c"] * p["kh"] * p["kw"],
        make_inputs=_inputs_from(tensors),
        doc="depthwise conv2d input gradient (a gather per input pixel); height and width are required")


def _dw_bw_weight() -> OpSpec:
    tensors = (
        TensorSpec("x", F32, "in", _x_shape("c"), "forward input NHWC"),
        TensorSpec("dy", F32, "in", _y_shape("c"), "output gradient NHWC"),
        TensorSpec("dw", F32, "inout", DW_W, "weight gradient [kh][kw][c] (read only with accumulate=1)"),
        TensorSpec("db", F32, "inout", lambda p: (p["c"],), "bias gradient (read only with accumulate=1)"),
    )

    def derive(a: Arrays) -> Params:
        d = _nhwc(a["x"], "c") if "x" in a else {}
        if "dw" in a:
            d.update(kh=int(a["dw"].shape[0]), kw=int(a["dw"].shape[1]))
        return d

    def golden(a: Arrays, p: Params) -> Arrays:
        dw, db = G.qlr_dwconv2d_f32_bw_weight(_f64(a["x"]), _f64(a["dy"]), _pair(p, "kh", "kw"), stride=_stride(p),
                                              padding=_padding(p))
        return _weight_grads(a, p, dw, db)

    return OpSpec(
        name="dwconv2d_f32_bw_weight", family="f32", params=_dw_params(_flag(*USE_BIAS_BW), _flag(*ACCUMULATE)),
        tensors=tensors, derive=derive, golden=golden,
        macs=lambda p: p["n"] * ho(p) * wo(p) * p["c"] * p["kh"] * p["kw"], make_inputs=_inputs_from(tensors),
        doc="depthwise conv2d weight and bias gradients summed over the batch ((tap, 4-channel group) items)")


# ---- pointwise and linear -------------------------------------------------------------------------

def _mm_ops(kind: str) -> list[OpSpec]:
    """pwconv (rows = n*height*width, NHWC tensors) or linear (rows = n, [n][features] tensors)."""
    xs: Callable[[Dims], tuple[int, ...]]
    ys: Callable[[Dims], tuple[int, ...]]
    if kind == "pwconv":
        shape_p: tuple[Param, ...] = (Param("n", doc="batch size N", min=1), Param("height", doc="H", min=1),
                                      Param("width", doc="W", min=1), Param("cin", doc="input channels", min=1),
                                      Param("cout", doc="output channels", min=1))
        fin, fout = "cin", "cout"
        xs = lambda p: (p["n"], p["height"], p["width"], p["cin"])
        ys = lambda p: (p["n"], p["height"], p["width"], p["cout"])

        def from_x(x: np.ndarray) -> Params:
            return _nhwc(x, "cin")

        def from_y(y: np.ndarray) -> Params:
            return {"n": int(y.shape[0]), "height": int(y.shape[1]), "width": int(y.shape[2])}
        fw_f, bi_f, bw_f = G.qlr_pwconv_f32_fw, G.qlr_pwconv_f32_bw_input, G.qlr_pwconv_f32_bw_weight
        rows = "n*height*width pixels"
        macs = lambda p: p["n"] * p["height"] * p["width"] * p["cin"] * p["cout"]
    else:
        shape_p = (Param("n", doc="batch size N", min=1), Param("in_features", min=1),
                   Param("out_features", min=1))
        fin, fout = "in_features", "out_features"
        xs = lambda p: (p["n"], p["in_features"])
        ys = lambda p: (p["n"], p["out_features"])

        def from_x(x: np.ndarray) -> Params:
            return {"n": int(x.shape[0]), "in_features": int(x.shape[1])}

        def from_y(y: np.ndarray) -> Params:
            return {"n": int(y.shape[0])}
        fw_f, bi_f, bw_f = G.qlr_linear_f32_fw, G.qlr_linear_f32_bw_input, G.qlr_linear_f32_bw_weight
        rows = "n samples"
        macs = lambda p: p["n"] * p["in_features"] * p["out_features"]
    ws = lambda p: (p[fout], p[fin])
    bs = lambda p: (p[fout],)

    def from_w(w: np.ndarray) -> Params:
        return {fout: int(w.shape[0]), fin: int(w.shape[1])}

    # fw
    fw_t = (TensorSpec("x", F32, "in", xs, "input"), TensorSpec("w", F32, "in", ws, f"weights [{fout}][{fin}]"),
            TensorSpec("b", F32, "in", bs, "bias"), TensorSpec("y", F32, "out", ys, "output"))

    def fw_derive(a: Arrays) -> Params:
        d = from_x(a["x"]) if "x" in a else {}
        d.update(from_w(a["w"]) if "w" in a else {})
        return d

    def fw_golden(a: Arrays, p: Params) -> Arrays:
        b = _f64(a["b"]) if p["use_bias"] else None
        return {"y": fw_f(_f64(a["x"]), _f64(a["w"]), b).astype(np.float32)}

    # bw_input
    bi_t = (TensorSpec("dy", F32, "in", ys, "output gradient"),
            TensorSpec("w", F32, "in", ws, f"weights [{fout}][{fin}]"),
            TensorSpec("dx", F32, "out", xs, "input gradient = dy w"))

    def bi_derive(a: Arrays) -> Params:
        d = from_y(a["dy"]) if "dy" in a else {}
        d.update(from_w(a["w"]) if "w" in a else {})
        return d

    def bi_golden(a: Arrays, p: Params) -> Arrays:
        return {"dx": bi_f(_f64(a["dy"]), _f64(a["w"])).astype(np.float32)}

    # bw_weight
    bw_t = (TensorSpec("x", F32, "in", xs, "forward input"), TensorSpec("dy", F32, "in", ys, "output gradient"),
            TensorSpec("dw", F32, "inout", ws, "weight gradient = dy^T x (read only with accumulate=1)"),
            TensorSpec("db", F32, "inout", bs, "bias gradient (read only with accumulate=1)"))

    def bw_derive(a: Arrays) -> Params:
        d = from_x(a["x"]) if "x" in a else {}
        d.update(from_w(a["dw"]) if "dw" in a else {})
        return d

    def bw_golden(a: Arrays, p: Params) -> Arrays:
        dw, db = bw_f(_f64(a["x"]), _f64(a["dy"]))
        return _weight_grads(a, p, dw, db)

    what = "pointwise conv" if kind == "pwconv" else "linear"
    return [
        OpSpec(name=f"{kind}_f32_fw", family="f32", params=shape_p + (_flag(*USE_BIAS),), tensors=fw_t,
               derive=fw_derive, golden=fw_golden, macs=macs, make_inputs=_inputs_from(fw_t),
               doc=f"{what} forward: y = x w^T + b over {rows} (matmul nt)"),
        OpSpec(name=f"{kind}_f32_bw_input", family="f32", params=shape_p, tensors=bi_t, derive=bi_derive,
               golden=bi_golden, macs=macs, make_inputs=_inputs_from(bi_t),
               doc=f"{what} input gradient: dx = dy w (matmul nn)"),
        OpSpec(name=f"{kind}_f32_bw_weight", family="f32",
               params=shape_p + (_flag(*USE_BIAS_BW), _flag(*ACCUMULATE)), tensors=bw_t, derive=bw_derive,
               golden=bw_golden, macs=macs, make_inputs=_inputs_from(bw_t),
               doc=f"{what} weight and bias gradients summed over {rows} (matmul tn + column sums)"),
    ]


# ---- average pooling ----------------------------------------------------------------------------

def _pool_ops() -> list[OpSpec]:
    params = _window_params("c", "channels >= 1")
    fw_t = (TensorSpec("x", F32, "in", _x_shape("c"), "input NHWC"),
            TensorSpec("y", F32, "out", _y_shape("c"), "window means NHWC"))
    bw_t = (TensorSpec("dy", F32, "in", _y_shape("c"), "output gradient NHWC"),
            TensorSpec("dx", F32, "out", _x_shape("c"), "input gradient NHWC"))

    def fw_golden(a: Arrays, p: Params) -> Arrays:
        y = G.qlr_avgpool_f32_fw(_f64(a["x"]), _pair(p, "kh", "kw"), _stride(p), _padding(p))
        return {"y": y.astype(np.float32)}

    def bw_golden(a: Arrays, p: Params) -> Arrays:
        dx = G.qlr_avgpool_f32_bw(_f64(a["dy"]), _pair(p, "height", "width"), _pair(p, "kh", "kw"), _stride(p),
                                  _padding(p))
        return {"dx": dx.astype(np.float32)}

    adds = lambda p: p["n"] * ho(p) * wo(p) * p["c"] * p["kh"] * p["kw"]
    g_fw_t = (TensorSpec("x", F32, "in", _x_shape("c"), "input NHWC"),
              TensorSpec("y", F32, "out", lambda p: (p["n"], 1, 1, p["c"]), "means over height x width"))
    g_bw_t = (TensorSpec("dy", F32, "in", lambda p: (p["n"], 1, 1, p["c"]), "output gradient"),
              TensorSpec("dx", F32, "out", _x_shape("c"), "input gradient: dy / (height*width) everywhere"))
    g_params = (Param("n", doc="batch size N", min=1), Param("height", doc="H", min=1),
                Param("width", doc="W", min=1), Param("c", doc="channels", min=1))

    def g_fw_golden(a: Arrays, p: Params) -> Arrays:
        return {"y": G.qlr_global_avgpool_f32_fw(_f64(a["x"])).astype(np.float32)}

    def g_bw_golden(a: Arrays, p: Params) -> Arrays:
        return {"dx": G.qlr_global_avgpool_f32_bw(_f64(a["dy"]), _pair(p, "height", "width")).astype(np.float32)}

    doc_pad = " (zero padding counted in the mean; padding must be smaller than the window)"
    return [
        OpSpec(name="avgpool_f32_fw", family="f32", params=params, tensors=fw_t,
               derive=lambda a: _nhwc(a["x"], "c") if "x" in a else {}, golden=fw_golden, macs=adds,
               make_inputs=_inputs_from(fw_t), doc="average pooling forward, MACs = window additions" + doc_pad),
        OpSpec(name="avgpool_f32_bw", family="f32", params=params, tensors=bw_t,
               derive=lambda a: {"n": int(a["dy"].shape[0]), "c": int(a["dy"].shape[3])} if "dy" in a else {},
               golden=bw_golden, macs=adds, make_inputs=_inputs_from(bw_t),
               doc="average pooling input gradient (a gather per input pixel); height, width, kh, kw required"
               + doc_pad),
        OpSpec(name="global_avgpool_f32_fw", family="f32", params=g_params, tensors=g_fw_t,
               derive=lambda a: _nhwc(a["x"], "c") if "x" in a else {}, golden=g_fw_golden,
               macs=lambda p: p["n"] * p["height"] * p["width"] * p["c"], make_inputs=_inputs_from(g_fw_t),
               doc="global average pooling forward, MACs = input elements"),
        OpSpec(name="global_avgpool_f32_bw", family="f32", params=g_params, tensors=g_bw_t,
               derive=lambda a: {"n": int(a["dy"].shape[0]), "c": int(a["dy"].shape[3])} if "dy" in a else {},
               golden=g_bw_golden, macs=lambda p: p["n"] * p["height"] * p["width"] * p["c"],
               make_inputs=_inputs_from(g_bw_t),
               doc="global average pooling input gradient; height and width required; MACs = dx elements"),
    ]


# ---- activations --------------------------------------------------------------------------------

def _act_ops(name: str, fw_f: Callable[[np.ndarray], np.ndarray],
             bw_f: Callable[[np.ndarray, np.ndarray], np.ndarray], rule: str) -> list[OpSpec]:
    count = (Param("count", doc="elements (flatten any tensor)", min=1),)
    vec = lambda p: (p["count"],)
    fw_t = (TensorSpec("x", F32, "in", vec, "input (any tensor, flattened)"),
            TensorSpec("y", F32, "out", vec, "output"))
    bw_t = (TensorSpec("dy", F32, "in", vec, "output gradient"),
            TensorSpec("y", F32, "in", vec, "the forward OUTPUT"), TensorSpec("dx", F32, "out", vec, "input gradient"))

    def act_inputs(p: Params, rng: np.random.Generator) -> Arrays:
        # Values around both kinks (0 and 6), including the kinks themselves.
        count = int(p["count"])
        x = rng.uniform(-2.0, 8.0, size=count).astype(np.float32)
        x[:: 7] = 0.0
        x[3:: 11] = 6.0
        return {"x": x, "dy": _rand(rng, (count,)), "y": fw_f(x).astype(np.float32)}

    return [
        OpSpec(name=f"{name}_f32_fw", family="f32", params=count, tensors=fw_t,
               derive=lambda a: {"count": int(a["x"].size)} if "x" in a else {},
               golden=lambda a, p: {"y": fw_f(_f64(a["x"])).astype(np.float32)}, macs=lambda p: p["count"],
               make_inputs=act_inputs, doc=f"{name} forward, element-wise (NaN stays NaN); MACs = elements"),
        OpSpec(name=f"{name}_f32_bw", family="f32", params=count, tensors=bw_t,
               derive=lambda a: {"count": int(a["dy"].size)} if "dy" in a else {},
               golden=lambda a, p: {"dx": bw_f(_f64(a["dy"]), _f64(a["y"])).astype(np.float32)},
               macs=lambda p: p["count"], make_inputs=act_inputs,
               doc=f"{name} backward from the forward output y: dx = dy where {rule}, else 0; MACs = elements"),
    ]


# ---- softmax cross-entropy ----------------------------------------------------------------------

def _xent() -> OpSpec:
    tensors = (
        TensorSpec("logits", F32, "in", lambda p: (p["n"], p["classes"]), "logits [n][classes]"),
        TensorSpec("labels", "int32", "in", lambda p: (p["n"],), "class of each sample, 0..classes-1"),
        TensorSpec("dlogits", F32, "out", lambda p: (p["n"], p["classes"]),
                   "gradient of the mean loss: (softmax - onehot) / n"),
        TensorSpec("row_loss", F32, "out", lambda p: (p["n"],), "per-sample loss logsumexp(z) - z[label]"),
        TensorSpec("loss", F32, "out", lambda p: (1,), "mean of row_loss over the batch"),
    )

    def golden(a: Arrays, p: Params) -> Arrays:
        z, lab = _f64(a["logits"]), np.asarray(a["labels"]).astype(np.int64)
        loss, grad = G.qlr_softmax_xent_f32(z, lab)
        # The loss of one sample is the golden's mean loss of a batch of that one sample.
        rows = np.array([G.qlr_softmax_xent_f32(z[i: i + 1], lab[i: i + 1])[0] for i in range(z.shape[0])])
        return {"dlogits": grad.astype(np.float32), "row_loss": rows.astype(np.float32),
                "loss": np.array([loss], np.float32)}

    def make_inputs(params: Params, rng: np.random.Generator) -> Arrays:
        p = dims(params)
        return {"logits": rng.uniform(-4.0, 4.0, size=(p["n"], p["classes"])).astype(np.float32),
                "labels": rng.integers(0, p["classes"], size=p["n"]).astype(np.int32)}

    return OpSpec(
        name="softmax_xent_f32", family="f32",
        params=(Param("n", doc="batch size", min=1), Param("classes", doc="number of classes", min=1)),
        tensors=tensors, derive=lambda a: ({"n": int(a["logits"].shape[0]), "classes": int(a["logits"].shape[1])}
                                           if "logits" in a else {}),
        golden=golden, macs=lambda p: p["n"] * p["classes"], make_inputs=make_inputs,
        doc="softmax cross-entropy, mean over the batch, with its gradient (max subtracted); MACs = logits")


# ---- SGD ----------------------------------------------------------------------------------------

def _sgd() -> OpSpec:
    vec = lambda p: (p["count"],)
    tensors = (TensorSpec("w", F32, "inout", vec, "parameters, updated in place"),
               TensorSpec("g", F32, "in", vec, "gradient"),
               TensorSpec("v", F32, "inout", vec, "momentum buffer, updated in place"))

    def golden(a: Arrays, p: Params) -> Arrays:
        w, v = _f64(a["w"]).copy(), _f64(a["v"]).copy()
        G.qlr_sgd_f32(w, _f64(a["g"]), v, float(np.float32(p["lr"])), float(np.float32(p["momentum"])),
                      float(np.float32(p["weight_decay"])))
        return {"w": w.astype(np.float32), "v": v.astype(np.float32)}

    return OpSpec(
        name="sgd_f32", family="f32",
        params=(Param("count", doc="elements", min=1), Param("lr", "f32", doc="learning rate"),
                Param("momentum", "f32", default=0.0, doc="momentum (no dampening, no Nesterov)"),
                Param("weight_decay", "f32", default=0.0, doc="L2 decay added to the gradient")),
        tensors=tensors, derive=lambda a: {"count": int(a["w"].size)} if "w" in a else {}, golden=golden,
        macs=lambda p: p["count"], make_inputs=_inputs_from(tensors),
        doc="SGD step: v = momentum*v + g + weight_decay*w; w -= lr*v; MACs = elements")


OPS: list[OpSpec] = [
    _conv_fw(), _conv_bw_input(), _conv_bw_weight(),
    _dw_fw(), _dw_bw_input(), _dw_bw_weight(),
    *_mm_ops("pwconv"), *_mm_ops("linear"),
    *_pool_ops(),
    *_act_ops("relu", G.qlr_relu_f32_fw, G.qlr_relu_f32_bw, "y > 0"),
    *_act_ops("relu6", G.qlr_relu6_f32_fw, G.qlr_relu6_f32_bw, "0 < y < 6"),
    _xent(), _sgd(),
]

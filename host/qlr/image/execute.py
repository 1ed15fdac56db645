"""Run the int8 front-end of an image with the golden kernels, from the image's content alone.

This is what a device must compute for an image: `run_front_end(content, x)` walks the FRONT layer
records in order, reads each layer's int8 parameters, requantization and clamp from the image, and
returns the uint8 latent (the output of the last front-end layer), shaped ``[N, H, W, C]``.
"""

from __future__ import annotations

from typing import Literal, overload

import numpy as np

from qlr.golden.int8_add import AddRequant, qlr_add_u8
from qlr.golden.int8_conv import qlr_conv2d_u8s8, qlr_pwconv_u8s8
from qlr.golden.int8_dwconv import qlr_dwconv2d_u8s8
from qlr.golden.int8_linear import qlr_linear_u8s8
from qlr.golden.int8_pool import qlr_avgpool_u8
from qlr.golden.requant import Requant
from qlr.image.content import FrontParams, ImageContent
from qlr.image.format import NO_INPUT, Kind, LayerRecord, QlrImageError, Stage


def _params(p: FrontParams | None) -> FrontParams:
    if p is None:
        raise ValueError("the layer has no FE parameters")
    return p


def _weight(p: FrontParams | None) -> np.ndarray:
    w = _params(p).weight
    if w is None:
        raise ValueError("the layer has no FE_WEIGHT")
    return w


def _requant(p: FrontParams | None, r: LayerRecord) -> Requant:
    q = _params(p)
    return Requant(q.mult, q.shift, r.out_zp, r.act_min, r.act_max)


@overload
def run_front_end(content: ImageContent, x: np.ndarray, keep: Literal[False] = False) -> np.ndarray: ...
@overload
def run_front_end(content: ImageContent, x: np.ndarray, keep: Literal[True]) -> list[np.ndarray]: ...
def run_front_end(content: ImageContent, x: np.ndarray, keep: bool = False) -> np.ndarray | list[np.ndarray]:
    """uint8 images ``[N] + in_shape of layer 0`` -> uint8 latent ``[N, H, W, C]`` (or every layer's output)."""
    layers = [r for r in content.layers if r.stage == Stage.FRONT]
    if not layers:
        raise QlrImageError("the image has no front-end layers")
    x = np.asarray(x)
    if x.dtype != np.uint8 or x.shape[1:] != tuple(layers[0].in_shape):
        raise QlrImageError(f"front-end input must be uint8 (N,) + {tuple(layers[0].in_shape)}, got {x.dtype} {x.shape}")
    outs: list[np.ndarray] = []

    def src(k: int) -> np.ndarray:
        return x if k == NO_INPUT else outs[k]

    for i, r in enumerate(layers):
        a = src(r.input0)
        n = a.shape[0]
        a4 = a.reshape((n,) + tuple(r.in_shape))
        p = content.front.get(i)
        k = Kind(r.kind)

        try:
            if k == Kind.CONV2D:
                y = qlr_conv2d_u8s8(a4, _weight(p), _params(p).bias, _requant(p, r), in_zp=r.in_zp, w_zp=r.w_zp, stride=r.stride,
                                  padding=r.padding)
            elif k == Kind.DWCONV2D:
                y = qlr_dwconv2d_u8s8(a4, _weight(p), _params(p).bias, _requant(p, r), in_zp=r.in_zp, w_zp=r.w_zp,
                                    stride=r.stride, padding=r.padding)
            elif k == Kind.PWCONV:
                y = qlr_pwconv_u8s8(a4, _weight(p), _params(p).bias, _requant(p, r), in_zp=r.in_zp, w_zp=r.w_zp)
            elif k == Kind.LINEAR:
                y = qlr_linear_u8s8(a4.reshape(n, -1), _weight(p), _params(p).bias, _requant(p, r), in_zp=r.in_zp, w_zp=r.w_zp)
            elif k == Kind.AVGPOOL:
                y = qlr_avgpool_u8(a4, _requant(p, r), in_zp=r.in_zp, kernel=r.kernel, stride=r.stride, padding=r.padding)
            elif k == Kind.GLOBAL_AVGPOOL:
                y = qlr_avgpool_u8(a4, _requant(p, r), in_zp=r.in_zp)
            elif k == Kind.ADD:
                q = _params(p)
                arq = AddRequant(int(q.mult[0]), int(q.mult[1]), int(q.shift[0]), r.out_zp, r.act_min, r.act_max)
                y = qlr_add_u8(a4, src(r.input1).reshape(a4.shape), arq, a_zp=r.in_zp, b_zp=r.in_zp_b)
            elif k in (Kind.RELU, Kind.RELU6):
                y = np.clip(a4, r.act_min, r.act_max).astype(np.uint8)
            else:  # flatten: HWC order, no data movement
                y = a4
        except (ValueError, TypeError) as e:
            raise QlrImageError(f"NETWORK layer {i} ({k.name.lower()}): {e}") from None
        outs.append(y.reshape((n,) + tuple(r.out_shape)))
    return outs if keep else outs[-1]

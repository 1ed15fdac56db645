"""Op specs of the tiled family: FP32 layers run tile by tile through L1 with double-buffered
copies from L2 (firmware/kernels/tiled/, qlr/tiled.h; see qlr.kernels.spec and docs/kernels.md).

Each tiled op takes exactly the parameters and tensors of its untiled twin of the f32 family
(``<name>_tiled`` <- ``<name>``: same names, order, shapes, golden reference and MAC count) plus a
last parameter ``l1_budget``: the bytes of ONE tile set in L1 (the executor uses two,
double-buffered), 0 = half of the free L1. The executor chooses the tile sizes itself; a small
budget only makes more, smaller tiles (the tests force it so that tiling runs on every board).
Results equal the untiled layers up to FP32 summation order.
"""

from __future__ import annotations

from dataclasses import replace

from qlr.kernels import ops_f32
from qlr.kernels.spec import OpSpec, Param

L1_BUDGET = Param("l1_budget", default=0, min=0,
                  doc="bytes of one L1 tile set (the executor uses two, double-buffered); 0 = half of the free "
                      "L1; at most half of it. Smaller budgets mean more, smaller tiles, the same result")

HOW = {
    "pwconv_f32_fw": "a tiled nt matmul: tiles of pixels x cout, K = cin in steps",
    "pwconv_f32_bw_input": "a tiled nn matmul: tiles of pixels x cin, K = cout in steps",
    "pwconv_f32_bw_weight": "a tiled tn matmul: tiles of cout x cin, K = the pixels in steps; db from the dy tiles",
    "linear_f32_fw": "a tiled nt matmul: tiles of n x out_features, K = in_features in steps",
    "linear_f32_bw_input": "a tiled nn matmul: tiles of n x in_features, K = out_features in steps",
    "linear_f32_bw_weight": "a tiled tn matmul: tiles of out x in_features, K = n in steps; db from the dy tiles",
    "dwconv2d_f32_fw": "tiles of (image, group of channels): 2-D strided copies of the group's HWC planes",
}

# Untiled op -> the name of its tiled twin.
TILED_OF = {name: f"{name}_tiled" for name in HOW}


def _tiled(base: OpSpec) -> OpSpec:
    return replace(base, name=TILED_OF[base.name], family="tiled", params=base.params + (L1_BUDGET,),
                   doc=f"{base.name} through L1 tiles with double-buffered copies from L2 ({HOW[base.name]})",
                   extra={**base.extra, "untiled": base.name})


def _ops() -> list[OpSpec]:
    by_name = {s.name: s for s in ops_f32.OPS}
    missing = [n for n in HOW if n not in by_name]
    if missing:
        raise RuntimeError(f"qlr.kernels.ops_f32 has no op(s) {', '.join(missing)} for the tiled family")
    return [_tiled(by_name[n]) for n in HOW]


OPS: list[OpSpec] = _ops()

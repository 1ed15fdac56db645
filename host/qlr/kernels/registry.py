"""All op specs by name, gathered from the family modules (ops_int8, ops_f32, ops_matmul, ops_tiled)."""

from __future__ import annotations

from qlr.errors import QlrError
from qlr.kernels import ops_f32, ops_int8, ops_matmul, ops_tiled
from qlr.kernels.spec import OpSpec

FAMILIES = (ops_int8, ops_f32, ops_matmul, ops_tiled)


def all_ops() -> dict[str, OpSpec]:
    ops: dict[str, OpSpec] = {}
    for mod in FAMILIES:
        for spec in mod.OPS:
            if spec.name in ops:
                raise RuntimeError(f"op {spec.name!r} is defined twice ({mod.__name__})")
            ops[spec.name] = spec
    return ops


def get_op(name: str) -> OpSpec:
    ops = all_ops()
    if name not in ops:
        raise QlrError(f"no op named {name!r}; known ops: {', '.join(sorted(ops))}")
    return ops[name]

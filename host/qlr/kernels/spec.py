"""Op specs: the host's description of every kernel op the firmware can run (docs/kernels.md).

An `OpSpec` is the single source for one op on the host: its parameters (in the firmware's
order), its tensors (in the firmware's order, with dtype, role and shape as functions of the
parameters), how to derive the parameters from the arrays a user gives, its golden-model
reference and its MAC count. `qlr kernel run`, `qlr bench`, the kernel tests and the docs are all
built from these specs.

Conventions:
- Parameters are int32 on the wire. A float parameter (``Param(kind="f32")``) travels as the
  IEEE-754 bits of its float32 value and must be finite. An int parameter has a range
  ``[min, max]`` (default: all of int32); the host refuses a value outside it before sending, and
  the firmware checks it again from the same range (generated into its op table).
- The firmware's view of the specs (parameter and tensor names, indices, ranges, a struct of
  named parameters per op) is generated from them at build time (`qlr.codegen.ops_c`), and
  KERNEL_LIST reports the names back: a test compares them with these specs on every board.
- Tensors are C-contiguous arrays in the firmware's layout (HWC activations, weights as in
  DESIGN.md); a batch dimension, where an op has one, is outermost.
- Roles: ``in`` (host writes), ``out`` (host reads back), ``inout`` (both: e.g. SGD's weights).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

import numpy as np

Role = Literal["in", "out", "inout"]
Params = dict[str, int | float]
Arrays = dict[str, np.ndarray]
# The integer parameters of a call: what shapes and MAC counts are functions of (`dims`).
Dims = Mapping[str, int]


class Range(TypedDict):
    """An int parameter's accepted range, spread into `Param(..., **RANGE)`."""
    min: int
    max: int


def dims(params: Params) -> dict[str, int]:
    """The integer-valued parameters as ints (f32 parameters with a fraction are dropped: no
    shape or MAC count depends on them)."""
    out: dict[str, int] = {}
    for k, v in params.items():
        if isinstance(v, float) and not v.is_integer():
            continue
        out[k] = int(v)
    return out


@dataclass(frozen=True)
class Param:
    name: str
    kind: Literal["i32", "f32"] = "i32"
    default: int | float | None = None   # None: required (given or derived from the arrays)
    doc: str = ""
    min: int | None = None                # i32: the accepted range (None: the int32 bound)
    max: int | None = None

    def check(self, value: int | float) -> str | None:
        """None when `value` is acceptable, else what is wrong (naming the parameter)."""
        if self.kind == "f32":
            f = float(value)
            return None if math.isfinite(f) else f"parameter {self.name} = {f} is not a finite float"
        v = int(value)
        lo = -(2**31) if self.min is None else self.min
        hi = 2**31 - 1 if self.max is None else self.max
        return None if lo <= v <= hi else f"parameter {self.name} = {v} is outside [{lo}, {hi}]"

    def encode(self, value: int | float) -> int:
        """The int32 that carries `value` on the wire."""
        if self.kind == "f32":
            return struct.unpack("<i", struct.pack("<f", float(value)))[0]
        v = int(value)
        if not -(2**31) <= v < 2**31:
            raise ValueError(f"parameter {self.name!r} = {v} does not fit an int32")
        return v


@dataclass(frozen=True)
class TensorSpec:
    name: str
    dtype: str                                    # numpy dtype name: uint8, int8, int32, float32, ...
    role: Role
    shape: Callable[[Dims], tuple[int, ...]]      # the shape the parameters imply
    doc: str = ""

    def shape_for(self, params: Params) -> tuple[int, ...]:
        return tuple(int(d) for d in self.shape(dims(params)))


@dataclass(frozen=True)
class OpSpec:
    name: str                                      # firmware op name, e.g. "pwconv_u8s8"
    family: str                                    # "int8", "f32", "matmul", "tiled"
    params: tuple[Param, ...]
    tensors: tuple[TensorSpec, ...]
    # Parameters implied by the input arrays (shapes); explicit parameters override nothing
    # derived (a conflict is an error raised by `resolve_params`).
    derive: Callable[[Arrays], Params]
    # Golden reference: (inputs incl. inout arrays, params) -> outputs by name (out and inout).
    golden: Callable[[Arrays, Params], Arrays]
    macs: Callable[[Dims], int]
    doc: str = ""
    # Random test inputs for this op at the given params (seeded), used by tests and bench.
    make_inputs: Callable[[Params, np.random.Generator], Arrays] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def mac_count(self, params: Params) -> int:
        return int(self.macs(dims(params)))

    def inputs(self) -> tuple[TensorSpec, ...]:
        return tuple(t for t in self.tensors if t.role in ("in", "inout"))

    def outputs(self) -> tuple[TensorSpec, ...]:
        return tuple(t for t in self.tensors if t.role in ("out", "inout"))

"""Op specs: the host's description of every kernel op the firmware can run (docs/kernels.md).

An `OpSpec` is the single source for one op on the host: its parameters (in the firmware's
order), its tensors (in the firmware's order, with dtype, role and shape as functions of the
parameters), how to derive the parameters from the arrays a user gives, its golden-model
reference and its MAC count. `qlr kernel run`, `qlr bench`, the kernel tests and the docs are all
built from these specs.

Conventions:
- Parameters are int32 on the wire. A float parameter (``Param(kind="f32")``) travels as the
  IEEE-754 bits of its float32 value.
- Tensors are C-contiguous arrays in the firmware's layout (HWC activations, weights as in
  DESIGN.md); a batch dimension, where an op has one, is outermost.
- Roles: ``in`` (host writes), ``out`` (host reads back), ``inout`` (both: e.g. SGD's weights).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Role = Literal["in", "out", "inout"]
Params = dict[str, int | float]
Arrays = dict[str, np.ndarray]


@dataclass(frozen=True)
class Param:
    name: str
    kind: Literal["i32", "f32"] = "i32"
    default: int | float | None = None   # None: required (given or derived from the arrays)
    doc: str = ""

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
    shape: Callable[[Params], tuple[int, ...]]    # the shape the parameters imply
    doc: str = ""


@dataclass(frozen=True)
class OpSpec:
    name: str                                      # firmware op name, e.g. "pwconv_s8"
    family: str                                    # "s8", "f32", "tiled"
    params: tuple[Param, ...]
    tensors: tuple[TensorSpec, ...]
    # Parameters implied by the input arrays (shapes); explicit parameters override nothing
    # derived (a conflict is an error raised by `resolve_params`).
    derive: Callable[[Arrays], Params]
    # Golden reference: (inputs incl. inout arrays, params) -> outputs by name (out and inout).
    golden: Callable[[Arrays, Params], Arrays]
    macs: Callable[[Params], int]
    doc: str = ""
    # Random test inputs for this op at the given params (seeded), used by tests and bench.
    make_inputs: Callable[[Params, np.random.Generator], Arrays] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def inputs(self) -> tuple[TensorSpec, ...]:
        return tuple(t for t in self.tensors if t.role in ("in", "inout"))

    def outputs(self) -> tuple[TensorSpec, ...]:
        return tuple(t for t in self.tensors if t.role in ("out", "inout"))

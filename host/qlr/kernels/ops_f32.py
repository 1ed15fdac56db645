"""Op specs of the f32 family: the FP32 training kernels (see qlr.kernels.spec and docs/kernels.md)."""

from __future__ import annotations

from qlr.kernels.spec import OpSpec

OPS: list[OpSpec] = []

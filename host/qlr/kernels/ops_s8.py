"""Op specs of the s8 family (see qlr.kernels.spec and docs/kernels.md)."""

from __future__ import annotations

from qlr.kernels.spec import OpSpec

OPS: list[OpSpec] = []

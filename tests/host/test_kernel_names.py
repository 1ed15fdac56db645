"""Kernel names agree across the firmware, the op specs and the golden model (DESIGN.md
conventions, qlr/kernel.h): op `<name>` runs the C kernel `qlr_<name>` declared in a public header
of firmware/include/qlr/, whose NumPy twin `qlr_<name>` lives in qlr.golden; the element types
are spelt out (`_u8s8`: uint8 activations, int8 weights; `_u8`: uint8 only; `_f32`) and `_tiled`
comes last. A rename on one side only fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import qlr.golden
from qlr.kernels.registry import all_ops

REPO = Path(__file__).resolve().parents[2]
HEADERS = "\n".join(p.read_text() for p in sorted((REPO / "firmware" / "include" / "qlr").glob("*.h")))
# Ops whose golden reference is not a twin of the same name, and why.
NO_TWIN = {
    "requant_u8": "the requantization alone; its reference is qlr.golden.requant.requantize",
    "matmul_f32_nn": "checked against NumPy's product in float64 (qlr.kernels.ops_matmul)",
    "matmul_f32_nt": "checked against NumPy's product in float64 (qlr.kernels.ops_matmul)",
    "matmul_f32_tn": "checked against NumPy's product in float64 (qlr.kernels.ops_matmul)",
}
TYPE_SUFFIX = re.compile(r"_(u8s8|u8|f32)(_(fw|bw|bw_input|bw_weight|nn|nt|tn))?(_tiled)?$")


def _declared(fn: str) -> bool:
    return re.search(r"\b" + re.escape(fn) + r"\s*\(", HEADERS) is not None


@pytest.mark.parametrize("name", sorted(all_ops()))
def test_op_runs_the_kernel_of_its_name(name):
    assert _declared(f"qlr_{name}"), f"op {name}: no qlr_{name}() in firmware/include/qlr/*.h"
    assert TYPE_SUFFIX.search(name), f"op {name}: the name does not end in its element types (+ pass, + _tiled)"


def _untiled(name: str) -> str:
    return all_ops()[name].extra.get("untiled", name)  # a tiled op computes what its untiled twin does


@pytest.mark.parametrize("name", sorted(n for n in all_ops() if _untiled(n) not in NO_TWIN))
def test_op_has_a_golden_twin_of_its_name(name):
    base = _untiled(name)
    assert hasattr(qlr.golden, f"qlr_{base}"), f"op {name}: no qlr.golden.qlr_{base}"


def test_the_ops_without_a_twin_exist():
    assert set(NO_TWIN) <= set(all_ops())


def test_int8_kernels_say_their_types():
    """Every int8-family kernel in the public header ends in _u8s8 (weights) or _u8 (none)."""
    text = (REPO / "firmware" / "include" / "qlr" / "kernels_int8.h").read_text()
    kernels = re.findall(r"qlr_status_t (qlr_\w+)\(", text)
    assert kernels, "no kernels found in kernels_int8.h"
    untyped = [k for k in kernels if not re.search(r"_(u8s8|u8)(_\w+)?$", k) and not k.startswith("qlr_requant_check")]
    assert not untyped, f"int8 kernels without their element types: {untyped}"
    assert not re.search(r"\bqlr_\w+_s8\b", HEADERS), "a kernel still named _s8 (its activations are uint8)"


def test_tiled_comes_last():
    assert not re.search(r"\bqlr_tiled_(?!l1_t|plan_t|run|pipeline)\w+", HEADERS), "`tiled` before the op in a name"
    assert all(n.endswith("_tiled") for n, s in all_ops().items() if s.family == "tiled")

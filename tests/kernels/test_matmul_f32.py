"""FP32 matmul micro-kernels on every board against the float64 reference, at shapes with tails
and uneven splits over the cores."""

from __future__ import annotations

import numpy as np
import pytest

from qlr.kernels.registry import get_op
from compare import assert_f32_close

SHAPES = [(1, 1, 1), (3, 7, 11), (11, 3, 7), (9, 16, 5), (17, 13, 33)]


@pytest.mark.parametrize("kind", ["nn", "nt", "tn"])
def test_matmul_matches_reference(kernels, kind):
    spec = get_op(f"matmul_f32_{kind}")
    rng = np.random.default_rng(7)
    for m, n, k in SHAPES:
        for acc in (0, 1):
            p = {"m": m, "n": n, "k": k, "accumulate": acc}
            arrays = spec.make_inputs(p, rng)
            ref = spec.golden(dict(arrays), p)["c"]
            for cores in sorted({1, kernels.team_max}):
                got = kernels.run(spec, arrays, {"accumulate": acc}, cores=cores).outputs["c"]
                assert_f32_close(got, ref, k_terms=k + 1, what=f"{spec.name} {m}x{n}x{k} acc={acc} cores={cores}")

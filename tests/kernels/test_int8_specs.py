"""The int8 op specs on the host alone: parameters derive from the arrays, every parameter and
tensor is documented, the MAC counts match the shapes, and `make_inputs` gives layers whose
golden outputs are spread over the output range (not saturated), for every activation and both
requantization granularities."""

from __future__ import annotations

import numpy as np
import pytest
from int8_cases import ACTS, act, assert_spread

from qlr.kernels.ops_int8 import OPS
from qlr.kernels.run import resolve_params, run_golden

CONV = {"n": 2, "in_h": 9, "in_w": 7, "in_c": 5, "out_c": 6, "k_h": 3, "k_w": 3, "stride_h": 1, "stride_w": 2,
        "pad_top": 1, "pad_bottom": 1, "pad_left": 0, "pad_right": 1, "in_zp": 7, "w_zp": -3}
PARAMS = {
    "conv2d_u8s8": CONV,
    "dwconv2d_u8s8": {k: v for k, v in CONV.items() if k not in ("in_c", "out_c")} | {"c": 6},
    "pwconv_u8s8": {k: v for k, v in CONV.items() if not k.startswith(("k_", "pad"))},
    "linear_u8s8": {"n": 3, "in_f": 40, "out_f": 24, "in_zp": 3, "w_zp": 2},
}


def test_every_param_and_tensor_is_documented():
    for spec in OPS:
        assert spec.doc, spec.name
        for p in spec.params:
            assert p.doc, f"{spec.name} param {p.name}"
        for t in spec.tensors:
            assert t.doc, f"{spec.name} tensor {t.name}"


@pytest.mark.parametrize("name", sorted(PARAMS))
@pytest.mark.parametrize("activation", sorted(ACTS))
@pytest.mark.parametrize("per_channel", [True, False])
def test_make_inputs_spread_outputs(name, activation, per_channel):
    spec = next(s for s in OPS if s.name == name)
    p = dict(PARAMS[name]) | act(activation)
    out_c = p.get("out_c", p.get("c", p.get("out_f")))
    p["rq_channels"] = out_c if per_channel else 1
    arrays = spec.make_inputs(p, np.random.default_rng(5))
    resolved = resolve_params(spec, arrays, p)
    assert resolved == p, "derive() disagrees with the parameters the inputs were made for"
    res = run_golden(spec, arrays, p)
    y = res.outputs["y"]
    assert_spread(y, p, f"{name} {activation} per_channel={per_channel}")
    k = y.size // out_c  # outputs per channel
    taps = {"conv2d_u8s8": p.get("k_h", 1) * p.get("k_w", 1) * p.get("in_c", 1), "dwconv2d_u8s8": p.get("k_h", 1) * p.get("k_w", 1),
            "pwconv_u8s8": p.get("in_c"), "linear_u8s8": p.get("in_f")}[name]
    assert res.macs == k * out_c * taps

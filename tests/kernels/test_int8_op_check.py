"""The int8 ops' checks on every board: a bad parameter or tensor is rejected before the kernel
runs, with a message naming the field (and the golden model rejects the same call)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from compare import inputs_of

from qlr.errors import QlrError
from qlr.kernels.registry import get_op
from qlr.kernels.spec import Params


def _conv_case(rng: np.random.Generator) -> tuple[dict, dict]:
    spec = get_op("conv2d_u8s8")
    p: Params = {"n": 1, "in_h": 3, "in_w": 3, "in_c": 2, "out_c": 4, "k_h": 3, "k_w": 3, "stride_h": 1, "stride_w": 1,
         "pad_top": 1, "pad_bottom": 1, "pad_left": 1, "pad_right": 1, "in_zp": 0, "w_zp": 0, "out_zp": 0,
         "act_min": 0, "act_max": 255, "rq_channels": 4}
    return inputs_of(spec)(p, rng), p


def _bad_shift(a, p):
    a["shift"][2] = 0
    return a, {}


def _bad_mult(a, p):
    a["mult"][1] = -5
    return a, {}


def _bad_w_zp(a, p):
    return a, {"w_zp": 200}


def _bad_act(a, p):
    return a, {"act_min": 30, "act_max": 20}


def _bad_rq_channels(a, p):
    a["mult"], a["shift"] = a["mult"][:2].copy(), a["shift"][:2].copy()
    return a, {}


def _bad_bound(a, p):
    a["bias"][3] = 2**31 - 1
    a["w"][3] = 1
    return a, {}


CASES = [
    (_bad_shift, r"shift\[2\] = 0"),
    (_bad_mult, r"mult\[1\] = -5"),
    (_bad_w_zp, r"parameter w_zp = 200"),
    (_bad_act, r"act_min = 30 is above act_max = 20"),
    (_bad_rq_channels, r"rq_channels = 2 must be 1 or the 4 output channels"),
    (_bad_bound, r"w/bias: the int32 accumulator could overflow in output channel 3"),
]


@pytest.mark.parametrize("mutate,message", CASES, ids=[c[0].__name__ for c in CASES])
def test_conv2d_u8s8_rejects_bad_call(kernels, mutate, message):
    spec = get_op("conv2d_u8s8")
    arrays, p = _conv_case(np.random.default_rng(81))
    arrays, override = mutate(arrays, p)
    call = {k: v for k, v in p.items() if k not in ("rq_channels",)} | override
    with pytest.raises((ValueError, TypeError)):
        spec.golden({k: v.copy() for k, v in arrays.items()}, {**p, **override, "rq_channels": len(arrays["mult"])})
    with pytest.raises(QlrError, match=message):
        kernels.run(spec, arrays, call, cores=1)


def test_pool_window_larger_than_input_is_named(kernels):
    spec = get_op("avgpool_u8")
    arrays = {"x": np.zeros((1, 3, 3, 2), np.uint8), "mult": np.array([1 << 30], np.int32),
              "shift": np.array([33], np.uint8)}
    with pytest.raises(QlrError, match=re.escape("parameter k_h/stride_h/pad_top/pad_bottom: kernel 5 does not fit")):
        kernels.run(spec, arrays, {"k_h": 5, "k_w": 1}, cores=1)


def test_add_multiplier_range_is_named(kernels):
    spec = get_op("add_u8")
    a = np.zeros((1, 2, 2, 3), np.uint8)
    p = {"mult_a": 1 << 21, "mult_b": 5, "shift": 10}
    with pytest.raises(QlrError, match=re.escape("parameter mult_a = 2097152 is outside [0, 2097151]")):
        kernels.run(spec, {"a": a, "b": a}, p, cores=1)

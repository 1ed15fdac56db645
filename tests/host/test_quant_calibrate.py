"""Activation calibration: the histogram observer's percentiles against NumPy's on the same values,
exact rebinning when the range grows, MSE choosing to clip heavy tails, the parser, and the weight
scale cap that keeps a dead channel's bias exact."""

from __future__ import annotations

import numpy as np
import pytest

from qlr.errors import QlrError
from qlr.model import Layer, Network, run_forward
from qlr.quant.calibrate import BINS, Calibration, Observer
from qlr.quant.ptq import quantize_front_end


def test_percentiles_match_numpy_within_a_bin_over_growing_batches():
    r = np.random.default_rng(0)
    batches = [np.abs(r.standard_normal(5000)) * s for s in (0.1, 1.0, 7.0)]  # the range grows twice
    obs = Observer()
    for b in batches:
        obs.observe(b)
    allv = np.concatenate(batches)
    width = 2 * obs.r / BINS
    for p in (60.0, 99.0, 99.9, 99.99):
        lo, hi = obs.range(Calibration("percentile", p))
        # any definition of the percentile lies between the order statistics around q * n
        srt = np.sort(allv)
        k = p / 100 * len(srt)
        below, above = srt[max(int(np.floor(k)) - 1, 0)], srt[min(int(np.ceil(k)), len(srt) - 1)]
        assert below - width <= hi <= above + width, p
        assert lo == allv.min() >= 0  # unsigned: the low end is the minimum
    assert obs.range(Calibration("max")) == (allv.min(), allv.max())
    assert obs.count == allv.size and obs.hist.sum() == allv.size  # nothing lost in rebinning


def test_signed_percentiles_take_both_tails():
    v = np.random.default_rng(1).standard_normal(20000)
    obs = Observer()
    obs.observe(v)
    lo, hi = obs.range(Calibration("percentile", 99.0))
    assert abs(lo - np.percentile(v, 1.0)) < 0.01 and abs(hi - np.percentile(v, 99.0)) < 0.01


def test_mse_clips_a_lone_outlier_where_the_squared_error_is_least():
    """1e6 values in [0, 1] and one at 40. Keeping range c costs (c / 255)^2 / 12 per value in range
    and (40 - c)^2 for the clipped one: least at c* = 40 / (1 + 1e6 / (12 * 255^2)) = 17.53."""
    r = np.random.default_rng(2)
    v = np.concatenate([r.uniform(0, 1, 1_000_000), [40.0]])
    obs = Observer()
    obs.observe(v)
    _, hi = obs.range(Calibration("mse"))
    best = 40 / (1 + 1e6 / (12 * 255**2))
    assert abs(hi - best) < 40 / 256  # within one candidate step
    dense = Observer()
    dense.observe(v[:-1])
    assert dense.range(Calibration("mse"))[1] > 0.95  # without the outlier: (nearly) the maximum


@pytest.mark.parametrize("text,name", [("max", "max"), ("MSE", "mse"), ("percentile", "percentile:99.99"),
                                       ("percentile:99.9", "percentile:99.9"), ("p99.999", "percentile:99.999")])
def test_parse(text, name):
    assert Calibration.parse(text).name == name


@pytest.mark.parametrize("text", ["median", "percentile:40", "p"])
def test_parse_rejects(text):
    if text == "p":
        assert Calibration.parse(text).name == "percentile:99.99"
        return
    with pytest.raises(QlrError):
        Calibration.parse(text)


def test_dead_channel_keeps_an_exact_bias():
    """Channel 1 of the first conv is never positive (its ReLU output is always 0); BatchNorm folded
    over it left the next depthwise layer a weight of 4e4 on it. The output of that depthwise channel
    is its bias, 19.5; the int8 front-end must give it to within one output step (without the cap:
    a bias step of S_x * S_w = 1.24, 10 output steps, and 19.76 instead of 19.5)."""
    w1 = np.zeros((2, 1, 1, 1), np.float32)
    w1[0, 0, 0, 0] = 1.0
    b1 = np.array([0.0, -1.0], np.float32)  # channel 1: always -1 before the ReLU
    wdw = np.array([0.5, 4e4], np.float32).reshape(1, 1, 2)
    bdw = np.array([30.0, 19.5], np.float32)  # channel 0 sets the output range (30.5): 19.5 is inside it
    net = Network((4, 4, 1), [
        Layer("c", "conv2d", {"out_channels": 2, "kernel": 1}, params={"weight": w1, "bias": b1}),
        Layer("r", "relu"),
        Layer("d", "dwconv2d", {"kernel": 1}, params={"weight": wdw, "bias": bdw}),
        Layer("r2", "relu"),
    ])
    x = np.random.default_rng(3).integers(0, 256, (16, 4, 4, 1), dtype=np.uint8)
    qfe = quantize_front_end(net, x)
    out = qfe.dequantize(qfe.run(x))
    ref = run_forward(net, x.astype(np.float32) / 255)
    step = qfe.output.out_scale
    assert np.abs(out[..., 1] - 19.5).max() <= step
    assert np.abs(out - ref).max() <= step


def _two_range_net() -> Network:
    """conv (2 channels, ranges 1 and 0.01) -> ReLU -> pointwise that weighs the small channel 100x
    more: the uint8 tensor between them gives the small channel two or three codes."""
    w1 = np.array([1.0, 0.01], np.float32).reshape(2, 1, 1, 1)
    w2 = np.array([[1.0, 100.0]], np.float32)
    return Network((6, 6, 1), [
        Layer("c", "conv2d", {"out_channels": 2, "kernel": 1}, params={"weight": w1, "bias": np.zeros(2, np.float32)}),
        Layer("r", "relu"),
        Layer("p", "pwconv", {"out_channels": 1}, params={"weight": w2, "bias": np.zeros(1, np.float32)}),
        Layer("r2", "relu"),
    ])


def test_equalization_keeps_the_function_and_spreads_the_codes():
    from qlr.quant.equalize import equalize, relu_pairs

    net = _two_range_net()
    x = np.random.default_rng(4).integers(0, 256, (32, 6, 6, 1), dtype=np.uint8)
    xf = x.astype(np.float32) / 255
    eq, changed = equalize(net, {"r": np.array([1.0, 0.01])})
    assert changed == 1 and [p[1].name for p in relu_pairs(net)] == ["r"]
    np.testing.assert_allclose(run_forward(eq, xf), run_forward(net, xf), rtol=1e-5, atol=1e-6)  # float32 rounding only
    # the small channel is raised by min(1 / 0.01, MAX_GAIN = 64): it now spans 0.64 of the range
    assert np.allclose(eq.layer("c").params["weight"].ravel(), [1.0, 0.64])
    ref = run_forward(net, xf)
    err = {}
    for flag in (False, True):
        qfe = quantize_front_end(net, x, equalize=flag)
        err[flag] = float(np.sqrt(np.mean((qfe.dequantize(qfe.run(x)) - ref) ** 2)))
    assert err[True] < err[False] / 5, err  # the small channel had 3 codes; equalized it has 163


def test_equalization_leaves_relu6_pairs_and_the_output_alone():
    from qlr.quant.equalize import relu_pairs

    net = _two_range_net()
    net.layers[1] = Layer("r", "relu6", inputs=["c"])
    net.validate()
    assert relu_pairs(net) == []  # ReLU6 is not homogeneous: rescaling would move its cap
    assert relu_pairs(_two_range_net().split_after("r")[0]) == []  # a ReLU that is the output (the latent)

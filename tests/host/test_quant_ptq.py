"""Post-training quantization of the frozen front-end: schemes, calibration, errors, accuracy, CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from qlr.cli import main as qlr_main
from qlr.data import Dataset, load_fashion_mnist, save_dataset
from qlr.errors import QlrError
from qlr.image.sample import SAMPLE_LR_LAYER, sample_network
from qlr.model import Layer, Network, save_network
from qlr.quant.ptq import forward_all, quantize_front_end, quantize_weights, to_input
from qlr.quant.ptq_report import ptq_report
from qlr.train import TrainConfig, train


def images(n: int, shape, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n,) + tuple(shape), dtype=np.uint8)


@pytest.mark.parametrize("kind,shape", [("conv2d", (5, 3, 2, 4)), ("dwconv2d", (3, 3, 7)), ("pwconv", (6, 9)), ("linear", (4, 11))])
def test_weight_schemes(kind: str, shape) -> None:
    rng = np.random.default_rng(len(shape))
    w = rng.normal(0, 1, size=shape) * rng.uniform(0.01, 3, size=shape[-1] if kind == "dwconv2d" else (shape[0],) + (1,) * (len(shape) - 1))
    ch_axis = len(shape) - 1 if kind == "dwconv2d" else 0
    red = tuple(a for a in range(w.ndim) if a != ch_axis)
    # per output channel, symmetric: S = max|w_c| / 127, zero point 0, |q| <= 127
    q, s, z = quantize_weights(w, kind, "per_channel")
    assert q.dtype == np.int8 and z == 0 and np.abs(q.astype(int)).max() <= 127
    assert np.allclose(s, np.abs(w).max(axis=red) / 127, rtol=1e-12)
    bshape = [1] * w.ndim
    bshape[ch_axis] = -1
    err = np.abs(q * s.reshape(bshape) - w)
    assert np.all(err <= s.reshape(bshape) / 2 * (1 + 1e-9))
    # extreme of every channel maps to +-127 exactly
    assert np.all(np.abs(q.astype(int)).max(axis=red) == 127)
    # per layer, affine (paper): S = (max - min) / 255, z_w such that 0 is exact
    q, s, z = quantize_weights(w, kind, "per_layer")
    assert s.shape == (1,) and np.isclose(s[0], (w.max() - w.min()) / 255, rtol=1e-12)
    assert -128 <= z <= 127
    deq = s[0] * (q.astype(np.float64) - z)
    assert np.abs(deq - w).max() <= s[0] / 2 * (1 + 1e-9) + 1e-12
    assert q.min() == -128 and q.max() >= 126  # the range is used
    assert float(s[0] * (np.int64(z) - z)) == 0.0  # real zero is the integer z


def test_per_layer_range_always_contains_zero() -> None:
    w = np.full((3, 4), 0.5) + np.arange(12).reshape(3, 4) * 0.01  # all positive
    q, s, z = quantize_weights(w, "linear", "per_layer")
    assert z == -128  # w_min -> 0 is the bottom of the range
    assert np.abs(s[0] * (q.astype(float) - z) - w).max() <= s[0] / 2 + 1e-12


def test_calibration_scales_follow_the_activation() -> None:
    net = sample_network(seed=2)
    x = images(40, net.input_shape, seed=3)
    front, _ = net.fold_batchnorm().split(SAMPLE_LR_LAYER)
    qfe = quantize_front_end(front, x)
    acts = forward_all(front, to_input(x))
    by = {q.name: q for q in qfe.layers}
    assert qfe.input_scale == 1 / 255 and qfe.input_zp == 0
    # conv1 + ReLU (BatchNorm folded in): S = max / 255, z = 0
    assert by["conv1"].act == "relu" and by["conv1"].fused == ["conv1", "conv1_relu"]
    assert math.isclose(by["conv1"].out_scale, float(acts["conv1_relu"].max()) / 255, rel_tol=1e-6)
    assert by["conv1"].out_zp == 0
    # dw1 + ReLU6: S = min(max, 6) / 255
    assert by["dw1"].act == "relu6"
    assert math.isclose(by["dw1"].out_scale, min(float(acts["dw1_relu6"].max()), 6.0) / 255, rel_tol=1e-6)
    # pw1 without activation: asymmetric over [min, max] with zero point round(-min / S)
    lo, hi = float(acts["pw1"].min()), float(acts["pw1"].max())
    assert lo < 0 < hi
    s = (hi - lo) / 255
    assert math.isclose(by["pw1"].out_scale, s, rel_tol=1e-6) and by["pw1"].out_zp == int(np.floor(-lo / s + 0.5))
    # pooling, standalone ReLU and flatten keep their input's quantization
    for name in ("pool", "pool_relu", "gpool", "flatten"):
        src = by[by[name].inputs[0]]
        assert (by[name].out_scale, by[name].out_zp) == (src.out_scale, src.out_zp)
    # percentile calibration lowers (never raises) the ReLU output scales
    qp = quantize_front_end(front, x, percentile=99.0)
    ratios = [p.out_scale / q.out_scale for p, q in zip(qp.layers, qfe.layers) if q.act == "relu" and q.kind != "relu"]
    assert max(ratios) <= 1 + 1e-9 and min(ratios) < 0.99


@pytest.mark.parametrize("scheme", ["per_channel", "per_layer"])
def test_report_on_a_random_network(scheme: str) -> None:
    net = sample_network(seed=0)
    x = images(90, net.input_shape, seed=1)
    # calibrated on the evaluation images themselves, so no activation is clipped
    rep, qfe = ptq_report(net, SAMPLE_LR_LAYER, x, x, None, scheme=scheme, lr_bits=[8, 6])
    assert [e.name for e in rep.layers] == [q.name for q in qfe.layers]
    assert rep.samples == 90 and math.isnan(rep.fp32_accuracy)
    for e in rep.layers:
        # 8-bit activations over the calibrated range: 30+ dB is what uniform 8-bit noise gives
        # (S^2/12 against signals spanning ~1/3 of the range); below 25 dB means a bug
        assert e.snr_db > 25, (e.name, e.snr_db)
        # without clipping the error is a few output steps (rounding here plus what earlier
        # layers pass on); 12 steps is a generous bound that a wrong scale or zero point breaks
        assert e.max_abs_err <= 12 * e.out_scale, (e.name, e.max_abs_err / e.out_scale)
    assert rep.top1_agreement >= 0.95
    assert rep.lr_agreement[8] == rep.top1_agreement  # Q = 8 per tensor is the identity on the u8 latent
    json.dumps(rep.as_dict())


def test_unfoldable_batchnorm_and_bias_overflow_name_the_layer() -> None:
    r = np.random.default_rng(0)
    bn = {"gamma": np.ones(3, np.float32), "beta": np.zeros(3, np.float32), "mean": np.zeros(3, np.float32),
          "var": np.ones(3, np.float32)}
    net = Network((4, 4, 3), [Layer("pool", "avgpool", {"kernel": 2}), Layer("bn_after_pool", "batchnorm", params=bn),
                              Layer("flat", "flatten"), Layer("fc", "linear", {"out_features": 2},
                                                               params={"weight": r.standard_normal((2, 12)).astype(np.float32)})])
    with pytest.raises(QlrError, match="bn_after_pool"):
        quantize_front_end(net, images(4, (4, 4, 3)))
    tiny = Network((2, 2, 1), [Layer("flat", "flatten"), Layer("fc", "linear", {"out_features": 2},
                               params={"weight": np.full((2, 4), 1e-7, np.float32), "bias": np.full(2, 100.0, np.float32)})])
    with pytest.raises(QlrError, match="'fc'.*int32"):
        quantize_front_end(tiny, images(4, (2, 2, 1)))


def test_quant_report_cli(tmp_path, capsys) -> None:
    net = sample_network(seed=5)
    model = tmp_path / "m.npz"
    save_network(net, model)
    data = tmp_path / "d.npz"
    r = np.random.default_rng(6)
    save_dataset(data, Dataset(images(80, net.input_shape, 7), r.integers(0, 5, 80)))
    rc = qlr_main(["quant", "report", "--model", str(model), "--data", str(data), "--lr-layer", str(SAMPLE_LR_LAYER),
                   "--calib", "40", "--limit", "80", "--scheme", "per_layer", "--lr-bits", "8,7", "--json", "--quiet"])
    out = capsys.readouterr().out
    assert rc == 0
    rep = json.loads(out)
    assert rep["scheme"] == "per_layer" and rep["samples"] == 80 and len(rep["layers"]) == 9
    assert set(rep["lr_accuracy"]) == {"8", "7"} and 0 <= rep["int8_accuracy"] <= 1
    assert qlr_main(["quant", "report", "--model", str(model), "--data", str(data), "--lr-layer", "30", "--quiet"]) == 1
    assert "no layer has index 30" in capsys.readouterr().err
    assert qlr_main(["quant", "report", "--model", str(model), "--data", str(data), "--lr-layer", "7",
                     "--lr-bits", "9", "--quiet"]) == 1
    assert "--lr-bits" in capsys.readouterr().err


def fashion_net(seed: int = 0) -> Network:
    """A small MobileNet-like network for 28x28 Fashion-MNIST with a residual add and a pool."""
    r = np.random.default_rng(seed)

    def he(shape, fan):
        return (r.standard_normal(shape) * np.sqrt(2 / fan)).astype(np.float32)

    def bn(c):
        return {"gamma": np.ones(c, np.float32), "beta": np.zeros(c, np.float32),
                "mean": np.zeros(c, np.float32), "var": np.ones(c, np.float32)}

    return Network((28, 28, 1), [
        Layer("conv1", "conv2d", {"out_channels": 16, "kernel": 3, "stride": 2, "padding": 1},
              params={"weight": he((16, 3, 3, 1), 9)}, index=0),
        Layer("conv1_bn", "batchnorm", params=bn(16), index=0), Layer("conv1_relu", "relu", index=0),
        Layer("dw1", "dwconv2d", {"kernel": 3, "padding": 1}, params={"weight": he((3, 3, 16), 9)}, index=1),
        Layer("dw1_bn", "batchnorm", params=bn(16), index=1), Layer("dw1_relu6", "relu6", index=1),
        Layer("pw1", "pwconv", {"out_channels": 16}, params={"weight": he((16, 16), 16)}, index=2),
        Layer("pw1_bn", "batchnorm", params=bn(16), index=2),
        Layer("res", "add", inputs=["conv1_relu", "pw1_bn"], index=2), Layer("res_relu", "relu", index=2),
        Layer("pool", "avgpool", {"kernel": 2}, index=3),
        Layer("pw2", "pwconv", {"out_channels": 32}, params={"weight": he((32, 16), 16)}, index=4),
        Layer("pw2_bn", "batchnorm", params=bn(32), index=4), Layer("pw2_relu", "relu", index=4),
        Layer("flatten", "flatten", index=5),
        Layer("fc", "linear", {"out_features": 10}, params={"weight": he((10, 1568), 3136), "bias": np.zeros(10, np.float32)}, index=5),
    ])


@pytest.mark.slow
def test_ptq_keeps_fashion_mnist_accuracy_within_one_point() -> None:
    x, y = load_fashion_mnist("train", limit=6000)
    xt, yt = load_fashion_mnist("test", limit=2000)
    net = fashion_net(seed=0)
    train(net, x, y, TrainConfig(epochs=2, batch_size=32, lr=0.05, seed=0, progress=False))
    lines = []
    for scheme in ("per_channel", "per_layer"):
        for l in (3, 4):
            rep, _ = ptq_report(net, l, x[:500], xt, yt, scheme=scheme, lr_bits=[8, 7, 6])
            lines.append(f"l={l} {scheme}: FP32 {100 * rep.fp32_accuracy:.2f}% int8 {100 * rep.int8_accuracy:.2f}% "
                         f"agreement {100 * rep.top1_agreement:.2f}% U7 LR {100 * rep.lr_accuracy[7]:.2f}% "
                         f"SNR dB {[round(e.snr_db, 1) for e in rep.layers]}")
            assert rep.fp32_accuracy > 0.8  # the network did learn (chance is 0.1)
            assert abs(rep.int8_accuracy - rep.fp32_accuracy) <= 0.01
            assert rep.top1_agreement >= 0.97
            assert min(e.snr_db for e in rep.layers) > 20
            assert abs(rep.lr_accuracy[7] - rep.fp32_accuracy) <= 0.01
    print("\n" + "\n".join(lines))

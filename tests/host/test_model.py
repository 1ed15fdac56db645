"""Network description: MobileNet-V1 indices and shapes, counts, split, BatchNorm folding, npz I/O."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from qlr import golden as G
from qlr.errors import QlrError
from qlr.model import Layer, Network, load_network, mobilenet_v1, run_forward, save_network

# REFERENCE.md, Ravaglia et al. 2021: "LR layer shapes (MobileNet-V1 @128, layers counted as in the
# Latent Replay code): l19 DW 8x8x512, l20 PW 8x8x512, l21 DW 8x8x512, l22 PW 8x8x512, l23 DW 4x4x512,
# l24 PW 4x4x1024, l25 DW 4x4x1024, l26 PW 4x4x1024, l27 linear input 1x1x1024."
REFERENCE_LR_SHAPES = {
    19: ("DW", (8, 8, 512)),
    20: ("PW", (8, 8, 512)),
    21: ("DW", (8, 8, 512)),
    22: ("PW", (8, 8, 512)),
    23: ("DW", (4, 4, 512)),
    24: ("PW", (4, 4, 1024)),
    25: ("DW", (4, 4, 1024)),
    26: ("PW", (4, 4, 1024)),
    27: ("linear input", (1, 1, 1024)),
}
KIND_OF = {"DW": "dwconv2d", "PW": "pwconv"}


@pytest.fixture(scope="module")
def mnv1_128() -> Network:
    return mobilenet_v1(width=1.0, input_size=128, num_classes=1000)


def test_lr_layer_shapes_match_reference_table(mnv1_128):
    for l, (kind, shape) in REFERENCE_LR_SHAPES.items():
        assert mnv1_128.latent_shape(l) == shape, f"l{l}"
        block = [lay for lay in mnv1_128.layers if lay.index == l]
        if kind in KIND_OF:
            assert block[0].kind == KIND_OF[kind], f"l{l} should be a {kind} block"
        else:  # the latent at 27 feeds the linear layer (block 28)
            assert block[-1].kind == "global_avgpool"
            assert any(lay.kind == "linear" for lay in mnv1_128.layers if lay.index == 28)


def test_block_indexing_and_names(mnv1_128):
    assert mnv1_128.indices() == list(range(29))
    firsts = {}
    for lay in mnv1_128.layers:
        firsts.setdefault(lay.index, lay.name)
    assert firsts[0] == "conv1" and firsts[1] == "dw1" and firsts[2] == "pw1"
    assert firsts[25] == "dw13" and firsts[26] == "pw13" and firsts[27] == "pool"
    # BatchNorm and the activation belong to their conv's block
    assert mnv1_128.layer("pw10_bn").index == 20 and mnv1_128.layer("pw10_relu").index == 20
    assert mnv1_128.index_output(20) == "pw10_relu"
    assert mnv1_128.output_shape == (1000,)


def test_parameter_and_mac_totals(mnv1_128):
    # Known totals for MobileNet-V1 1.0 (Howard et al. 2017): 4.2 M parameters and 569 M MACs at
    # 224x224, i.e. 569 * (128/224)^2 = 185.8 M at 128x128. "About" = within 1.5 % here.
    params = mnv1_128.param_count()
    macs = mnv1_128.mac_count()
    assert abs(params - 4.2e6) <= 0.015 * 4.2e6, params
    assert abs(macs - 186e6) <= 0.015 * 186e6, macs
    at224 = mobilenet_v1(1.0, 224, 1000).mac_count()
    assert abs(at224 - 569e6) <= 0.015 * 569e6, at224
    # folding BatchNorm drops gamma/beta (2 per channel) and adds one bias per channel
    folded = mnv1_128.fold_batchnorm()
    bn_channels = sum(lay.params["gamma"].size for lay in mnv1_128.layers if lay.kind == "batchnorm")
    assert folded.param_count() == params - bn_channels
    assert folded.mac_count() == macs


def test_counts_of_a_small_network_by_hand():
    net = Network((5, 5, 3), [
        Layer("c", "conv2d", {"out_channels": 4, "kernel": 3, "stride": 2, "padding": 1},
              params={"weight": np.zeros((4, 3, 3, 3), np.float32), "bias": np.zeros(4, np.float32)}),
        Layer("d", "dwconv2d", {"kernel": (1, 3), "padding": (0, 0, 1, 1)},
              params={"weight": np.zeros((1, 3, 4), np.float32)}),
        Layer("p", "pwconv", {"out_channels": 2}, params={"weight": np.zeros((2, 4), np.float32)}),
        Layer("g", "global_avgpool"),
        Layer("f", "flatten"),
        Layer("fc", "linear", {"out_features": 7}, params={"weight": np.zeros((7, 2), np.float32)}),
    ])
    assert net.shapes == {"c": (3, 3, 4), "d": (3, 3, 4), "p": (3, 3, 2), "g": (1, 1, 2), "f": (2,), "fc": (7,)}
    # conv: 3*3 outputs * 4 ch * 27; dw: 9 * 4 * 3; pw: 9 * 2 * 4; fc: 2 * 7
    assert net.mac_count() == 9 * 4 * 27 + 9 * 4 * 3 + 9 * 2 * 4 + 14
    assert net.param_count() == 108 + 4 + 12 + 8 + 14


@pytest.mark.parametrize("width,size,expect", [
    (0.25, 32, {0: (16, 16, 8), 2: (16, 16, 16), 12: (2, 2, 128), 23: (1, 1, 128), 26: (1, 1, 256)}),
    (0.5, 33, {0: (17, 17, 16), 3: (9, 9, 32), 7: (5, 5, 64), 11: (3, 3, 128), 23: (2, 2, 256)}),
])
def test_other_widths_and_sizes(width, size, expect):
    net = mobilenet_v1(width, size, 10)
    for l, shape in expect.items():
        assert net.latent_shape(l) == shape, f"l{l}"


def _random_bn(net: Network, seed: int) -> None:
    r = np.random.default_rng(seed)
    for lay in net.layers:
        if lay.kind == "batchnorm":
            c = lay.params["gamma"].size
            lay.params.update(gamma=r.uniform(0.5, 1.5, c).astype(np.float32),
                              beta=r.normal(0, 0.2, c).astype(np.float32),
                              mean=r.normal(0, 0.2, c).astype(np.float32),
                              var=r.uniform(0.5, 2, c).astype(np.float32))


def test_split_composes_to_the_whole_network():
    net = mobilenet_v1(0.25, 32, 5, seed=3)
    _random_bn(net, 1)
    x = np.random.default_rng(0).random((4, 32, 32, 3), dtype=np.float32)
    y = run_forward(net, x)
    for l in range(19, 28):
        front, back = net.split(l)
        assert front.output_shape == net.latent_shape(l) == back.input_shape
        assert all(lay.index <= l for lay in front.layers)
        assert all(lay.index > l for lay in back.layers)
        assert back.layers[0].inputs == ["input"]
        np.testing.assert_array_equal(run_forward(back, run_forward(front, x)), y)  # same kernels, same order
    front, back = net.split(27)
    assert [lay.kind for lay in back.layers] == ["flatten", "linear"]
    # split copies parameters: editing the back-end leaves the network untouched
    back.layers[-1].params["weight"][...] = 0
    assert np.any(net.layer("fc").params["weight"] != 0)


def test_split_errors():
    net = mobilenet_v1(0.25, 32, 5)
    with pytest.raises(QlrError, match="index 29"):
        net.split(29)
    with pytest.raises(QlrError, match="back-end would be empty"):
        net.split(28)
    # a residual connection that crosses the split is refused
    w = np.ones((3, 3, 2), np.float32)
    res = Network((4, 4, 2), [
        Layer("a", "dwconv2d", {"kernel": 3, "padding": 1}, params={"weight": w}, index=0),
        Layer("b", "dwconv2d", {"kernel": 3, "padding": 1}, params={"weight": w}, index=1),
        Layer("s", "add", inputs=["a", "b"], index=2),
    ])
    with pytest.raises(QlrError, match="'a'.*only the latent"):
        res.split(1)


def test_fold_batchnorm_preserves_outputs():
    net = mobilenet_v1(0.25, 32, 5, seed=4)
    _random_bn(net, 2)
    folded = net.fold_batchnorm()
    assert not any(lay.kind == "batchnorm" for lay in folded.layers)
    assert all("bias" in lay.params for lay in folded.layers if lay.kind in ("conv2d", "dwconv2d", "pwconv"))
    assert folded.layer("pw3_relu").inputs == ["pw3"]
    x = np.random.default_rng(1).random((3, 32, 32, 3), dtype=np.float32)
    ref, out = run_forward(net, x.astype(np.float64)), run_forward(folded, x.astype(np.float64))
    # float64 through both: folding only reassociates, errors ~1e-12 relative; float32 weights after
    # folding are rounded once (~6e-8 relative each), so allow 1e-5 of the logit scale.
    scale = np.max(np.abs(ref))
    assert np.all(np.abs(out - ref) <= 1e-5 * scale), np.max(np.abs(out - ref)) / scale


def test_fold_depthwise_scales_the_channel_axis():
    # one dw layer, hand-computed: scale s = gamma / sqrt(var + eps) = 2 / sqrt(4) = 1 on channel 0
    # and 3 / sqrt(1) = 3 on channel 1 (eps made negligible by hand: 1e-12)
    w = np.array([[[1.0, 2.0]]], np.float32)  # [1][1][2]
    net = Network((1, 1, 2), [
        Layer("d", "dwconv2d", {"kernel": 1}, params={"weight": w, "bias": np.array([1.0, 1.0], np.float32)}),
        Layer("bn", "batchnorm", {"eps": 1e-12}, params={
            "gamma": np.array([2.0, 3.0], np.float32), "beta": np.array([0.5, -1.0], np.float32),
            "mean": np.array([1.0, 2.0], np.float32), "var": np.array([4.0, 1.0], np.float32)}),
    ])
    f = net.fold_batchnorm()
    np.testing.assert_allclose(f.layer("d").params["weight"].ravel(), [1.0, 6.0], rtol=1e-6)
    # b' = (b - mean) * s + beta = (1 - 1) * 1 + 0.5, (1 - 2) * 3 - 1
    np.testing.assert_allclose(f.layer("d").params["bias"], [0.5, -4.0], rtol=1e-6)


def test_residual_network_forward_equals_kernel_composition():
    r = np.random.default_rng(5)
    wc = r.standard_normal((3, 3, 3, 3)).astype(np.float32)
    wd = r.standard_normal((3, 3, 3)).astype(np.float32)
    net = Network((7, 7, 3), [
        Layer("c", "conv2d", {"out_channels": 3, "kernel": 3, "padding": 1}, params={"weight": wc}),
        Layer("r", "relu6"),
        Layer("d", "dwconv2d", {"kernel": 3, "padding": 1}, params={"weight": wd}),
        Layer("s", "add", inputs=["r", "d"]),
        Layer("p", "avgpool", {"kernel": 2, "stride": 2, "padding": (0, 1, 0, 1)}),
    ])
    assert net.output_shape == (4, 4, 3)
    x = r.random((2, 7, 7, 3), dtype=np.float32)
    a = G.qlr_relu6_f32_fw(G.qlr_conv2d_f32_fw(x, wc, None, 1, 1))
    ref = G.qlr_avgpool_f32_fw(a + G.qlr_dwconv2d_f32_fw(a, wd, None, 1, 1), 2, 2, (0, 1, 0, 1))
    np.testing.assert_array_equal(run_forward(net, x), ref)
    np.testing.assert_array_equal(run_forward(net, x, upto="r"), a)


@pytest.mark.parametrize("build,match", [
    (lambda: Network((4, 4, 2), [Layer("a", "relu"), Layer("a", "relu")]), "'a'.*duplicate"),
    (lambda: Network((4, 4, 2), [Layer("a", "relu", inputs=["zz"])]), "'a'.*input 'zz'"),
    (lambda: Network((4, 4, 2), [Layer("f", "linear", {"out_features": 3},
                                       params={"weight": np.zeros((3, 2), np.float32)})]), "'f'.*flatten"),
    (lambda: Network((4, 4, 2), [Layer("c", "conv2d", {"out_channels": 3, "kernel": 3},
                                       params={"weight": np.zeros((3, 3, 3, 5), np.float32)})]),
     r"'c'.*'weight' has shape \(3, 3, 3, 5\), expected \(3, 3, 3, 2\)"),
    (lambda: Network((4, 4, 2), [Layer("c", "conv2d", {"out_channels": 3, "kernel": 3})]), "'c'.*missing parameter 'weight'"),
    (lambda: Network((4, 4, 2), [Layer("c", "pwconv", {"out_channels": 1},
                                       params={"weight": np.zeros((1, 2), np.int32)})]), "'c'.*floating"),
    (lambda: Network((4, 4, 2), [Layer("c", "pwconv", {"out_channels": 1},
                                       params={"weight": np.full((1, 2), np.nan, np.float32)})]), "'c'.*NaN"),
    (lambda: Network((4, 4, 2), [Layer("p", "avgpool", {"kernel": 5})]), "'p'.*does not fit"),
    (lambda: Network((4, 4, 2), [Layer("r", "relu"), Layer("g", "global_avgpool"),
                                 Layer("s", "add", inputs=["r", "g"])]), "'s'.*shapes differ"),
    (lambda: Layer("x", "conv3d"), "'x'.*unknown kind"),
    (lambda: Layer("x", "relu", {"kernel": 3}), "'x'.*unknown attribute"),
    (lambda: Layer("x", "conv2d", {"out_channels": 2, "kernel": 3, "stride": 0}), "'x'.*stride must be >= 1"),
    (lambda: Layer("input", "relu"), "'input'"),
])
def test_invalid_networks_are_rejected_naming_the_layer(build, match):
    with pytest.raises(QlrError, match=match):
        build()


def test_save_load_roundtrip(tmp_path):
    net = mobilenet_v1(0.25, 32, 5, seed=7)
    _random_bn(net, 3)
    net.meta["note"] = "hello"
    path = tmp_path / "m.npz"
    save_network(net, path)
    back = load_network(path)
    assert [(a.name, a.kind, a.index, a.inputs, a.attrs) for a in back.layers] == \
           [(a.name, a.kind, a.index, a.inputs, a.attrs) for a in net.layers]
    for a, b in zip(net.layers, back.layers):
        assert a.params.keys() == b.params.keys()
        for k in a.params:
            np.testing.assert_array_equal(a.params[k], b.params[k])
            assert a.params[k].dtype == b.params[k].dtype
    assert back.meta["note"] == "hello" and back.meta["arch"] == "mobilenet_v1"
    x = np.random.default_rng(0).random((2, 32, 32, 3), dtype=np.float32)
    np.testing.assert_array_equal(run_forward(back, x), run_forward(net, x))


def _tamper(src, dst, edit_desc=None, edit_arrays=None):
    with np.load(src) as z:
        arrays = {k: z[k] for k in z.files}
    desc = json.loads(str(arrays.pop("__network__")))
    if edit_desc:
        edit_desc(desc)
    if edit_arrays:
        edit_arrays(arrays)
    np.savez(dst, __network__=np.array(json.dumps(desc)), **arrays)


@pytest.mark.parametrize("edit_desc,edit_arrays,match", [
    (lambda d: d.update(version=2), None, "unsupported version 2"),
    (lambda d: d.update(format="other"), None, "field 'format'"),
    (lambda d: d.pop("layers"), None, "missing field 'layers'"),
    (lambda d: d.update(input_shape=[32, -1, 3]), None, "field 'input_shape'"),
    (lambda d: d["layers"][3].update(kind="wat"), None, "layer 'dw1'.*unknown kind"),
    (lambda d: d["layers"][3]["attrs"].update(stride="x"), None, "layer 'dw1'.*stride"),
    (lambda d: d["layers"][3].pop("inputs"), None, "layer 'dw1'.*missing field 'inputs'"),
    (lambda d: d["layers"][3].update(index="3"), None, "layer 'dw1'.*field 'index'"),
    (None, lambda a: a.pop("pw2/weight"), "layer 'pw2'.*'pw2/weight' is missing"),
    (None, lambda a: a.update({"pw2/weight": a["pw2/weight"][:, :3]}), "layer 'pw2'.*'weight' has shape"),
    (None, lambda a: a.update({"ghost/weight": np.zeros(3, np.float32)}), "not described.*ghost/weight"),
    (None, lambda a: a.update({"fc/bias": a["fc/bias"].astype(np.int64)}), "layer 'fc'.*floating"),
])
def test_load_rejects_bad_files_naming_the_field(tmp_path, edit_desc, edit_arrays, match):
    src, dst = tmp_path / "ok.npz", tmp_path / "bad.npz"
    save_network(mobilenet_v1(0.25, 32, 5), src)
    _tamper(src, dst, edit_desc, edit_arrays)
    with pytest.raises(QlrError, match=match) as info:
        load_network(dst)
    assert "bad.npz" in str(info.value)


def test_load_rejects_non_network_files(tmp_path):
    p = tmp_path / "junk.npz"
    p.write_bytes(b"not a zip")
    with pytest.raises(QlrError, match="junk.npz.*not a readable"):
        load_network(p)
    q = tmp_path / "other.npz"
    np.savez(q, a=np.zeros(3))
    with pytest.raises(QlrError, match="other.npz.*__network__"):
        load_network(q)
    with pytest.raises(QlrError, match="missing.npz: no such file"):
        load_network(tmp_path / "missing.npz")


def _qlr(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qlr", *args], capture_output=True, text=True, timeout=120)


def test_cli_model_summary(tmp_path):
    r = _qlr("model", "summary", "--arch", "mobilenet_v1", "--width", "1.0", "--size", "128", "--classes", "1000", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["totals"]["params"] == mobilenet_v1().param_count()
    rows = {row["name"]: row for row in data["layers"]}
    assert rows["dw12"]["index"] == 23 and rows["dw12"]["output_shape"] == [4, 4, 512]
    # pw13 by hand: 4*4 pixels * 1024 * 1024 MACs, 1024*1024 weights
    assert rows["pw13"]["macs"] == 16 * 1024 * 1024 and rows["pw13"]["params"] == 1024 * 1024
    text = _qlr("model", "summary", "--arch", "mobilenet_v1", "--size", "128")
    assert text.returncode == 0 and "4.23 M" in text.stdout and "186.4 M" in text.stdout
    net_path = tmp_path / "n.npz"
    save_network(mobilenet_v1(0.25, 32, 3), net_path)
    fromfile = _qlr("model", "summary", "--model", str(net_path), "--fold")
    assert fromfile.returncode == 0 and "batchnorm" not in fromfile.stdout
    bad = _qlr("model", "summary", "--model", str(tmp_path / "nope.npz"))
    assert bad.returncode == 1 and "nope.npz: no such file" in bad.stderr
    assert "Traceback" not in bad.stderr

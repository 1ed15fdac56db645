"""`qlr learn --check` on every board: the CL firmware's learning events against the golden twin
(same codes, LR slots and RNG state; weights, losses and accuracy within the checker's stated
tolerances), and firmware broken on purpose (replacement policy, dequantization) caught at the
first event where it matters. A tiny seeded network and data set keep it fast: the check does
not need a good model, only the same computation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qlr.cl.record import checkpoint_path
from qlr.cl.state import load_checkpoint
from qlr.cli import main as qlr_main


def learn(tiny, board: str, *extra: str) -> list[str]:
    """`qlr learn` on the tiny network (cl_tiny.py) with --check; extra options last."""
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


@pytest.mark.parametrize("device", ["host", "qemu-rv32"], indirect=True)
def test_diverging_device_stops_with_status_diverged_and_a_finite_checkpoint(device, tiny, capsys, tmp_path):
    """--lr 1e30: the device's losses and weights turn NaN in event 0; the backend rolls the device
    back (and reads its weights back to prove it), the record says diverged, the exit status is 1,
    and the checkpoint is the finite state before the event, which --resume accepts."""
    record = str(tmp_path / "run.json")
    args = [a for a in learn(tiny, device.board, "--lr", "1e30", "--record", record) if a != "--check"]
    assert qlr_main(args) == 1
    err = capsys.readouterr().err
    assert f"event 0 diverged on {device.board}" in err and "is kept" in err, err[-2000:]
    rec = json.load(open(record))
    assert rec["status"] == "diverged" and rec["diverged"]["event"] == 0 and rec["events"] == []
    st, _ = load_checkpoint(checkpoint_path(record))
    assert st.events == 0 and all(np.all(np.isfinite(v)) for v in st.arrays().values() if v.dtype.kind == "f")
    assert qlr_main(args + ["--resume"]) == 1
    err = capsys.readouterr().err
    assert "resuming" in err and "event 0 diverged" in err


@pytest.mark.parametrize("device", ["host"], indirect=True)
def test_noisy_link_session_ends_like_a_clean_one(device, tiny, capsys, tmp_path, monkeypatch):
    """1e-4 of the bytes flipped, dropped or duplicated both ways (qlr.link.faults): requests are
    retried (the firmware answers repeats from its reply cache) and the session's record and
    checkpoint equal a clean run's. The CL commands' progress frames are seen. A 1 s response
    timeout (instead of the board's default) keeps the lost frames' cost low."""
    monkeypatch.setattr("qlr.boards.session.LINK_TIMEOUT_S", 1.0)
    runs = {}
    for name, extra in (("clean", []), ("noisy", ["--link-noise", "1e-4"])):
        record = str(tmp_path / f"{name}.json")
        assert qlr_main(learn(tiny, device.board, "--record", record, *extra)) == 0, capsys.readouterr().err[-2000:]
        capsys.readouterr()
        runs[name] = (json.load(open(record)), load_checkpoint(checkpoint_path(record))[0])
    (clean, a), (noisy, b) = runs["clean"], runs["noisy"]
    assert noisy["status"] == "done" and [e["check"] for e in noisy["events"]] == ["ok", "ok"]
    assert [e["accuracy"] for e in noisy["events"]] == [e["accuracy"] for e in clean["events"]]
    for k, v in a.arrays().items():
        assert np.array_equal(v, b.arrays()[k]), k
    assert noisy["events"][-1]["counters"]["link_retries"] > 0
    assert clean["events"][-1]["counters"]["link_progress"] > 0

"""`qlr learn --check` on every board: the CL firmware's learning events against the golden twin
(same codes, LR slots and RNG state; weights, losses and accuracy within the checker's stated
tolerances), and firmware broken on purpose (replacement policy, dequantization) caught at the
first event where it matters. A tiny seeded network and data set keep it fast: the check does
not need a good model, only the same computation."""

from __future__ import annotations

import json

import pytest

from cl_tiny import tiny  # noqa: F401 (a fixture)
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

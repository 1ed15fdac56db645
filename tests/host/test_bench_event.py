"""`qlr bench --event`: one learning event's cost by phase from a run record (qlr.bench.event)."""

from __future__ import annotations

import json

import pytest

from qlr.bench.event import PHASES, event_cost, table
from qlr.cl.device.backend import PHASES as COUNTER_KEYS
from qlr.cli import main
from qlr.errors import QlrError


def record(board="pulp-open", unit="cycles", width=0.25, size=32, lr_layer=27, n_lr=300, epochs=4):
    # the device backend's keys, as a device run records them
    counters = {"unit": unit, **dict(zip(COUNTER_KEYS, (3_750_000, 40_000, 1_200_000, 2_400_000, 160_000))),
                "cores": 8, "micro_batches": 12,
                "lr_rows_l3_bytes": 38_400, "data_l3_bytes": 0, "params_l3_to_l2_bytes": 10,
                "params_l2_to_l3_bytes": 0}
    return {"format": "qlr-cl-run/1", "board": board,
            "run": {"cl": {"lr_layer": lr_layer, "n_lr": n_lr, "q_lr": 8, "mb": 32, "epochs": epochs}},
            "model": {"network": {"width": width, "input_shape": [size, size, 1]}},
            "events": [{"event": 0, "n_new": 25, "iterations": 3, "counters": counters}]}


def test_costs_per_phase_per_unit_and_at_the_papers_clock():
    c = event_cost(record())
    assert c.total == 3_750_000 + 40_000 + 1_200_000 + 2_400_000 + 160_000
    assert c.iterations == 3 * 4  # mini-batches per epoch x epochs
    assert c.per_unit("front-end") == (3_750_000 / 25, "image")
    assert c.per_unit("backward") == (2_400_000 / 12, "mini-batch")
    assert c.seconds(375_000_000) == pytest.approx(1.0)  # cycles at VEGA's 375 MHz
    d = c.as_dict()
    assert sum(p["share"] for p in d["phases"].values()) == pytest.approx(1.0)
    assert not d["paper_config"] and d["paper"]["vega_trainable_s"] == 2.07
    assert event_cost(record(board="qemu-m4", unit="instructions")).seconds(80_000_000) == pytest.approx(1.0)
    assert event_cost(record(board="qemu-rv32", unit="instructions")).seconds(80_000_000) is None
    assert event_cost(record(width=1.0, size=128, n_lr=1500, lr_layer=23)).is_paper_config()
    text = table(c)
    assert all(p in text for p in PHASES) and "another configuration" in text


def test_bad_records_are_named():
    r = record()
    r["events"][0]["counters"].pop(COUNTER_KEYS[3])
    with pytest.raises(QlrError, match="no per-phase counters"):
        event_cost(r, path="run.json")
    with pytest.raises(QlrError, match="no event 3"):
        event_cost(record(), 3)
    with pytest.raises(QlrError, match="not a qlr run record"):
        event_cost({"format": "other"})
    with pytest.raises(QlrError, match="epochs"):
        event_cost(record(epochs=0))


def test_cli_prints_the_table_and_json(tmp_path, capsys):
    p = tmp_path / "run.json"
    p.write_text(json.dumps(record()))
    assert main(["bench", "--event", str(p)]) == 0
    out = capsys.readouterr().out
    assert "front-end" in out and "150,000 / image" in out
    assert main(["bench", "--event", str(p), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["total"]["counter"] == 7_550_000 and d["iterations"] == 12
    (tmp_path / "bad.json").write_text("{")
    assert main(["bench", "--event", str(tmp_path / "bad.json")]) != 0
    assert "not JSON" in capsys.readouterr().err

"""Boards through labgrid: the self-test with `qlr run --labgrid` and a short `qlr learn --check`
on qemu-rv32, both started by labgrid's QEMUDriver from boards/labgrid/qemu-rv32.yaml (its console
protocol carries the link). Skipped where labgrid is not installed (it is an optional extra that
replaces pyserial with its fork; docs/distributed.md)."""

from __future__ import annotations

import importlib.util
import json

import pytest

from qlr import REPO_ROOT
from qlr.boards.build import build
from qlr.cli import main as qlr_main

pytestmark = pytest.mark.skipif(importlib.util.find_spec("labgrid") is None,
                                reason="labgrid is not installed (pip install 'qlr[labgrid]', in a virtual environment)")
ENV = str(REPO_ROOT / "boards" / "labgrid" / "qemu-rv32.yaml")


def test_selftest_through_labgrid(capsys):
    elf = build("qemu-rv32") / "selftest.elf"
    rc = qlr_main(["run", "--board", "qemu-rv32", "--labgrid", ENV, "--json", str(elf)])
    rec = json.loads(capsys.readouterr().out)
    assert rc == 0, rec
    assert rec["ok"] and rec["status"] == 0 and rec["summary"]["failed"] == 0 and rec["summary"]["passed"] >= 10


def test_a_failing_firmware_fails_through_labgrid(capsys):
    elf = build("qemu-rv32", fault="barrier") / "selftest.elf"
    rc = qlr_main(["run", "--board", "qemu-rv32", "--labgrid", ENV, "--json", "--timeout", "120", str(elf)])
    rec = json.loads(capsys.readouterr().out)
    assert rc != 0 and not rec["ok"]


def test_learn_check_through_labgrid(tiny, capsys):
    model, data = tiny
    rc = qlr_main(["learn", "--board", "qemu-rv32", "--labgrid", ENV, "--model", model, "--data", data,
                   "--n-initial", "120", "--events", "2", "--event-size", "12", "--test-per-class", "4", "--n-lr", "16",
                   "--mb", "8", "--epochs", "2", "--lr-layer", "27", "--lr", "0.05", "--check", "--quiet", "--json"])
    out = capsys.readouterr()
    assert rc == 0, out.err[-2000:]
    rec = json.loads(out.out)
    assert rec["status"] == "done" and [e["check"] for e in rec["events"]] == ["ok", "ok"]
    assert rec["events"][-1]["counters"]["counter_total"] > 0

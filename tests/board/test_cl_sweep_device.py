"""`qlr experiment --board`: the replay configurations as learning sessions on the board's CL
firmware, run as tasks of a local Dask cluster (two emulators at once, each with its own folder
and link socket), checked against the golden twin and giving the golden sweep's accuracies; and
the runner itself starting two QEMU instances side by side."""

from __future__ import annotations

import json
import os

import pytest

from qlr.boards.build import build
from qlr.boards.runner import start
from qlr.cli import main as qlr_main
from qlr.link import open_device_link
from qlr.sweep.engine import have_dask


def sweep(tiny, out, *extra: str) -> list[str]:
    model, data = tiny
    return ["experiment", "--model", model, "--data", data, "--n-initial", "120", "--events", "2", "--event-size",
            "12", "--test-per-class", "4", "--n-lr", "16", "--q-lr", "8,4", "--seeds", "2", "--mb", "8", "--epochs",
            "2", "--lr-layers", "27", "--lr", "0.05", "--baselines", "none", "--quiet", "--json", "--out", str(out),
            *extra]


@pytest.mark.skipif(not have_dask() and not os.environ.get("CI"), reason="Dask distributed is not installed")
@pytest.mark.slow  # four learning sessions on QEMU, two at a time
def test_device_runs_in_parallel_match_the_golden_sweep(tiny, tmp_path, capsys):
    assert qlr_main(sweep(tiny, tmp_path / "golden.json", "--workers", "0")) == 0
    rc = qlr_main(sweep(tiny, tmp_path / "dev.json", "--board", "qemu-rv32", "--check", "--workers", "2"))
    cap = capsys.readouterr()
    assert rc == 0, cap.err[-2000:]
    golden = json.load(open(tmp_path / "golden.json"))["runs"]
    dev = json.load(open(tmp_path / "dev.json"))
    assert dev["engine"] == {"name": "dask", "workers": 2}
    assert [r["board"] for r in dev["runs"]] == ["qemu-rv32"] * 4 and all(r["checked"] for r in dev["runs"])
    assert all(c > 0 for r in dev["runs"] for c in r["device_counter_per_event"])
    # the device's events are the golden twin's (--check), so the sweep's accuracies are the golden sweep's
    assert [(r["seed"], r["q_lr"], r["accuracy"]) for r in dev["runs"]] == \
        [(r["seed"], r["q_lr"], r["accuracy"]) for r in golden]


def test_fp32_is_refused_for_device_runs(tiny, tmp_path, capsys):
    args = sweep(tiny, tmp_path / "x.json", "--board", "qemu-rv32", "--workers", "0")
    args[args.index("8,4")] = "fp32,8"
    assert qlr_main(args) == 1
    assert "--q-lr fp32 runs on the golden model only" in capsys.readouterr().err


def test_two_emulators_run_side_by_side_each_with_its_own_socket():
    elf = build("qemu-rv32") / "server.elf"
    a = start("qemu-rv32", elf, link=True)
    b = start("qemu-rv32", elf, link=True)
    try:
        assert a.link_url != b.link_url and a.link_url.startswith("unix://")
        with open_device_link(a, timeout=10.0) as la, open_device_link(b, timeout=10.0) as lb:
            la.mem_write("L2", 0, b"first")
            lb.mem_write("L2", 0, b"other")
            assert la.mem_read("L2", 0, 5) == b"first" and lb.mem_read("L2", 0, 5) == b"other"
            la.exit(0)
            lb.exit(0)
        assert a.wait(20).status == 0 and b.wait(20).status == 0
    finally:
        a.close()
        b.close()
    assert not os.path.exists(a.link_url[len("unix://"):])  # the run's folder is removed

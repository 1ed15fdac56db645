"""The runtime self-test on every board that runs here, and proof that it catches a broken
runtime: a barrier that does not wait, a copy that drops a byte, L3 reads that lose their tail."""

from __future__ import annotations

import pytest
from conftest import gvsoc_for_tests

from qlr.boards.build import build
from qlr.boards.runner import Summary, run


def test_selftest_passes_with_every_core(device):
    res = device.run("selftest")
    assert res.ok, res.error + "\n" + "\n".join(res.output)
    s = res.summary
    assert s.program == "qlr-selftest" and s.failed == 0 and s.passed >= 10
    # Every worker core of the board ran (8 on the cluster boards).
    assert s.fields["cores"] == f"{device.team_max}/{device.team_max}"
    assert int(s.fields[next(k for k in s.fields if k != "cores")]) > 0  # the counter advanced


@pytest.mark.parametrize("device", ["qemu-rv32"], indirect=True)
@pytest.mark.parametrize("cores", [1, 3, 8])
def test_selftest_on_fewer_harts(device, cores):
    """-smp chooses the team size at run time (the firmware reads the device tree)."""
    res = device.run("selftest", cores=cores)
    assert res.ok, res.error
    assert res.summary.fields["cores"] == f"{cores}/{cores}"


@pytest.mark.parametrize("device", ["qemu-rv32", "qemu-m4"], indirect=True)
def test_instruction_count_is_deterministic(device):
    """Under -icount the counter is exact: two runs report the same count."""
    a = device.run("selftest", cores=2 if device.team_max > 1 else None)
    b = device.run("selftest", cores=2 if device.team_max > 1 else None)
    assert a.ok and b.ok
    assert a.summary.fields["instructions"] == b.summary.fields["instructions"]


FAULTS = [
    # (fault, board, tests that must fail)
    ("barrier", "host", {"barrier"}),
    ("barrier", "qemu-rv32", {"barrier"}),
    ("copy", "host", {"copy_1d", "copy_2d", "copy_team", "l3"}),
    ("copy", "qemu-rv32", {"copy_1d", "copy_2d", "copy_team", "l3"}),
    ("copy", "qemu-m4", {"copy_1d", "copy_2d", "copy_team", "l3"}),
    ("barrier", "pulp-open", {"barrier"}),
    # pulp-open's L3 is the uDMA's HyperRAM, not CPU copies: fault=copy leaves it alone,
    # fault=l3 (reads lose their last word) breaks it, for the controller and the cores alike.
    ("copy", "pulp-open", {"copy_1d", "copy_2d", "copy_team"}),
    ("l3", "pulp-open", {"l3", "l3_large", "l3_team"}),
    ("l3", "qemu-rv32", {"l3", "l3_large", "l3_team"}),
]


@pytest.mark.parametrize("fault,board,must_fail", FAULTS)
def test_selftest_catches_a_broken_runtime(fault, board, must_fail):
    gvsoc = gvsoc_for_tests() if board == "pulp-open" else None
    out = build(board, fault=fault)
    res = run(board, out / "selftest.elf", timeout=120, gvsoc=gvsoc)
    assert not res.ok, f"a runtime with fault '{fault}' passed the self-test on {board}"
    assert res.status == 1
    failed = {l.split()[1] for l in res.output if l.startswith("FAIL ")}
    assert must_fail <= failed, f"expected {must_fail} to fail, got {failed}"
    assert res.summary is not None and res.summary.failed == len(failed)


def test_summary_parser():
    s = Summary.parse("qlr-selftest: 7 passed, 2 failed, cores 8/8, 12345 instructions")
    assert (s.program, s.passed, s.failed) == ("qlr-selftest", 7, 2)
    assert s.fields == {"cores": "8/8", "instructions": "12345"}
    assert Summary.parse("selftest: 7 passed") is None
    assert Summary.parse("qlr-selftest: x passed, 0 failed") is None

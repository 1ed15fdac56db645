"""The kernel contract (firmware/include/qlr/kernel.h) on every board, through kcheck.elf
(firmware/app/kcheck/): a shape beyond QLR_MAX_ELEMS gets QLR_E_SIZE from every kernel on every
core and writes nothing; every kernel's output is complete on every core when it returns. And
proof that the barrier check can fail: with a runtime whose barrier does not wait
(`scons fault=barrier`), the kernels' final barriers do nothing and the check catches it."""

from __future__ import annotations

import pytest

from qlr.boards.build import build
from qlr.boards.runner import GVSOC_HELP, find_gvsoc, run

CHECKS = {"sizes_int8", "sizes_f32", "barrier_int8", "barrier_f32", "barrier_tiled"}


def test_kernels_keep_the_contract(device):
    res = device.run("kcheck", timeout=300)
    assert res.ok, res.error + "\n" + "\n".join(res.output)
    s = res.summary
    assert s is not None and s.program == "qlr-kcheck" and (s.passed, s.failed) == (len(CHECKS), 0)
    assert {l.split()[1] for l in res.output if l.startswith("ok ")} == CHECKS
    assert s.fields["cores"] == str(device.team_max)


@pytest.mark.parametrize("board", ["host", "qemu-rv32", "pulp-open"])
def test_the_barrier_check_catches_a_barrier_that_does_not_wait(board):
    gvsoc = find_gvsoc() if board == "pulp-open" else None
    if board == "pulp-open" and gvsoc is None:
        pytest.skip(GVSOC_HELP)
    res = run(board, build(board, fault="barrier") / "kcheck.elf", timeout=300, gvsoc=gvsoc)
    # fails (status 1), or crashes in a later check: a tiled executor without barriers may read its
    # plan before it is written; the barrier checks that ran first have failed either way
    assert not res.ok and res.status != 0, "\n".join(res.output)
    failed = {l.split()[1] for l in res.output if l.startswith("FAIL ")}
    assert {"barrier_int8", "barrier_f32"} <= failed, failed
    assert not failed & {"sizes_int8", "sizes_f32"}  # the size checks need no barrier

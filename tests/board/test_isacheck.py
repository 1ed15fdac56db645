"""The Xpulpv2 intrinsics (firmware/include/qlr/pulp/) on GVSoC's pulp-open cluster cores against
their C meaning, through isacheck.elf (firmware/app/isacheck/): SIMD dot products, post-increment
loads and stores, hardware loops, MAC and clips, on every core. And proof that the checks can
fail: `scons fault=xpulp` encodes pv.sdotusp.b as pv.sdotsp.b and ends hardware loops one
instruction early."""

from __future__ import annotations

import pytest
from conftest import gvsoc_for_tests

from qlr.boards.build import build
from qlr.boards.runner import run

CHECKS = {"vect", "postmod", "hwloop", "mac"}


@pytest.mark.parametrize("device", ["pulp-open"], indirect=True)
def test_xpulp_intrinsics_match_their_c_meaning(device):
    res = device.run("isacheck", timeout=300)
    assert res.ok, res.error + "\n" + "\n".join(res.output)
    s = res.summary
    assert s is not None and s.program == "qlr-isacheck" and (s.passed, s.failed) == (len(CHECKS), 0)
    assert {l.split()[1] for l in res.output if l.startswith("ok ")} == CHECKS
    assert s.fields["cores"] == str(device.team_max)


def test_isacheck_catches_a_wrong_encoding():
    gvsoc = gvsoc_for_tests()
    res = run("pulp-open", build("pulp-open", fault="xpulp", targets=("isacheck",)) / "isacheck.elf",
              timeout=300, gvsoc=gvsoc)
    assert not res.ok and res.status == 1, "\n".join(res.output)
    failed = {l.split()[1] for l in res.output if l.startswith("FAIL ")}
    assert failed == {"vect", "hwloop"}, failed

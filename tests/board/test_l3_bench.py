"""`qlr bench --l3` on every board: L3_BENCH moves the bytes it times (checked through MEM_READ
and MEM_WRITE), the figures are positive, and bad requests are refused."""

from __future__ import annotations

import math
import random

import pytest

from qlr.bench.l3 import run_l3_bench, table
from qlr.errors import QlrError
from qlr.kernels.run import DeviceKernels


def test_l3_bench_moves_the_bytes_it_times(device):
    with device.session("server") as s:
        link = s.link
        k = DeviceKernels(link)
        l3_window = link.info()["l3_window"]
        # 40000 bytes cross pulp-open's 32 KiB uDMA pieces; odd offsets and sizes take its bounce path.
        for n, l2_off, l3_off in ((40000, 0, 4096), (3001, 65, 70001), (64, 128, l3_window - 64)):
            data = random.Random(n).randbytes(n)
            link.mem_write("L2", l2_off, data)
            assert k.l3_transfer(write=True, l2_offset=l2_off, l3_offset=l3_off, nbytes=n) > 0
            assert link.mem_read("L3", l3_off, n) == data, f"L3_BENCH write of {n} bytes"
            link.mem_write("L2", l2_off, bytes(n))
            assert k.l3_transfer(write=False, l2_offset=l2_off, l3_offset=l3_off, nbytes=n, repeats=3,
                                 queued=True) > 0
            assert link.mem_read("L2", l2_off, n) == data, f"L3_BENCH read of {n} bytes"
        with pytest.raises(QlrError, match="outside the L2 or L3 window"):
            k.l3_transfer(write=False, l2_offset=0, l3_offset=l3_window - 3, nbytes=4)
        with pytest.raises(QlrError, match="repeats"):
            k.l3_transfer(write=False, l2_offset=0, l3_offset=0, nbytes=4, repeats=0)

        rep = run_l3_bench(k, sizes=(64, 4096))
        assert [r.nbytes for r in rep.rows] == [64, 4096]
        for r in rep.rows:
            for v in (r.read, r.write, r.read_queued, r.write_queued):
                assert math.isfinite(v) and v > 0
        assert "4 KiB" in table(rep) and table(rep, markdown=True).startswith("| size |")

"""qlr.bench.run against a fake command server: inputs are filled once per slice, every core count
runs on every slice, counters and MACs are summed over the slices, speedups are taken against one
core, and a layer that cannot fit even in slices is reported as skipped, not dropped."""

from __future__ import annotations

import struct
from types import SimpleNamespace
from typing import cast

from qlr.bench import layers as L
from qlr.bench.run import run_bench
from qlr.kernels.registry import get_op
from qlr.kernels.run import KERNEL_RUN, DeviceKernels
from qlr.link import Link


class FakeKernels(DeviceKernels):
    """DeviceKernels on a fake link: decodes KERNEL_RUN requests and answers with the spec's MACs
    and a counter of macs // cores + 100; counts MEM_FILLs."""

    def __init__(self, l2_size: int) -> None:  # no link.info(): the fields are set here

        self.board, self.unit, self.team_max, self.l2_size, self.timeout = "fake", "cycles", 8, l2_size, 1.0
        self.fills: list[tuple[int, int]] = []
        self.runs: list[tuple[str, dict, int]] = []
        self.link = cast(Link, SimpleNamespace(request=self._request))  # only request() is used

    def fill(self, offset: int, nbytes: int, seed: int, kind: str) -> None:
        self.fills.append((offset, nbytes))

    def _request(self, cmd: int, payload: bytes, **_: object) -> SimpleNamespace:
        assert cmd == KERNEL_RUN.code
        name_len, cores, nparam, _ntensor = payload[:4]
        name = payload[4:4 + name_len].decode()
        at = 4 + (name_len + 3) // 4 * 4
        values = struct.unpack_from(f"<{nparam}i", payload, at)
        spec = get_op(name)
        params = dict(zip((p.name for p in spec.params), values))
        macs = spec.mac_count(params)
        self.runs.append((name, params, cores))
        return SimpleNamespace(payload=struct.pack("<IQQ", 0, macs // cores + 100, macs))


def layer(index: int) -> L.BenchLayer:
    return next(b for b in L.paper_layers() if b.index == index)


def test_slices_are_summed_and_speedups_taken_against_one_core():
    k = FakeKernels(l2_size=800_000)  # the 1.25 MiB pointwise layer needs 2 slices
    rep = run_bench(k, [(layer(20), "fw")], [1, 2, 8], dma=False, l1_size=60_000)
    assert rep.skipped == []
    assert [(m.cores, m.slices) for m in rep.results] == [(1, 2), (2, 2), (8, 2)]
    full = get_op("pwconv_f32_fw").mac_count({**layer(20).op_params("fw")})
    for m in rep.results:
        assert m.macs == m.expected_macs == full
        assert m.counter == 2 * (full // 2 // m.cores + 100)  # two equal slices
        assert m.note == "2 slices of cout (L2 window)"
    assert rep.results[0].speedup == 1.0
    assert rep.results[2].speedup == rep.results[0].counter / rep.results[2].counter
    assert len(k.runs) == 2 * 3 and sorted({r[1]["cout"] for r in k.runs}) == [256]
    assert len(k.fills) == 2 * 3  # x, w, b filled once per slice (y is an output)


def test_tiled_op_chosen_with_dma_and_unfittable_layer_skipped():
    k = FakeKernels(l2_size=1 << 22)
    rep = run_bench(k, [(layer(28), "bw_weight"), (layer(19), "bw_input")], [1], dma=True, l1_size=60_000)
    assert [(m.op, m.variant) for m in rep.results] == [("linear_f32_bw_weight_tiled", "tiled"),
                                                       ("dwconv2d_f32_bw_input", "plain")]
    assert "no tiled op" in rep.results[1].note
    small = FakeKernels(l2_size=4096)
    rep = run_bench(small, [(layer(22), "fw")], [1, 2], dma=True, l1_size=60_000)
    assert rep.results == [] and len(rep.skipped) == 1
    assert rep.skipped[0].op == "pwconv_f32_fw_tiled" and "window holds not even 1/16" in rep.skipped[0].reason
    assert small.runs == []

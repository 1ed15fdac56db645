"""Measuring the bench layers on a running command server.

For each (layer, pass): choose the op (the tiled op where the board copies L2 -> L1 with a DMA
and the tensors do not fit its free L1; the untiled f32 op otherwise), fill its inputs on the
device once (MEM_FILL: no tensor crosses the link), then run it at every core count and read
back the counter (cycles, or instructions under QEMU) and the MACs the device reports.

A layer whose tensors do not fit the board's L2 window is run in S equal slices along one
dimension that leaves every slice a layer of the same kind (output channels for fw and
bw_weight, input channels for bw_input, channels of a depthwise layer): counters and MACs are
summed over the slices and the row says "S slices". When even 16 slices do not fit, the pass is
skipped with the reason. Nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from qlr.bench.layers import BenchLayer
from qlr.errors import QlrError
from qlr.kernels.registry import get_op
from qlr.kernels.run import DeviceKernels, layout
from qlr.kernels.spec import OpSpec, Params

MAX_SLICES = 16

# The dimension a pass is sliced along (every slice is again a layer of the same kind).
SLICE_DIM = {
    "pwconv_f32_fw": "cout", "pwconv_f32_bw_input": "cin", "pwconv_f32_bw_weight": "cout",
    "linear_f32_fw": "out_features", "linear_f32_bw_input": "in_features", "linear_f32_bw_weight": "out_features",
    "dwconv2d_f32_fw": "c", "dwconv2d_f32_bw_input": "c", "dwconv2d_f32_bw_weight": "c",
}


@dataclass
class Measurement:
    """One (layer, pass, core count)."""

    layer: int
    name: str
    shape: str
    pass_: str
    op: str
    variant: str                 # "tiled" or "plain"
    cores: int
    macs: int                    # as the device reported (summed over slices)
    expected_macs: int           # from the op spec (the analytical count)
    counter: int                 # summed over slices
    unit: str
    slices: int = 1
    note: str = ""
    speedup: float = float("nan")  # counter at 1 core / counter here

    @property
    def macs_per_unit(self) -> float:
        return self.macs / self.counter if self.counter else float("nan")

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["pass"] = d.pop("pass_")
        d["macs_per_unit"] = self.macs_per_unit
        return d


@dataclass
class Skipped:
    layer: int
    name: str
    shape: str
    pass_: str
    op: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["pass"] = d.pop("pass_")
        return d


@dataclass
class BenchReport:
    board: str
    unit: str
    team_max: int
    cores: list[int]
    l1_size: int
    l2_window: int
    dma: bool
    results: list[Measurement] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"board": self.board, "unit": self.unit, "team_max": self.team_max, "cores": self.cores,
                "l1_size": self.l1_size, "l2_window": self.l2_window, "dma": self.dma, **self.meta,
                "results": [m.to_json() for m in self.results], "skipped": [s.to_json() for s in self.skipped]}


def tensor_bytes(spec: OpSpec, params: Params) -> int:
    """Bytes of all the op's tensors (what must sit in L2, or in L1 untiled)."""
    lay = layout(spec, params)
    return sum(lay.sizes.values())


def choose_op(layer: BenchLayer, pass_: str, *, dma: bool, l1_size: int) -> tuple[OpSpec, str, str]:
    """(spec, variant, note) for a pass on a board: tiled where the board has a DMA, a tiled op
    exists and the tensors do not fit the free L1."""
    base = get_op(layer.op(pass_))
    params = layer.params_for(base, pass_)
    big = tensor_bytes(base, params) > l1_size
    if dma and big:
        try:
            return get_op(f"{base.name}_tiled"), "tiled", ""
        except QlrError:
            return base, "plain", "no tiled op: tensors read from L2"
    return base, "plain", ""


def slices_for(spec: OpSpec, params: Params, l2_window: int) -> list[Params] | str:
    """The parameter sets of the slices that fit the L2 window (one set when the layer fits), or
    the reason none does."""
    dim = SLICE_DIM[spec.name.removesuffix("_tiled")]
    total = params[dim]
    for s in (1, 2, 4, 8, MAX_SLICES):
        if s > total:
            break
        sizes = [total // s + (1 if i < total % s else 0) for i in range(s)]
        parts = [{**params, dim: size} for size in sizes]
        if not l2_window or all(layout(spec, p).total <= l2_window for p in parts):
            return parts
    need = layout(spec, params).total
    return (f"tensors need {need} bytes of L2 and the {l2_window}-byte window holds not even 1/{MAX_SLICES} "
            f"of {dim}")


def plan(layers: Iterable[BenchLayer], passes: Iterable[str]) -> list[tuple[BenchLayer, str]]:
    return [(lay, p) for lay in layers for p in passes]


def run_bench(k: DeviceKernels, work: list[tuple[BenchLayer, str]], cores: list[int], *, dma: bool, l1_size: int,
              seed: int = 1, progress: Callable[[str], None] | None = None) -> BenchReport:
    """Measures every (layer, pass) of `work` at every core count; `progress(label)` is called
    once per kernel run."""
    rep = BenchReport(board=k.board, unit=k.unit, team_max=k.team_max, cores=list(cores), l1_size=l1_size,
                      l2_window=k.l2_size, dma=dma)
    for layer, pass_ in work:
        spec, variant, note = choose_op(layer, pass_, dma=dma, l1_size=l1_size)
        params = layer.params_for(spec, pass_)
        parts = slices_for(spec, params, k.l2_size)
        if isinstance(parts, str):
            rep.skipped.append(Skipped(layer.index, layer.name, layer.describe(), pass_, spec.name, parts))
            if progress:
                for _ in cores:
                    progress(f"l{layer.index} {pass_} skipped")
            continue
        counters = dict.fromkeys(cores, 0)
        macs = dict.fromkeys(cores, 0)
        for i, part in enumerate(parts):
            k.fill_inputs(spec, part, seed + 7919 * i)
            for c in cores:
                if progress:
                    progress(f"l{layer.index} {pass_} x{c}" + (f" slice {i + 1}/{len(parts)}" if len(parts) > 1 else ""))
                cnt, mac = k.run_in_place(spec, part, cores=c)
                counters[c] += cnt
                macs[c] += mac
        notes = [n for n in (note, f"{len(parts)} slices of {SLICE_DIM[spec.name.removesuffix('_tiled')]} "
                             "(L2 window)" if len(parts) > 1 else "") if n]
        base = counters[cores[0]] if cores[0] == 1 else None
        for c in cores:
            m = Measurement(layer.index, layer.name, layer.describe(), pass_, spec.name, variant, c, macs[c],
                            spec.mac_count(params), counters[c], k.unit, len(parts), "; ".join(notes))
            if base and counters[c]:
                m.speedup = base / counters[c]
            rep.results.append(m)
    return rep

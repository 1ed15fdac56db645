"""Bench output: the text table, JSON and the optional plot (matplotlib)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from qlr.bench.run import BenchReport, Measurement, Skipped
from qlr.plotting import pyplot

PASS_SHORT = {"fw": "FW", "bw_input": "BW-input", "bw_weight": "BW-weight"}


def _unit_short(unit: str) -> str:
    return {"cycles": "cycle", "instructions": "instr", "ns": "ns"}.get(unit, unit)


def _clean(v: object) -> object:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_clean(x) for x in v]
    return v


def to_json(rep: BenchReport) -> str:
    """Strict JSON (NaN speedups, when 1 core was not measured, become null)."""
    return json.dumps(_clean(rep.to_json()), indent=2)


def rows(rep: BenchReport) -> dict[tuple[int, str], dict[int, Measurement]]:
    out: dict[tuple[int, str], dict[int, Measurement]] = {}
    for m in rep.results:
        out.setdefault((m.layer, m.pass_), {})[m.cores] = m
    return out


def table(rep: BenchReport, markdown: bool = False) -> str:
    """One row per (layer, pass): MAC per counter unit at every core count, the counter and the
    speedup at the largest team. markdown=True: a GitHub table (for docs/performance.md)."""
    u = _unit_short(rep.unit)
    cmax = max(rep.cores)
    head = (["layer", "shape", "pass", "op", "MACs"] + [f"MAC/{u} x{c}" for c in rep.cores]
            + [f"{rep.unit} x{cmax}", f"speedup x{cmax}", "note"])
    body: list[list[str]] = []
    for (layer, pass_), by_c in rows(rep).items():
        m0 = next(iter(by_c.values()))
        top = by_c.get(cmax)
        body.append([f"l{layer} {m0.name}", m0.shape, PASS_SHORT[pass_], f"{m0.op} ({m0.variant})", str(m0.macs)]
                    + [f"{by_c[c].macs_per_unit:.3f}" if c in by_c else "-" for c in rep.cores]
                    + [str(top.counter) if top else "-",
                       f"{top.speedup:.2f}" if top and math.isfinite(top.speedup) else "-", m0.note])
    for s in rep.skipped:
        body.append([f"l{s.layer} {s.name}", s.shape, PASS_SHORT[s.pass_], s.op, "-"] + ["-"] * len(rep.cores)
                    + ["-", "-", f"skipped: {s.reason}"])
    if markdown:
        def md(r: list[str]) -> str:
            return "| " + " | ".join(c.replace("|", "/") for c in r) + " |"

        return "\n".join([md(head), md(["---"] * len(head))] + [md(r) for r in body])
    widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]

    def fmt(r: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()

    lines = [fmt(head), fmt(["-" * w for w in widths])] + [fmt(r) for r in body]
    return "\n".join(lines)


def from_json(d: dict[str, Any]) -> BenchReport:
    """A report back from its JSON (to re-print or plot a saved run)."""
    keys = ("board", "unit", "team_max", "cores", "l1_size", "l2_window", "dma")
    rep = BenchReport(**{k: d[k] for k in keys})
    rep.meta = {k: v for k, v in d.items() if k not in keys + ("results", "skipped")}
    for r in d["results"]:
        r = dict(r)
        r["pass_"] = r.pop("pass")
        r.pop("macs_per_unit", None)
        r["speedup"] = float("nan") if r.get("speedup") is None else r["speedup"]
        rep.results.append(Measurement(**r))
    for s in d["skipped"]:
        s = dict(s)
        s["pass_"] = s.pop("pass")
        rep.skipped.append(Skipped(**s))
    return rep


def require_matplotlib() -> None:
    """QlrError now if a plot could not be drawn later (before minutes of measuring)."""
    pyplot()


def header(rep: BenchReport) -> str:
    how = ("tiled ops (L1 tiles, DMA double buffering) where the tensors do not fit the free L1"
           if rep.dma else "untiled ops, tensors in L2 (the board has no DMA)")
    line = (f"qlr bench on {rep.board}: counter = {rep.unit}, cores {', '.join(map(str, rep.cores))} "
            f"(team of {rep.team_max}); free L1 {rep.l1_size} B, L2 window {rep.l2_window} B; {how}")
    if rep.unit == "instructions" and max(rep.cores) > 1:
        line += ("\n(QEMU -icount counts the instructions of all harts together: 'speedup' is the ratio of total "
                 "instructions, 1.00 = no instructions added by the parallel split; it is not a time ratio)")
    return line


def plot(rep: BenchReport, path: str | Path) -> None:
    """Two panels: MAC per counter unit at the largest team per layer and pass, and the parallel
    speedup against the core count."""
    plt = pyplot()
    u = _unit_short(rep.unit)
    by = rows(rep)
    cmax = max(rep.cores)
    labels = [f"l{layer} {PASS_SHORT[p]}" for (layer, p) in by]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 5))
    vals = [by[key][cmax].macs_per_unit if cmax in by[key] else 0.0 for key in by]
    ax1.bar(range(len(vals)), vals, color=["C0" if "FW" in s else "C1" if "input" in s else "C2" for s in labels])
    ax1.set_xticks(range(len(vals)), labels, rotation=70, fontsize=7)
    ax1.set_ylabel(f"MAC/{u} on {cmax} core(s)")
    ax1.set_title(f"{rep.board}: throughput per layer and pass")
    for key, label in zip(by, labels):
        cs = sorted(by[key])
        sp = [by[key][c].speedup for c in cs]
        if all(math.isfinite(s) for s in sp):
            ax2.plot(cs, sp, marker="o", lw=1, label=label)
    ax2.plot(rep.cores, rep.cores, "k--", lw=0.8, label="linear")
    ax2.set_xlabel("cores")
    ax2.set_ylabel("speedup vs 1 core")
    ax2.set_title("parallel speedup")
    ax2.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(str(path), dpi=120)
    plt.close(fig)

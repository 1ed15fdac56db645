"""Plots of continual-learning runs (matplotlib, Agg backend: files only, no display)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from matplotlib.figure import Figure

from qlr.plotting import pyplot


def _save(fig: Figure, path: str) -> None:
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fig.savefig(path, dpi=100)


def plot_run(record: dict[str, Any], path: str) -> None:
    """Accuracy after every event of one run record (event -1 = before the first event); dotted
    lines mark the events that bring a class for the first time."""
    plt = pyplot()
    events = record.get("events", [])
    initial = record.get("initial") or {}
    xs = ([-1] if "accuracy" in initial else []) + [e["event"] for e in events]
    ys = ([initial["accuracy"]] if "accuracy" in initial else []) + [e["accuracy"] for e in events]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(xs, [100 * y for y in ys], marker="o", label=f"{record.get('backend', '?')}")
    if any("golden_accuracy" in e for e in events):
        ax.plot([e["event"] for e in events], [100 * e.get("golden_accuracy", float("nan")) for e in events],
                ls="--", marker="x", label="golden twin")
    new_at = record.get("protocol", {}).get("new_class_first_event", {})
    for c, i in new_at.items():
        ax.axvline(i, color="grey", ls=":", lw=0.8)
        ax.text(i, 2, f"+{c}", ha="center", fontsize=7, color="grey")
    cl = record.get("run", {}).get("cl", {})
    q = "fp32" if cl.get("q_lr") is None else f"UINT-{cl.get('q_lr')}"
    ax.set_title(f"LR layer {cl.get('lr_layer')}, N_LR {cl.get('n_lr')}, {q} latents, seed {cl.get('seed')}")
    ax.set_xlabel("learning event (-1: before the first)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def pareto_front(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows no other row beats with less or equal memory and higher mean accuracy."""
    front, best = [], -1.0
    for r in sorted(rows, key=lambda r: (r["lr_bytes"], -r["acc_mean"])):
        if r["acc_mean"] == r["acc_mean"] and r["acc_mean"] > best:  # skips NaN (diverged)
            front.append(r)
            best = r["acc_mean"]
    return front


def plot_pareto(rows: Sequence[dict[str, Any]], baselines: Sequence[dict[str, Any]], path: str) -> None:
    """Final accuracy (mean, error bar = std over seeds) against LR memory bytes: one colour per
    LR layer, one marker per Q_LR, a thin line through the Q_LR values of one (layer, N_LR) labelled
    with N_LR; the Pareto front dashed; baselines as horizontal lines (naive dotted, cumulative
    dashed) in their layer's colour."""
    plt = pyplot()
    from matplotlib.lines import Line2D  # lazy: matplotlib is loaded only to draw (qlr.plotting)

    fig, ax = plt.subplots(figsize=(9, 5.5))
    markers = {"fp32": "s", "8": "o", "7": "v", "6": "^", "5": "<", "4": ">", "3": "d", "2": "p", "1": "h"}
    layers = sorted({r["lr_layer"] for r in rows} | {b["lr_layer"] for b in baselines})
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    colour = {l: colours[i % len(colours)] for i, l in enumerate(layers)}
    for l in layers:
        for n in sorted({r["n_lr"] for r in rows if r["lr_layer"] == l}):
            sel = sorted((r for r in rows if r["lr_layer"] == l and r["n_lr"] == n), key=lambda r: r["lr_bytes"])
            xs = [r["lr_bytes"] / 1024 for r in sel]
            ax.plot(xs, [100 * r["acc_mean"] for r in sel], "-", color=colour[l], lw=0.7, alpha=0.6)
            for r, x in zip(sel, xs):
                ax.errorbar([x], [100 * r["acc_mean"]], yerr=[100 * r["acc_std"]], marker=markers.get(r["q_lr"], "x"),
                            color=colour[l], ls="none", ms=5, capsize=2)
            top = sel[-1]
            ax.annotate(f"N={n}", (top["lr_bytes"] / 1024, 100 * top["acc_mean"]), textcoords="offset points",
                        xytext=(4, -10), fontsize=7, color=colour[l])
    front = pareto_front(rows)
    if len(front) > 1:
        ax.step([r["lr_bytes"] / 1024 for r in front], [100 * r["acc_mean"] for r in front], where="post",
                color="k", ls="--", lw=0.8)
    xmin = min((r["lr_bytes"] / 1024 for r in rows), default=1.0)
    styles = {"naive": ":", "cumulative": "--"}
    for b in baselines:
        if b["acc_mean"] != b["acc_mean"]:
            continue
        ax.axhline(100 * b["acc_mean"], color=colour[b["lr_layer"]], ls=styles.get(b["kind"], "-."), lw=0.8)
        ax.text(xmin, 100 * b["acc_mean"] + 0.4, f"{b['kind']} l{b['lr_layer']}", fontsize=7,
                color=colour[b["lr_layer"]])
    handles = [Line2D([], [], color=colour[l], lw=2, label=f"LR layer {l}") for l in layers]
    qs = [q for q in markers if any(r["q_lr"] == q for r in rows)]
    handles += [Line2D([], [], color="k", marker=markers[q], ls="none", label="FP32" if q == "fp32" else f"UINT-{q}")
                for q in qs]
    handles.append(Line2D([], [], color="k", ls="--", lw=0.8, label="Pareto front"))
    ax.set_xscale("log")
    from matplotlib.ticker import FuncFormatter, NullFormatter  # lazy, as above

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("LR memory (KiB, log scale): codes + labels + scale")
    ax.set_ylabel("final test accuracy (%), mean ± std over seeds")
    ax.grid(alpha=0.3, which="both")
    ax.legend(handles=handles, fontsize=7, ncol=2, loc="lower right")
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)

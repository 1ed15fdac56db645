"""Plots of continual-learning runs (matplotlib, Agg backend: files only, no display)."""

from __future__ import annotations

import os
from typing import Any, Sequence

from qlr.errors import QlrError


def _plt():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise QlrError("plots need matplotlib (pip install matplotlib, or tools/setup)") from None
    return plt


def _save(fig, path: str) -> None:
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fig.savefig(path, dpi=100)


def plot_run(record: dict[str, Any], path: str) -> None:
    """Accuracy after every event of one run record (event -1 = before the first event); dotted
    lines mark the events that bring a class for the first time."""
    plt = _plt()
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


def plot_pareto(rows: Sequence[dict[str, Any]], baselines: Sequence[dict[str, Any]], path: str) -> None:
    """Final accuracy (mean, error bar = std over seeds) against LR memory bytes, one marker per
    Q_LR and one colour per LR layer; baselines as horizontal lines."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 5))
    markers = {"fp32": "s", "8": "o", "7": "v", "6": "^", "5": "<", "4": ">", "3": "d", "2": "p", "1": "h"}
    layers = sorted({r["lr_layer"] for r in rows})
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for li, l in enumerate(layers):
        for q in markers:
            sel = [r for r in rows if r["lr_layer"] == l and r["q_lr"] == q]
            if not sel:
                continue
            sel.sort(key=lambda r: r["lr_bytes"])
            ax.errorbar([r["lr_bytes"] / 1024 for r in sel], [100 * r["acc_mean"] for r in sel],
                        yerr=[100 * r["acc_std"] for r in sel], marker=markers[q], ls="-", lw=0.6,
                        color=colours[li % len(colours)], capsize=2, ms=5,
                        label=f"l{l} {'FP32' if q == 'fp32' else 'UINT-' + q}")
    styles = {"naive": ":", "cumulative": "--"}
    xmin = min((r["lr_bytes"] / 1024 for r in rows), default=1.0)
    for b in baselines:
        ax.axhline(100 * b["acc_mean"], color=colours[layers.index(b["lr_layer"]) % len(colours)]
                   if b["lr_layer"] in layers else "k", ls=styles.get(b["kind"], "-."), lw=0.8)
        ax.text(xmin, 100 * b["acc_mean"] + 0.5, f"{b['kind']} l{b['lr_layer']}", fontsize=7)
    ax.set_xscale("log")
    ax.set_xlabel("LR memory (KiB, log scale): codes + labels + scale")
    ax.set_ylabel("final test accuracy (%), mean ± std over seeds")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2, loc="lower right")
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)

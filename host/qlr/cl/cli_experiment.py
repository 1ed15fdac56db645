"""`qlr experiment`: the LR layer x N_LR x Q_LR sweep with baselines, on the golden model.

Example (the sweep of docs/results.md):
    nice qlr experiment --lr-layers 19,23,27 --n-lr 500,1500,3000 --q-lr fp32,8,7,6,5,4 --seeds 3 \
        --out results.json --plot docs/cl-pareto.png
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from typing import Any

from qlr.cl.cli_learn import (
    add_protocol_arguments,
    add_quantization_arguments,
    calibration_name,
    git_commit,
    log_err,
    protocol_from_args,
)
from qlr.cl.experiment import BASELINES, ExperimentConfig, ReplayRunner, format_table, run_experiment
from qlr.cl.experiment_device import DeviceRuns, prepare_board, run_on_board, streams_with_images
from qlr.cl.plot import plot_pareto
from qlr.cl.protocol import prepare_run
from qlr.cl.record import strict, write_json
from qlr.cl.session import CLConfig, parse_q
from qlr.cl.streams import Stream
from qlr.errors import QlrError
from qlr.sweep.engine import INSTALL_HINT, Engine, EngineStarter, SerialEngine, have_dask, open_engine
from qlr.sweep.store import ResultStore, fingerprint_of

# The golden back-end multiplies small matrices (<= 256 x 256, mini-batches of 128): one BLAS
# thread is as fast as two on an idle machine and ~15x faster on a busy one (threads spin-wait
# for each other). Set before NumPy loads; an explicit OPENBLAS_NUM_THREADS wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# --quick: a seconds-long run for tests and smoke checks (tiny stream, one layer, few configs)
DEFAULT_EVENTS = 20
QUICK = {"lr_layers": "27", "n_lr": "100", "q_lr": "fp32,8,4", "seeds": 2, "events": 3, "event_size": 50,
         "n_initial": 300, "test_per_class": 20, "pretrain_epochs": 1, "mb": 32}


def _ints(text: str, what: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise QlrError(f"{what}: expected comma-separated integers, got {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:

    add_protocol_arguments(parser, events=DEFAULT_EVENTS)
    parser.add_argument("--lr-layers", default="19,23,27", help="LR layers to sweep (default 19,23,27)")
    parser.add_argument("--n-lr", default="500,1500,3000", help="N_LR values (default 500,1500,3000)")
    parser.add_argument("--q-lr", default="fp32,8,7,6,5,4", help="Q_LR values: bits 1..8 or fp32 "
                        "(default fp32,8,7,6,5,4)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..S-1 (default 3)")
    parser.add_argument("--baselines", default="naive,cumulative", help="baselines to run: naive, cumulative, "
                        "or 'none' (default naive,cumulative)")
    add_quantization_arguments(parser)
    parser.add_argument("--epochs", type=int, default=4, help="epochs per learning event (default 4)")
    parser.add_argument("--mb", type=int, default=128, help="mini-batch size (default 128)")
    parser.add_argument("--lr", type=float, default=0.01, help="back-end SGD learning rate (default 0.01)")
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--eval-u8", action="store_true", help="analysis only: evaluate on 8-bit test latents "
                        "whatever Q_LR (separates Q-bit storage from Q-bit inference; not the device's path)")
    parser.add_argument("--quick", action="store_true", help="a tiny sweep that runs in seconds (for tests), "
                        "for the options not given: " + ", ".join(f"--{k.replace('_', '-')} {v}" for k, v in QUICK.items()))
    parser.add_argument("--from", dest="from_", nargs="+", metavar="RESULTS.json",
                        help="do not run: merge saved results (--out files) and print/plot them")
    parser.add_argument("--out", help="write the results (JSON, every run's accuracy curve) here; every run is "
                        "also saved as it finishes in OUT.runs/ (see --results), so a sweep that is stopped and "
                        "started again resumes without redoing finished runs")
    parser.add_argument("--results", metavar="DIR", help="folder of the finished runs, one file each (default: "
                        "OUT.runs when --out is given; without either nothing is kept)")
    parser.add_argument("--board", default="golden", help="run the replay configurations on this board's CL "
                        "firmware, one learning session (one emulator, with its own folder and socket) per run, in "
                        "parallel on the workers; the baselines stay golden (default: golden, the NumPy twin on "
                        "latents computed once per layer)")
    parser.add_argument("--cores", type=int, default=None, help="with --board: worker cores of the device team")
    parser.add_argument("--check", action="store_true", help="with --board: check every event against the golden "
                        "twin (a run that disagrees fails)")
    parser.add_argument("--gvsoc", default=None, help="with --board pulp-open: the GVSoC launcher")
    parser.add_argument("--workers", type=int, default=None, help="run the sweep on a local Dask cluster of N "
                        "worker processes (default: one per core); 0 runs in this process, one run after another")
    parser.add_argument("--cluster", metavar="ADDRESS", help="run the sweep on an existing Dask cluster, e.g. "
                        "tcp://scheduler:8786 (see docs/distributed.md)")
    parser.add_argument("--plot", help="write the Pareto plot (accuracy vs LR memory, PNG) here")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    # --quick changes only the options left at their defaults
    parser.set_defaults(_defaults={k: parser.get_default(k) for k in QUICK})


def main(args: argparse.Namespace) -> int:

    if args.from_:
        res = merge_results(args.from_)
        return report(res, args)
    if args.quick:
        for k, v in QUICK.items():
            if getattr(args, k) == args._defaults[k]:
                setattr(args, k, v)
    baselines = [] if args.baselines.strip() == "none" else [b.strip() for b in args.baselines.split(",") if b.strip()]
    bad = [b for b in baselines if b not in BASELINES]
    if bad:
        raise QlrError(f"--baselines: unknown {bad} (known: {', '.join(BASELINES)}, or none)")
    if args.seeds < 1:
        raise QlrError("--seeds must be >= 1")
    pcfg = protocol_from_args(args)
    base = CLConfig(epochs=args.epochs, mb=args.mb, lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay,
                    calibration=calibration_name(args), scheme=args.scheme, equalize=args.equalize)
    q_lrs = [parse_q(q.strip()) for q in args.q_lr.split(",") if q.strip()]
    ecfg = ExperimentConfig(_ints(args.lr_layers, "--lr-layers"), _ints(args.n_lr, "--n-lr"), q_lrs,
                            list(range(args.seeds)), baselines, base, pcfg, eval_u8=args.eval_u8)
    if not ecfg.lr_layers or not ecfg.n_lrs or not ecfg.q_lrs:
        raise QlrError("--lr-layers, --n-lr and --q-lr need at least one value each")
    for n in ecfg.n_lrs:
        CLConfig(n_lr=n)  # validates
    progress = not args.quiet
    commit = git_commit()  # the code that runs, not the HEAD when it ends
    if args.board != "golden" and any(q is None for q in q_lrs):
        raise QlrError("--q-lr fp32 runs on the golden model only (the device front-end is int8): drop it with --board")
    # the engine (a local cluster: seconds) starts while the data, the network and the firmware are prepared
    starter = EngineStarter(lambda: choose_engine(args))
    try:
        prep = prepare_run(args.model, pcfg, ecfg.seeds, DEFAULT_EVENTS, progress, log_err)
        ecfg.protocol = prep.config
        replay = None
        if args.board != "golden":
            device = DeviceRuns(args.board, args.cores, args.check, args.gvsoc)
            prepare_board(device, ecfg)
            replay = ReplayRunner(run_on_board, streams_with_images(prep.pool, prep.streams), (device,))
        store = result_store(args, ecfg, prep.model, prep.streams, commit)
    except BaseException:
        starter.cancel()
        raise
    try:
        # the engine is met when the run first shares data: after the first latents
        res = run_experiment(prep.net, prep.pool, ecfg, progress, log_err, streams=prep.streams, engine=starter,
                             store=store, replay=replay)
    finally:
        starter.cancel()  # closes it
    model_desc = prep.model
    res.update({"model": model_desc, "commit": commit, "date": time.strftime("%Y-%m-%d"),
                "command": "qlr " + " ".join(shlex.quote(a) for a in sys.argv[1:])})
    rc = report(res, args)
    if res["failed"]:
        log_err(f"qlr experiment: {len(res['failed'])} of {ecfg.runs()} runs failed (their rows leave them out; "
                "run the same command again to retry them): " + ", ".join(f["key"] for f in res["failed"]))
        return 1
    return rc


def result_store(args: argparse.Namespace, ecfg: ExperimentConfig, model: dict[str, Any], streams: dict[int, Stream],
                 commit: str | None) -> ResultStore | None:
    """The folder of finished runs (--results, else OUT.runs; None without either), with the
    fingerprint of everything a run's result depends on besides its key (the grid's values)."""
    folder = args.results or (args.out + ".runs" if args.out else None)
    if not folder:
        return None
    grid = ("lr_layers", "n_lr", "q_lr", "seeds", "baselines")
    what = {"config": {k: v for k, v in ecfg.to_dict().items() if k not in grid}, "model": model,
            "streams": {str(s): st.describe() for s, st in streams.items()}, "commit": commit,
            "board": [args.board, args.cores, args.check]}
    return ResultStore(folder, fingerprint_of(what))


def choose_engine(args: argparse.Namespace) -> Engine:
    """--cluster, --workers N (0: this process), or by default a local cluster of one worker per
    core when Dask distributed is installed (in this process, with a note, when it is not)."""
    if args.workers is None and not args.cluster and not have_dask():
        log_err(f"qlr experiment: running in this process (for a parallel sweep: {INSTALL_HINT.split(', or')[0]})")
        return SerialEngine()
    return open_engine(args.workers, args.cluster, preload=["qlr.cl.experiment", "qlr.cl.experiment_device"])


def report(res: dict[str, Any], args: argparse.Namespace) -> int:
    if args.out:
        write_json(args.out, res)
    if args.plot:
        plot_pareto(res["rows"], res["baselines"], args.plot)
    if args.json:
        print(json.dumps(strict({k: v for k, v in res.items() if k != "runs"}), indent=1))
    else:
        print(format_table(res))
    return 0


def merge_results(paths: list[str]) -> dict[str, Any]:
    """Saved results of several sweeps as one: rows, baselines and runs side by side."""
    out: dict[str, Any] = {"format": "qlr-cl-experiment/1", "rows": [], "baselines": [], "runs": [], "seconds": 0.0,
                 "latent_seconds": 0.0, "merged": [], "config": {"seeds": []}}
    for p in paths:
        try:
            with open(p) as f:
                r = json.load(f)
        except (OSError, ValueError) as e:
            raise QlrError(f"--from {p}: cannot read saved results ({e})") from None
        if not isinstance(r, dict) or r.get("format") != "qlr-cl-experiment/1":
            raise QlrError(f"--from {p}: not a qlr experiment result (format qlr-cl-experiment/1)")
        for k in ("rows", "baselines", "runs"):
            out[k] += r.get(k, [])
        out["seconds"] += r.get("seconds") or 0.0
        out["latent_seconds"] += r.get("latent_seconds") or 0.0
        out["merged"].append({"file": p, "command": r.get("command"), "commit": r.get("commit"), "date": r.get("date")})
        seeds = r.get("config", {}).get("seeds", [])
        if len(seeds) > len(out["config"]["seeds"]):
            out["config"]["seeds"] = seeds
    for row in out["rows"] + out["baselines"]:
        for k in ("acc_mean", "acc_std"):
            if row.get(k) is None:
                row[k] = float("nan")
    return out

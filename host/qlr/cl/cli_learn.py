"""`qlr learn`: run the continual-learning protocol on a backend (``--board golden``: the host).

Example:
    qlr learn --board golden --lr-layer 25 --n-lr 1500 --q-lr 8 --events 10 --record run.json --plot acc.png

Without --model the protocol's network (MobileNet-V1 0.25, 32x32) is pretrained on the initial
classes once and cached (docs/cl-protocol.md). The run record (JSON) and a checkpoint beside it
are written after every event; running again with the same --record starts over with a message,
or continues with --resume.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from typing import Any

import numpy as np

from qlr import __version__
from qlr.cl.device import add_arguments as add_device_arguments
from qlr.cl.driver import Session, make_backend
from qlr.cl.plot import plot_run
from qlr.cl.protocol import ProtocolConfig, load_model, load_pool, make_stream, parse_class_list
from qlr.cl.record import RunRecord, prepare
from qlr.cl.session import CLConfig, build_setup, parse_q
from qlr.errors import QlrError


def add_protocol_arguments(p: argparse.ArgumentParser, events: int = 10) -> None:
    """Options of the data stream (shared with `qlr experiment`)."""
    p.add_argument("--model", help="a pretrained network .npz (default: the protocol's MobileNet-V1 0.25 "
                   "32x32, pretrained on the initial classes and cached in $QLR_CACHE or ~/.cache/qlr)")
    p.add_argument("--data", default="fashion-mnist", help="'fashion-mnist' or a data set .npz (default fashion-mnist)")
    p.add_argument("--initial-classes", default=None, help="classes of the initial batch, e.g. 0-4 "
                   "(default: the first half)")
    p.add_argument("--n-initial", type=int, default=3000, help="images in the initial batch (default 3000)")
    p.add_argument("--events", type=int, default=events, help=f"learning events (default {events})")
    p.add_argument("--event-size", type=int, default=300, help="new images per event (default 300)")
    p.add_argument("--test-per-class", type=int, default=100, help="test images per class (default 100)")
    p.add_argument("--pretrain-epochs", type=int, default=8, help="epochs of the default network's pretraining (default 8)")
    p.add_argument("--width", type=float, default=0.25, help="width of the default network (default 0.25)")


def protocol_from_args(args: argparse.Namespace) -> ProtocolConfig:
    return ProtocolConfig(data=args.data, initial_classes=parse_class_list(args.initial_classes),
                          n_initial=args.n_initial, events=args.events, event_size=args.event_size,
                          test_per_class=args.test_per_class, pretrain_epochs=args.pretrain_epochs,
                          width=args.width)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--board", default="golden", help="where to learn: golden (the host's golden twin) or a "
                        "device board (default golden)")
    add_protocol_arguments(parser)
    parser.add_argument("--lr-layer", type=int, default=25, help="LR layer l: the latent is the output of block l "
                        "(default 25; the default network trains l0..l27)")
    parser.add_argument("--n-lr", type=int, default=1500, help="LR memory slots N_LR (default 1500)")
    parser.add_argument("--q-lr", default="8", help="LR bits Q_LR: 1..8, or fp32 (FP32 front-end and latents; "
                        "golden only) (default 8)")
    parser.add_argument("--epochs", type=int, default=4, help="epochs per learning event (default 4)")
    parser.add_argument("--mb", type=int, default=128, help="mini-batch size (default 128)")
    parser.add_argument("--lr", type=float, default=0.01, help="back-end SGD learning rate (default 0.01)")
    parser.add_argument("--momentum", type=float, default=0.9, help="SGD momentum (default 0.9)")
    parser.add_argument("--weight-decay", type=float, default=5e-4, help="SGD weight decay (default 5e-4)")
    parser.add_argument("--seed", type=int, default=0, help="run seed: stream and replay choices (default 0)")
    parser.add_argument("--record", help="write the run record (JSON) here, with a checkpoint RECORD.ckpt.npz, "
                        "after every event")
    parser.add_argument("--resume", action="store_true", help="continue the run in --record from its checkpoint")
    parser.add_argument("--plot", help="write the accuracy-over-events plot (PNG) here")
    parser.add_argument("--check", action="store_true", help="run the golden twin beside the backend and compare "
                        "after every event (latents, LR slots, weights, accuracy)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--json", action="store_true", help="print the run record as JSON")
    add_device_arguments(parser)


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=os.path.dirname(os.path.abspath(__file__)),
                             capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def log_err(msg: str) -> None:
    print(msg, file=sys.stderr)


def main(args: argparse.Namespace) -> int:
    cfg = CLConfig(lr_layer=args.lr_layer, n_lr=args.n_lr, q_lr=parse_q(args.q_lr), epochs=args.epochs, mb=args.mb,
                   lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay, seed=args.seed)
    if cfg.q_lr is None and args.board != "golden":
        raise QlrError("--q-lr fp32 (FP32 front-end and latents) runs on --board golden only")
    pcfg = protocol_from_args(args)
    backend = make_backend(args.board, args)
    progress = not args.quiet
    net, pool, model_desc = load_model(args.model, lambda size, ch: load_pool(pcfg.data, pcfg.test_per_class, size, ch),
                                       pcfg, progress, log_err)
    stream = make_stream(pool, pcfg, cfg.seed)
    model_id = file_sha256(args.model) if args.model else model_desc.get("cache", "default")
    run = {"cl": cfg.to_dict(), "protocol": pcfg.to_dict(), "model": model_id, "board": args.board}
    resume = prepare(args.record, run, args.resume, log_err)
    xi, yi = stream.initial
    setup = build_setup(net, cfg, xi[:1000], xi, yi, protocol=stream.describe())
    if resume is not None:
        setup.resume(resume.state)
    header = {"backend": backend.name, "board": args.board, "protocol": stream.describe(),
              "lr_memory": setup.lr_memory_info(), "model": model_desc, "qlr_version": __version__,
              "commit": git_commit(), "check": bool(args.check)}
    record = RunRecord(args.record, run, header)
    if resume is not None:
        record.resume_from(resume)
    data = Session(backend, setup, stream, record, check=args.check, progress=progress, log=log_err).run()
    if args.plot:
        plot_run(data, args.plot)
    if args.json:
        print(json.dumps(data, indent=1, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))
        return 0
    print(summary_text(data, args))
    return 0


def summary_text(data: dict[str, Any], args: argparse.Namespace) -> str:
    cl, mem, ev = data["run"]["cl"], data["lr_memory"], data["events"]
    q = "FP32" if cl["q_lr"] is None else f"UINT-{cl['q_lr']}"
    lines = [f"qlr learn ({data['backend']}): LR layer {cl['lr_layer']} (latent {'x'.join(map(str, mem['latent_shape']))}), "
             f"N_LR {cl['n_lr']} at {q}, {len(ev)} events, seed {cl['seed']}",
             f"accuracy: {100 * data['initial']['accuracy']:.2f}% before the first event, "
             f"{100 * data['final_accuracy']:.2f}% after the last",
             f"LR memory: {mem['bytes']:,} bytes = {mem['n_lr']} x {mem['bytes_per_latent']} B codes + "
             f"{mem['labels_bytes']:,} B labels + {mem['scale_bytes']} B scale"]
    if ev:
        tot = np.mean([e["seconds"].get("total", 0.0) for e in ev])
        keys = [k for k in ev[-1]["seconds"] if k != "total"]  # the phases this backend times
        phases = ", ".join(f"{k} {np.mean([e['seconds'].get(k, 0.0) for e in ev]):.2f} s" for k in keys)
        lines.append(f"per event: {tot:.2f} s ({phases})")
        c = ev[-1].get("counters", {})
        if "counter_total" in c:  # a device: its own counter (cycles, or instructions under QEMU)
            unit = c.get("unit", "counts")
            per = {k: np.mean([e["counters"].get(k, 0) for e in ev]) for k in
                   ("front", "lr_load", "forward", "backward", "update", "counter_total")}
            lines.append(f"device {unit} per event: {per['counter_total']:,.0f} (front-end {per['front']:,.0f}, "
                         f"LR load {per['lr_load']:,.0f}, forward {per['forward']:,.0f}, backward "
                         f"{per['backward']:,.0f}, update {per['update']:,.0f}) on {c.get('cores', '?')} core(s)")
    m = data.get("memory")
    if m:
        streamed = m.get("streamed") or {}
        lines.append(f"memory plan: micro-batches of {m['ub']} (mini-batch {m['mb']}), L2 {m['l2_used']:,} of "
                     f"{m['l2_window']:,} B, L3 {m['l3_used']:,} of {m['l3_window']:,} B"
                     + (f"; {len(streamed)} tensors streamed from L3, about {m['traffic_bytes_per_event']:,} B "
                        "moved per event" if streamed else ""))
    if data.get("check"):
        lines.append("golden-twin check: passed after every event")
    if args.record:
        lines.append(f"record: {args.record}")
    if args.plot:
        lines.append(f"plot: {args.plot}")
    return "\n".join(lines)

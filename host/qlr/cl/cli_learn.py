"""`qlr learn`: run the continual-learning protocol on a backend (``--board golden``: the host).

Example:
    qlr learn --board golden --lr-layer 25 --n-lr 1500 --q-lr 8 --events 10 --record run.json --plot acc.png

Without --model the default network (MobileNet-V1 at --width/--size/--channels: 0.25 at the data's
size and channels, 32x32 for Fashion-MNIST) is pretrained on the initial batch once and cached
(docs/cl-protocol.md). The run record (JSON) and a checkpoint beside it
are written after every event; running again with the same --record starts over with a message,
or continues with --resume.
"""

from __future__ import annotations

import argparse
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
from qlr.cl.protocol import ProtocolConfig, parse_class_list, prepare_run
from qlr.cl.record import RunRecord, prepare
from qlr.cl.session import CLConfig, build_setup, calibration_sample, parse_q
from qlr.cl.source import file_sha256
from qlr.errors import QlrError
from qlr.quant.cli import add_calibration_option, calibration_from_args


def add_protocol_arguments(p: argparse.ArgumentParser, events: int = 10) -> None:
    """Options of the data, the stream and the default network (shared with `qlr experiment`)."""
    p.add_argument("--model", help="a pretrained network .npz (default: MobileNet-V1 at --width/--size/--channels, "
                   "pretrained on the initial batch and cached in $QLR_CACHE or ~/.cache/qlr)")
    p.add_argument("--data", default="fashion-mnist", help="'fashion-mnist' or a data set .npz (default fashion-mnist)")
    p.add_argument("--stream", default="class", choices=["class", "session", "mixed"],
                   help="class: one class per event (default); session: one session per event (new instances, "
                   "per-user adaptation; needs a data set with 'sessions'); mixed: one class of one session per event")
    p.add_argument("--initial-classes", default=None, help="classes of the initial batch, e.g. 0-4 "
                   "(default: the first half; class and mixed streams)")
    p.add_argument("--initial-sessions", default=None, help="sessions of the initial batch, e.g. 0-2 (session and "
                   "mixed streams; default: the fewest sessions holding --n-initial images)")
    p.add_argument("--n-initial", type=int, default=None, help="images in the initial batch (default 3000, or half "
                   "of what the initial classes/sessions hold when fewer)")
    p.add_argument("--events", type=int, default=None, help=f"learning events (default {events}; session and mixed "
                   "streams: at most one per session or unit)")
    p.add_argument("--event-size", type=int, default=None, help="new images per event (default 300, or what every "
                   "class's events can have when fewer; session/mixed streams: at most this many per event)")
    p.add_argument("--test-per-class", type=int, default=None, help="test images per class (default 100, or a "
                   "tenth of the smallest class of a .npz when fewer)")
    g = p.add_argument_group("the default network (without --model)")
    g.add_argument("--width", type=float, default=None, help="MobileNet-V1 width multiplier (default 0.25)")
    g.add_argument("--size", default=None, help="input size, H or HxW (default: the data's; fashion-mnist: 32)")
    g.add_argument("--channels", type=int, default=None, help="input channels (default: the data's)")
    g.add_argument("--pretrain-epochs", type=int, default=8, help="epochs of the default network's pretraining "
                   "(default 8)")
    p.add_argument("--fit", default="auto", choices=["auto", "pad", "resize"],
                   help="how images of another size meet the network: zero padding, bilinear resize, or auto "
                   "(pad when the network is at most 25%% larger, else resize) (default auto)")


def add_quantization_arguments(p: argparse.ArgumentParser) -> None:
    """The int8 front-end's calibration and weight scheme (shared with `qlr experiment`)."""
    add_calibration_option(p)
    p.add_argument("--scheme", default="per_channel", choices=["per_channel", "per_layer"],
                   help="front-end weights: symmetric per output channel (default) or the paper's per-layer affine")


def parse_size(text: str | None) -> tuple[int, int] | None:
    """'128' -> (128, 128); '96x128' -> (96, 128)."""
    if text is None:
        return None
    try:
        parts = [int(v) for v in str(text).lower().split("x")]
    except ValueError:
        raise QlrError(f"--size: expected H or HxW, got {text!r}") from None
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2 or min(parts) < 1:
        raise QlrError(f"--size: expected H or HxW with positive sizes, got {text!r}")
    return parts[0], parts[1]


def protocol_from_args(args: argparse.Namespace) -> ProtocolConfig:
    return ProtocolConfig(data=args.data, stream=args.stream, initial_classes=parse_class_list(args.initial_classes),
                          initial_sessions=parse_class_list(args.initial_sessions, "--initial-sessions"),
                          n_initial=args.n_initial, events=args.events, event_size=args.event_size,
                          test_per_class=args.test_per_class, pretrain_epochs=args.pretrain_epochs, width=args.width,
                          size=parse_size(args.size), channels=args.channels, fit=args.fit)


DEFAULT_EVENTS = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--board", default="golden", help="where to learn: golden (the host's golden twin) or a "
                        "device board (default golden)")
    add_protocol_arguments(parser, DEFAULT_EVENTS)
    parser.add_argument("--lr-layer", type=int, default=25, help="LR layer l: the latent is the output of block l "
                        "(default 25; the default network trains l0..l27)")
    parser.add_argument("--n-lr", type=int, default=1500, help="LR memory slots N_LR (default 1500)")
    parser.add_argument("--q-lr", default="8", help="LR bits Q_LR: 1..8, or fp32 (FP32 front-end and latents; "
                        "golden only) (default 8)")
    add_quantization_arguments(parser)
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


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=os.path.dirname(os.path.abspath(__file__)),
                             capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def calibration_name(args: argparse.Namespace) -> str:
    return calibration_from_args(args).name


def log_err(msg: str) -> None:
    print(msg, file=sys.stderr)


def main(args: argparse.Namespace) -> int:
    cfg = CLConfig(lr_layer=args.lr_layer, n_lr=args.n_lr, q_lr=parse_q(args.q_lr), epochs=args.epochs, mb=args.mb,
                   lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay, seed=args.seed,
                   calibration=calibration_name(args), scheme=args.scheme, equalize=args.equalize)
    if cfg.q_lr is None and args.board != "golden":
        raise QlrError("--q-lr fp32 (FP32 front-end and latents) runs on --board golden only")
    pcfg = protocol_from_args(args)
    backend = make_backend(args.board, args)
    progress = not args.quiet
    prep = prepare_run(args.model, pcfg, [cfg.seed], DEFAULT_EVENTS, progress, log_err)
    net, model_desc, stream = prep.net, prep.model, prep.streams[cfg.seed]
    model_id = file_sha256(args.model) if args.model else model_desc.get("cache", "default")
    run = {"cl": cfg.to_dict(), "protocol": prep.config.to_dict(), "model": model_id, "board": args.board}
    resume = prepare(args.record, run, args.resume, log_err)
    xi, yi = stream.initial
    setup = build_setup(net, cfg, calibration_sample(xi), xi, yi, protocol=stream.describe(), progress=progress)
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


def network_line(model: dict[str, Any]) -> str:
    """'network: mobilenet_v1 width 0.25, input 32x32x1, 0.22 M parameters, 6.1 M MACs (default, pretrained)'."""
    net = model.get("network", {})
    arch = net.get("arch", "network")
    width = f" width {net['width']:g}" if isinstance(net.get("width"), (int, float)) else ""
    shape = "x".join(str(d) for d in net.get("input_shape", []))
    src = "default, pretrained" if model.get("model") == "default" else str(model.get("model"))
    return (f"network: {arch}{width}, input {shape}, {net.get('params', 0) / 1e6:.2f} M parameters, "
            f"{net.get('macs', 0) / 1e6:.1f} M MACs per image ({src})")


def summary_text(data: dict[str, Any], args: argparse.Namespace) -> str:
    cl, mem, ev = data["run"]["cl"], data["lr_memory"], data["events"]
    q = "FP32" if cl["q_lr"] is None else f"UINT-{cl['q_lr']}"
    lines = [f"qlr learn ({data['backend']}): LR layer {cl['lr_layer']} (latent {'x'.join(map(str, mem['latent_shape']))}), "
             f"N_LR {cl['n_lr']} at {q}, {len(ev)} events, seed {cl['seed']}",
             network_line(data.get("model", {})),
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

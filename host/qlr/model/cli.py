"""`qlr model`: describe networks. `qlr model summary` prints the per-layer table and totals."""

from __future__ import annotations

import argparse
import json

from qlr.errors import QlrError
from qlr.model import load_network
from qlr.model.graph import Network
from qlr.model.mobilenet import build


def add_arch_arguments(p: argparse.ArgumentParser, with_classes: bool = True, width: float = 1.0,
                       size: int = 128, in_channels: int = 3) -> None:
    """Options that name an architecture to build (shared with `qlr train`, which has its own --classes)."""
    p.add_argument("--arch", default=None, help="architecture to build (mobilenet_v1, mobilenet_v2)")
    p.add_argument("--width", type=float, default=width, help=f"width multiplier (default {width})")
    p.add_argument("--size", type=int, default=size, help=f"input height and width (default {size})")
    p.add_argument("--in-channels", type=int, default=in_channels, help=f"input channels (default {in_channels})")
    if with_classes:
        p.add_argument("--classes", type=int, default=1000, help="number of classes (default 1000)")
    p.add_argument("--no-batchnorm", action="store_true", help="build without BatchNorm (convs get biases)")
    p.add_argument("--activation", default=None, choices=["relu", "relu6"],
                   help="activation (default: the architecture's: relu for mobilenet_v1, relu6 for mobilenet_v2)")
    p.add_argument("--seed", type=int, default=0, help="initialisation seed (default 0)")


def network_from_args(args: argparse.Namespace, num_classes: int | None = None) -> Network:
    """Load --model or build --arch (num_classes overrides args.classes)."""
    if getattr(args, "model", None):
        if args.arch:
            raise QlrError("give either --model or --arch, not both")
        return load_network(args.model)
    if not args.arch:
        raise QlrError("give --arch NAME or --model FILE.npz")
    classes = num_classes if num_classes is not None else args.classes
    act = args.activation or ("relu6" if args.arch == "mobilenet_v2" else "relu")
    return build(args.arch, width=args.width, input_size=args.size, num_classes=classes,
                 in_channels=args.in_channels, batchnorm=not args.no_batchnorm, activation=act, seed=args.seed)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("summary", help="per-layer table: index, name, kind, output shape, params, MACs")
    p.add_argument("--model", help="a network saved as .npz")
    add_arch_arguments(p)
    p.add_argument("--fold", action="store_true", help="fold BatchNorm first")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _fmt_shape(shape: list[int]) -> str:
    return "x".join(str(d) for d in shape)


def main(args: argparse.Namespace) -> int:
    net = network_from_args(args)
    if args.fold:
        net = net.fold_batchnorm()
    rows = net.summary_rows()
    totals = {"params": net.param_count(), "macs": net.mac_count(), "layers": len(net.layers)}
    if args.json:
        print(json.dumps({"input_shape": list(net.input_shape), "layers": rows, "totals": totals,
                          "meta": net.meta}, indent=1))
        return 0
    print(f"input {_fmt_shape(list(net.input_shape))}")
    print(f"{'idx':>4}  {'name':<14} {'kind':<15} {'output':>12} {'params':>10} {'MACs':>12}")
    for r in rows:
        idx = "" if r["index"] is None else str(r["index"])
        print(f"{idx:>4}  {r['name']:<14} {r['kind']:<15} {_fmt_shape(r['output_shape']):>12} "
              f"{r['params']:>10,} {r['macs']:>12,}")
    print(f"total: {totals['params']:,} parameters ({totals['params'] / 1e6:.2f} M), "
          f"{totals['macs']:,} MACs ({totals['macs'] / 1e6:.1f} M) per sample, {totals['layers']} layers")
    return 0

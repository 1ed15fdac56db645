"""`qlr quant`: post-training quantization reports.

    qlr quant report --model M.npz --data fashion-mnist --lr-layer L [--scheme per_channel|per_layer]
                     [--calibration max|mse|percentile[:P]] [--calib N] [--limit N] [--lr-bits 8,7,6] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

import numpy as np

from qlr.data import load_dataset, load_fashion_mnist
from qlr.data.fitting import plan_fit
from qlr.errors import QlrError
from qlr.model import Network, load_network
from qlr.quant.calibrate import DEFAULT_CALIBRATION, Calibration
from qlr.quant.ptq_report import format_report, ptq_report


def load_images_for(net: Network, data: str, split: str, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images fitted to ``net``'s input and labels, from ``fashion-mnist`` or a data set .npz.

    For Fashion-MNIST the class subset and fit mode the network was trained with (``meta['labels']``,
    ``meta['fit']``, written by `qlr train`) are applied; ``split`` is ``train`` or ``test``.
    A .npz file has no splits: the same file serves both.
    """
    if len(net.input_shape) != 3:
        raise QlrError(f"the network input must be (H, W, C), got {net.input_shape}")
    if data == "fashion-mnist":
        x, y = load_fashion_mnist(split, classes=net.meta.get("labels"), limit=limit)
    else:
        ds = load_dataset(data)
        x, y = ds.x[:limit], ds.y[:limit]
    mode = net.meta.get("fit", "auto")
    x = plan_fit(x.shape[1:], net.input_shape, mode if mode in ("pad", "resize") else "auto").apply(x)
    k = net.output_shape[-1]
    if y.size and int(y.max()) >= k:
        raise QlrError(f"{data}: label {int(y.max())} but the network has {k} outputs")
    if len(x) == 0:
        raise QlrError(f"{data}: no images")
    return x, y


def parse_bits(text: str | None) -> list[int]:
    if not text:
        return []
    try:
        bits = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise QlrError(f"--lr-bits: expected a comma-separated list of integers, got {text!r}") from None
    bad = [b for b in bits if not 1 <= b <= 8]
    if bad:
        raise QlrError(f"--lr-bits: Q must be in 1..8, got {bad}")
    return bits


def add_quant_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, help="network .npz (from `qlr train` or the model API)")
    p.add_argument("--lr-layer", type=int, required=True, help="LR layer index l: the front-end is blocks 0..l")
    p.add_argument("--data", default="fashion-mnist", help="fashion-mnist (default) or a data set .npz")
    p.add_argument("--scheme", default="per_channel", choices=["per_channel", "per_layer"],
                   help="weights: symmetric per output channel (default) or the paper's per-layer affine")
    add_calibration_option(p)
    p.add_argument("--percentile", type=float, default=None,
                   help="shorthand for --calibration percentile:P")
    p.add_argument("--calib", type=int, default=1000, help="calibration images from the training split (default 1000)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def add_calibration_option(p: argparse.ArgumentParser) -> None:
    """--calibration (shared by quant report, image pack, learn and experiment)."""
    p.add_argument("--calibration", default=None, help="activation ranges: max, mse, or percentile[:P] (e.g. "
                   f"percentile:99.99) (default {DEFAULT_CALIBRATION}; docs/quantization.md)")
    p.add_argument("--no-equalize", dest="equalize", action="store_false", default=True,
                   help="do not equalize the channel ranges of ReLU outputs before quantizing (qlr.quant.equalize)")


def calibration_from_args(args: argparse.Namespace) -> Calibration:
    """The `Calibration` of --calibration (or --percentile P), else the default."""
    pct = getattr(args, "percentile", None)
    if pct is not None:
        if args.calibration:
            raise QlrError("give --calibration or --percentile, not both")
        return Calibration("percentile", pct)
    return Calibration.parse(args.calibration or DEFAULT_CALIBRATION)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("report", help="quantize the front-end and report per-layer error and top-1 agreement")
    add_quant_options(p)
    p.add_argument("--limit", type=int, default=2000, help="evaluation images from the test split (default 2000; 0 = all)")
    p.add_argument("--lr-bits", default="8,7,6", help="also report accuracy with Q-bit LR latents (default 8,7,6)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def _jsonable(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    return v


def main(args: argparse.Namespace) -> int:
    net = load_network(args.model)
    if args.calib < 1:
        raise QlrError("--calib must be >= 1")
    xc, _ = load_images_for(net, args.data, "train", args.calib)
    xe, ye = load_images_for(net, args.data, "test", args.limit or None)
    rep, _ = ptq_report(net, args.lr_layer, xc, xe, ye, scheme=args.scheme, calibration=calibration_from_args(args),
                        lr_bits=parse_bits(args.lr_bits), progress=not args.quiet, equalize=args.equalize)
    if args.json:
        print(json.dumps(_jsonable(rep.as_dict()), indent=1))
    else:
        print(format_report(rep))
    return 0

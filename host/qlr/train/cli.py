"""`qlr train`: train a network with the golden model (make a pretrained front-end).

Example:
    qlr train --arch mobilenet_v1 --width 0.25 --size 32 --data fashion-mnist --classes 0-4 \
              --epochs 3 --out model.npz
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from qlr.data import FASHION_MNIST_CLASSES, fit, load_dataset, load_fashion_mnist, parse_classes
from qlr.errors import QlrError
from qlr.model import save_network
from qlr.model.cli import add_arch_arguments, network_from_args
from qlr.train.trainer import TrainConfig, train


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="start from a network saved as .npz (instead of --arch; "
                        "default: --arch mobilenet_v1)")
    add_arch_arguments(parser, with_classes=False, width=0.25, size=32, in_channels=1)
    parser.add_argument("--data", default="fashion-mnist",
                        help="'fashion-mnist' or a data set .npz (x uint8 NHWC, y labels) (default fashion-mnist)")
    parser.add_argument("--val-data", help="validation .npz for --data FILE (Fashion-MNIST uses its test split)")
    parser.add_argument("--classes", default=None,
                        help="labels to keep, renumbered from 0 in the order given, e.g. 0-4 or 1,3,7 "
                             "(default: 0-4 for fashion-mnist, all for a .npz)")
    parser.add_argument("--num-classes", type=int, default=None,
                        help="network outputs for --arch (default: the number of classes kept)")
    parser.add_argument("--resize", action="store_true", help="resize Fashion-MNIST images instead of zero padding")
    parser.add_argument("--limit", type=int, default=6000, help="use at most this many training samples "
                        "(default 6000; 0 = all)")
    parser.add_argument("--val-limit", type=int, default=2000, help="at most this many validation samples (0 = all)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs (default 3)")
    parser.add_argument("--batch-size", type=int, default=64, help="mini-batch size (default 64)")
    parser.add_argument("--lr", type=float, default=0.1, help="peak learning rate, cosine to 0 (default 0.1)")
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--fold", action="store_true", help="fold BatchNorm into the convolutions before saving")
    parser.add_argument("--out", required=True, help="where to write the trained network (.npz)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the training history as JSON")


def select_classes(x: np.ndarray, y: np.ndarray, labels: list[int] | None, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Keep samples whose label is in `labels`, renumbered 0.. in the order given."""
    if labels is None:
        return x, y
    if y.size and max(labels) > int(y.max()):
        raise QlrError(f"{where}: --classes names label {max(labels)}, the data's largest label is {int(y.max())}")
    keep = np.isin(y, labels)
    remap = np.full(max(max(labels), int(y.max()) if y.size else 0) + 1, -1, np.int64)
    remap[labels] = np.arange(len(labels))
    return x[keep], remap[y[keep]]


def _load_data(args: argparse.Namespace, labels: list[int] | None, channels: int, size: tuple[int, int]
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None, dict[str, Any]]:
    """(x, y, x_val, y_val, meta) as uint8 NHWC images fitted to the network input."""
    limit = args.limit or None
    val_limit = args.val_limit or None
    if args.data == "fashion-mnist":
        mode = "resize" if args.resize else "pad"
        x, y = load_fashion_mnist("train", size=size, mode=mode, channels=channels, classes=labels, limit=limit)
        x_test, y_test = load_fashion_mnist("test", size=size, mode=mode, channels=channels, classes=labels,
                                    limit=val_limit)
        kept = labels if labels is not None else list(range(10))
        return x, y, x_test, y_test, {"dataset": "fashion-mnist", "labels": kept, "fit": mode,
                              "class_names": [FASHION_MNIST_CLASSES[i] for i in kept]}
    ds = load_dataset(args.data)
    x, y = select_classes(ds.x, ds.y, labels, args.data)
    x, y = x[:limit], y[:limit]
    xv: np.ndarray | None = None
    yv: np.ndarray | None = None
    if args.val_data:
        dv = load_dataset(args.val_data)
        xv, yv = select_classes(dv.x, dv.y, labels, args.val_data)
        xv, yv = xv[:val_limit], yv[:val_limit]

    def fitted(arr: np.ndarray, what: str) -> np.ndarray:
        if arr.shape[3] not in (1, channels):
            raise QlrError(f"{what}: images have {arr.shape[3]} channels, the network takes {channels}")
        return fit(arr, None if arr.shape[1:3] == size else size, "pad", channels)

    x = fitted(x, args.data)
    if xv is not None:
        xv = fitted(xv, args.val_data)
    names = ds.classes
    if names is not None and labels is not None:
        names = [names[i] for i in labels]
    return x, y, xv, yv, {"dataset": args.data, "labels": labels, "class_names": names}


def main(args: argparse.Namespace) -> int:
    labels = parse_classes(args.classes if args.classes is not None
                           else ("0-4" if args.data == "fashion-mnist" else None))
    if args.model is None and args.arch is None:
        args.arch = "mobilenet_v1"
    num_classes = args.num_classes
    if num_classes is None and args.model is None:
        num_classes = len(labels) if labels is not None else load_dataset(args.data).num_classes
    net = network_from_args(args, num_classes=num_classes)
    if len(net.input_shape) != 3:
        raise QlrError(f"the network input must be (H, W, C), got {net.input_shape}")
    h, w, c = net.input_shape
    x, y, xv, yv, meta = _load_data(args, labels, c, (h, w))
    k = net.output_shape[-1]
    if y.size and int(y.max()) >= k:
        raise QlrError(f"the data has label {int(y.max())} but the network has {k} outputs")
    if len(x) == 0:
        raise QlrError("no training samples left after --classes/--limit")
    cfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, momentum=args.momentum,
                      weight_decay=args.weight_decay, seed=args.seed, progress=not args.quiet)
    hist = train(net, x, y, cfg, xv, yv)
    if args.fold:
        net = net.fold_batchnorm()
    net.meta.update(meta)
    net.meta.update({"preprocess": "x / 255", "trained": {
        "epochs": args.epochs, "samples": int(len(x)), "lr": args.lr, "batch_size": args.batch_size,
        "seed": args.seed, "final_loss": hist.loss[-1] if hist.loss else None,
        "val_accuracy": hist.val_accuracy[-1] if hist.val_accuracy else None}})
    save_network(net, args.out)
    if args.json:
        print(json.dumps({"out": args.out, "history": hist.as_dict()}, indent=1))
    else:
        va = hist.val_accuracy[-1] if hist.val_accuracy else float("nan")
        tl = hist.loss[-1] if hist.loss else float("nan")
        print(f"trained {hist.steps} steps in {hist.seconds:.1f} s: final train loss {tl:.4f}, "
              f"validation accuracy {va:.4f}; wrote {args.out}")
    return 0

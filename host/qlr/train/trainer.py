"""Mini-batch SGD on a `Network` with the golden kernels: seeded, with a tqdm progress bar.

Inputs may be uint8 images (scaled with `qlr.data.to_float`, i.e. x / 255) or floating arrays.
Labels are ints in [0, num_classes). Each epoch visits the training set once in a seeded random
order, cut into ceil(N / batch_size) batches of near-equal size (so no batch is a tiny
remainder: BatchNorm's batch statistics over a handful of samples blow the gradients up). The learning rate follows a cosine schedule from
`lr` to 0 over all steps (or stays constant with ``schedule="constant"``). SGD is `qlr_sgd_f32`
(v = m*v + (g + wd*w); w -= lr*v) on every learnable parameter of the `trainable` layers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from qlr import golden as G
from qlr.data import to_float
from qlr.errors import QlrError
from qlr.model import run_forward
from qlr.model.graph import LEARNABLE, Network
from qlr.train.backprop import backward, forward_train, update_running_stats


@dataclass
class TrainConfig:
    epochs: int = 1
    batch_size: int = 64
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    schedule: str = "cosine"  # or "constant"
    bn: str = "batch"  # BatchNorm in training: "batch" statistics or "frozen"
    bn_momentum: float = 0.1
    seed: int = 0
    progress: bool = True
    trainable: list[str] | None = None  # layer names; None = all layers with parameters


@dataclass
class History:
    """Per-epoch figures (training loss/accuracy are running means over the epoch's batches)."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def as_input(x: np.ndarray) -> np.ndarray:
    """A batch as float32 network input: uint8 images are scaled by 1/255 (see qlr.data.to_float)."""
    if x.dtype == np.uint8:
        return to_float(x)
    if x.dtype.kind != "f":
        raise QlrError(f"inputs must be uint8 images or floating point, got {x.dtype}")
    return x if x.dtype == np.float64 else x.astype(np.float32, copy=False)


def _check_xy(net: Network, x: np.ndarray, y: np.ndarray, what: str) -> None:
    if x.shape[1:] != net.input_shape:
        raise QlrError(f"{what}: x has shape {x.shape}, the network expects (N,) + {net.input_shape}")
    if y.shape != (x.shape[0],):
        raise QlrError(f"{what}: y has shape {y.shape}, expected ({x.shape[0]},)")
    k = net.output_shape[-1]
    if y.dtype.kind not in "iu" or (y.size and (y.min() < 0 or y.max() >= k)):
        raise QlrError(f"{what}: labels must be integers in [0, {k}) (the network has {k} outputs)")


def evaluate(net: Network, x: np.ndarray, y: np.ndarray, batch_size: int = 256) -> tuple[float, float]:
    """(mean softmax cross-entropy, top-1 accuracy) of `net` in inference mode."""
    _check_xy(net, x, y, "evaluate")
    total_loss, correct = 0.0, 0
    for s in range(0, len(x), batch_size):
        logits = run_forward(net, as_input(x[s : s + batch_size]))
        yb = y[s : s + batch_size]
        loss, _ = G.qlr_softmax_xent_f32(logits, yb)
        total_loss += loss * len(yb)
        correct += int(np.sum(np.argmax(logits, axis=1) == yb))
    n = max(len(x), 1)
    return total_loss / n, correct / n


def _trainable_layers(net: Network, names: Iterable[str] | None) -> list[str]:
    with_params = [lay.name for lay in net.layers if any(k in LEARNABLE for k in lay.params)]
    if names is None:
        return with_params
    names = list(names)
    for n in names:
        if n not in net.shapes:
            raise QlrError(f"trainable layer {n!r} is not in the network")
    return [n for n in with_params if n in names]


def train(net: Network, x: np.ndarray, y: np.ndarray, config: TrainConfig | None = None,
          x_val: np.ndarray | None = None, y_val: np.ndarray | None = None) -> History:
    """Train `net` in place; returns the History. Deterministic for a given seed and data."""
    cfg = config or TrainConfig()
    if cfg.epochs < 0 or cfg.batch_size < 1 or not cfg.lr >= 0:
        raise QlrError("epochs must be >= 0, batch_size >= 1 and lr >= 0")
    if cfg.schedule not in ("cosine", "constant"):
        raise QlrError(f"schedule must be 'cosine' or 'constant', got {cfg.schedule!r}")
    _check_xy(net, x, y, "training data")
    if x_val is not None:
        if y_val is None:
            raise QlrError("x_val given without y_val")
        _check_xy(net, x_val, y_val, "validation data")
    names = set(_trainable_layers(net, cfg.trainable))
    velocity = {(lay.name, k): np.zeros_like(v) for lay in net.layers if lay.name in names
                for k, v in lay.params.items() if k in LEARNABLE}
    rng = np.random.default_rng(cfg.seed)
    n = len(x)
    steps_per_epoch = math.ceil(n / cfg.batch_size)
    total_steps = max(cfg.epochs * steps_per_epoch, 1)
    hist = History()
    t0 = time.perf_counter()
    # backward only as far as the first trainable layer
    first_trainable = next((lay.name for lay in net.layers if lay.name in names), None)
    for epoch in range(cfg.epochs):
        order = rng.permutation(n)
        batches = np.array_split(order, steps_per_epoch)
        run_loss, run_correct, seen = 0.0, 0, 0
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="batch",
                   disable=not cfg.progress, leave=True)
        for b in bar:
            idx = batches[b]
            xb, yb = as_input(x[idx]), y[idx]
            logits, tape = forward_train(net, xb, bn=cfg.bn)
            loss, dlogits = G.qlr_softmax_xent_f32(logits, yb)
            if not np.isfinite(loss):
                raise QlrError(f"training diverged at epoch {epoch + 1}, batch {b + 1} (loss {loss}); lower --lr")
            grads, _ = backward(net, tape, dlogits, input_grad=False, stop_after=first_trainable)
            if cfg.bn == "batch":
                update_running_stats(net, tape, cfg.bn_momentum)
            step = epoch * steps_per_epoch + b
            lr = cfg.lr if cfg.schedule == "constant" else 0.5 * cfg.lr * (1 + math.cos(math.pi * step / total_steps))
            for lay in net.layers:
                if lay.name not in names or lay.name not in grads:
                    continue
                for k, g in grads[lay.name].items():
                    w = lay.params[k]
                    G.qlr_sgd_f32(w, g.astype(w.dtype, copy=False), velocity[(lay.name, k)], lr,
                                  cfg.momentum, cfg.weight_decay)
            run_loss += loss * len(idx)
            run_correct += int(np.sum(np.argmax(logits, axis=1) == yb))
            seen += len(idx)
            hist.steps += 1
            bar.set_postfix(loss=f"{run_loss / seen:.3f}", acc=f"{run_correct / seen:.3f}")
        bar.close()
        hist.loss.append(run_loss / max(seen, 1))
        hist.accuracy.append(run_correct / max(seen, 1))
        if x_val is not None and y_val is not None:
            vl, va = evaluate(net, x_val, y_val)
            hist.val_loss.append(vl)
            hist.val_accuracy.append(va)
            if cfg.progress:
                tqdm.write(f"epoch {epoch + 1}: loss {hist.loss[-1]:.4f} acc {hist.accuracy[-1]:.4f} "
                           f"val_loss {vl:.4f} val_acc {va:.4f}")
    hist.seconds = time.perf_counter() - t0
    return hist

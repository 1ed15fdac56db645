"""The continual-learning protocol: data, stream and network of a run, prepared in a safe order.

`prepare_run` does, for `qlr learn` and `qlr experiment`:

1. load the data at its own size (`qlr.cl.source.load_source`);
2. decide the network input: a ``--model``'s, or the default network's (`default_input_shape`:
   ``--size``/``--channels``, else the data's own size and channels; Fashion-MNIST: 32x32, the
   protocol's network since the first results);
3. fit the data to it (`qlr.cl.source.make_pool`; one line says what was done: zero padding,
   resizing, channel replication or averaging);
4. choose the stream values left open and build every seed's stream (`qlr.cl.streams`): an
   impossible stream stops here, with the exact shortfall and the fixes, before any training;
5. only then load the ``--model`` or pretrain (or take from the cache) the default network.

The default network (no ``--model``): `qlr.model.mobilenet_v1` at ``--width`` (0.25), the input
above, one output per class, pretrained on the stream's initial batch with `qlr.train.train`
(SGD lr 0.1 cosine, batch 64, momentum 0.9, weight decay 5e-4, batch-statistics BatchNorm, 8
epochs, seed 0), cached in ``$QLR_CACHE`` (default ``~/.cache/qlr``) under a hash of all of the
above. Streams, test sets and their seeds: `qlr.cl.streams` and `qlr.cl.source`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qlr.cache import cache_dir
from qlr.cl.source import Pool, Source, load_pool, load_source, make_pool
from qlr.cl.state import config_hash
from qlr.cl.streams import (
    STREAM_SALT,
    STREAMS,
    ProtocolConfig,
    Stream,
    auto_note,
    initial_classes_of,
    initial_index,
    make_stream,
    resolve_protocol,
)
from qlr.data import parse_classes
from qlr.errors import QlrError
from qlr.model import load_network, mobilenet_v1, save_network
from qlr.model.graph import Network
from qlr.train import TrainConfig, evaluate, train

CACHE_VERSION = 1
DEFAULT_WIDTH = 0.25
FASHION_MNIST_SIZE = (32, 32)  # the protocol's network since the first results: 28x28 zero-padded

Log = Callable[[str], None]


def default_input_shape(cfg: ProtocolConfig, src: Source) -> tuple[int, int, int]:
    """(H, W, C) of the default network: ``cfg.size``/``cfg.channels`` where given, else the data's
    own (Fashion-MNIST: 32x32)."""
    h, w, c = src.image_shape
    if cfg.size is not None:
        h, w = cfg.size
    elif src.name == "fashion-mnist":
        h, w = FASHION_MNIST_SIZE
    return h, w, int(cfg.channels or c)


def pretrain_key(pool: Pool, cfg: ProtocolConfig, stream: Stream) -> dict[str, Any]:
    shape = pool.test_x.shape[1:]
    key: dict[str, Any] = {
        "version": CACHE_VERSION, "data": pool.identity, "initial_classes": stream.initial_classes,
        "n_initial": int(len(stream.initial_index)), "num_classes": max(pool.classes) + 1,
        "width": DEFAULT_WIDTH if cfg.width is None else cfg.width,
        "size": int(shape[0]) if shape[0] == shape[1] else [int(shape[0]), int(shape[1])],
        "epochs": cfg.pretrain_epochs, "lr": cfg.pretrain_lr, "batch": cfg.pretrain_batch,
        "seed": cfg.pretrain_seed, "arch": "mobilenet_v1", "channels": int(shape[2]),
        "test_per_class": pool.test_per_class}
    if key["test_per_class"] == 100:
        del key["test_per_class"]  # the key of the networks cached before it could change
    if cfg.stream != "class":
        key["stream"] = cfg.stream
        key["initial_sessions"] = stream.initial_sessions
    return key


def pretrained_network(pool: Pool, cfg: ProtocolConfig, stream: Stream, progress: bool = True,
                       log: Log = print) -> tuple[Network, str]:
    """The default network pretrained on the stream's initial batch, from the cache or trained now."""
    key = pretrain_key(pool, cfg, stream)
    path = os.path.join(cache_dir(), f"cl-pretrained-{config_hash(key)}.npz")
    if os.path.exists(path):
        try:
            net = load_network(path)
            if net.meta.get("cl_pretrain_key") == key:
                return net, path
            log(f"qlr: cached network {path} was made for another configuration; training again")
        except QlrError as e:
            log(f"qlr: cached network {path} is unreadable ({e}); training again")
    x, y = stream.initial
    shape = tuple(pool.test_x.shape[1:])
    net = mobilenet_v1(width=key["width"], input_size=(shape[0], shape[1]), num_classes=key["num_classes"],
                       in_channels=shape[2], seed=cfg.pretrain_seed)
    log(f"qlr: pretraining the default network (MobileNet-V1 {key['width']:g} at {'x'.join(map(str, shape))}, "
        f"{net.param_count() / 1e6:.2f} M parameters) on {len(x)} images of classes {key['initial_classes']} "
        f"({cfg.pretrain_epochs} epochs; cached afterwards in {path})")
    hist = train(net, x, y, TrainConfig(epochs=cfg.pretrain_epochs, batch_size=cfg.pretrain_batch, lr=cfg.pretrain_lr,
                                        seed=cfg.pretrain_seed, progress=progress))
    test_mask = np.isin(pool.test_y, key["initial_classes"])
    _, acc = evaluate(net, pool.test_x[test_mask], pool.test_y[test_mask])
    net.meta.update({"cl_pretrain_key": key, "preprocess": "x / 255",
                     "trained": {"loss": hist.loss[-1], "initial_test_accuracy": acc, "seconds": hist.seconds}})
    os.makedirs(os.path.dirname(path), exist_ok=True)
    save_network(net, path)
    return net, path


def network_input(net: Network) -> tuple[tuple[int, int], int]:
    shape = tuple(net.input_shape)
    if len(shape) != 3:
        raise QlrError(f"the network input must be (H, W, C), got {shape}")
    return (shape[0], shape[1]), shape[2]


def describe_network(net: Network) -> dict[str, Any]:
    """What a run record says about the network actually used."""
    meta = net.meta
    out: dict[str, Any] = {"input_shape": list(net.input_shape), "outputs": int(net.output_shape[-1]),
                           "params": net.param_count(), "macs": net.mac_count(), "layers": len(net.layers),
                           "indices": [net.indices()[0], net.indices()[-1]] if net.indices() else None}
    for k in ("arch", "width", "source", "imported_from"):
        if k in meta:
            out[k] = meta[k]
    return out


@dataclass
class Prepared:
    """Everything a run starts from (see the module docstring)."""

    net: Network
    pool: Pool
    config: ProtocolConfig  # stream values resolved
    streams: dict[int, Stream]
    model: dict[str, Any]  # the model's description for the record
    notes: list[str] = field(default_factory=list)  # the one-line messages printed


def prepare_run(model: str | None, cfg: ProtocolConfig, seeds: Sequence[int], default_events: int = 10,
                progress: bool = True, log: Log = print) -> Prepared:
    """Steps 1-5 of the module docstring."""
    src = load_source(cfg.data)
    net = None
    if model:
        given = [f"--{k}" for k in ("width", "size", "channels") if getattr(cfg, k) is not None]
        if given:
            raise QlrError(f"{', '.join(given)} describe the default network; --model {model} has its own input "
                           f"shape (omit them)")
        net = load_network(model)
        size, ch = network_input(net)
        shape = (size[0], size[1], ch)
    else:
        shape = default_input_shape(cfg, src)
    pool = make_pool(src, shape, cfg.test_per_class, cfg.fit)
    notes = []
    assert pool.fit is not None
    fit_note = pool.fit.describe(src.name)
    if fit_note:
        notes.append(fit_note)
    resolved = resolve_protocol(pool, cfg, default_events)
    note = auto_note(cfg, resolved, pool)
    if note:
        notes.append(note)
    for n in notes:
        log(f"qlr: {n}")
    streams = {s: make_stream(pool, resolved, s) for s in seeds}
    if net is not None:
        k = net.output_shape[-1]
        if max(pool.classes) >= k:
            raise QlrError(f"--model {model}: the network has {k} outputs, the data has label {max(pool.classes)}")
        desc: dict[str, Any] = {"model": model}
        resolved = resolved.with_(width=None, size=None, channels=None)
    else:
        first = streams[seeds[0]]
        net, path = pretrained_network(pool, resolved, first, progress, log)
        desc = {"model": "default", "cache": path, "pretrain": net.meta.get("trained")}
        h, w, c = shape
        resolved = resolved.with_(width=DEFAULT_WIDTH if cfg.width is None else cfg.width, size=(h, w), channels=c)
    for st in streams.values():
        st.config = resolved
    desc["network"] = describe_network(net)
    desc["data_fit"] = pool.fit.to_dict() | {"message": fit_note}
    return Prepared(net, pool, resolved, streams, desc, notes)


def parse_class_list(text: str | None, option: str = "--initial-classes") -> tuple[int, ...] | None:
    got = parse_classes(text, option)
    return None if got is None else tuple(got)


def class_names(stream: Stream, labels: Sequence[int]) -> list[str]:
    names = stream.pool.class_names
    return [names[c] if names and c < len(names) else str(c) for c in labels]


__all__ = ["CACHE_VERSION", "STREAMS", "STREAM_SALT", "Pool", "Prepared", "ProtocolConfig", "Source", "Stream",
           "class_names", "default_input_shape", "describe_network", "initial_classes_of", "initial_index",
           "load_pool", "load_source", "make_pool", "make_stream", "network_input",
           "parse_class_list", "prepare_run", "pretrain_key", "pretrained_network", "resolve_protocol"]

"""The continual-learning protocol: a NICv2-like stream on Fashion-MNIST (or a data set .npz).

Scaled down from CORe50 NICv2-391 (an initial batch, then learning events that each bring one
class, new instances of old classes and new classes in a random order). Defaults (`ProtocolConfig`):

- Data: Fashion-MNIST from Debian's package, 28x28 zero-padded to 32x32, 1 channel, 10 classes;
  or a data set .npz (`qlr.data.Dataset`).
- Initial batch: ``n_initial`` = 3000 images of the initial classes (default the first half of
  the classes: 0-4), the first ``n_initial / n_initial_classes`` of each in file order (the first
  classes take the remainder). It pretrains the whole FP32 network, calibrates the int8
  front-end and fills the LR memory (memory update 0). It does not depend on the seed, so one
  pretrained network serves every seed.
- Stream: ``events`` learning events of ``event_size`` images, each of ONE class. Every class
  (initial ones included) gets ``events // C`` events, and the first ``events % C`` classes of a
  shuffled class order one more; the event order is a shuffle of that list. An event's images
  are the next ``event_size`` of its class's pool (the class's training images not in the initial
  batch, shuffled once): no image comes twice in a stream.
- Test set: the first ``test_per_class`` images of every class of the test split (file order;
  for a .npz: the last ``test_per_class`` of each class, which then leave the training pool).
  Fixed for all seeds. Accuracy is measured on it after every event.
- Seeds: the stream's random choices (class order, event order, pool shuffles) come from
  ``Rng(seed XOR STREAM_SALT)`` (`qlr.cl.rng`), in this order: ``shuffle(C)`` for the class order
  that takes the remainder events, ``shuffle(events)`` for the event order, then one
  ``shuffle(len(pool))`` per class in label order. The learning events' own stream is
  ``Rng(seed)`` (memory update 0 on the initial batch, then every event).
- Network (when no --model is given): `qlr.model.mobilenet_v1` width 0.25, 32x32x1, one output per
  class, pretrained on the initial batch with `qlr.train.train` (SGD lr 0.1 cosine, batch 64,
  momentum 0.9, weight decay 5e-4, batch-statistics BatchNorm, 8 epochs, seed 0), cached in
  ``$QLR_CACHE`` (default ``~/.cache/qlr``) under a hash of all of the above.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from qlr.cache import cache_dir
from qlr.cl.rng import Rng
from qlr.cl.state import config_hash
from qlr.data import FASHION_MNIST_CLASSES, fit, load_dataset, load_fashion_mnist, parse_classes
from qlr.errors import QlrError
from qlr.model import Network, load_network, mobilenet_v1, save_network
from qlr.train import TrainConfig, evaluate, train

STREAM_SALT = 0x5EEDC0DE
CACHE_VERSION = 1


@dataclass(frozen=True)
class ProtocolConfig:
    data: str = "fashion-mnist"
    initial_classes: tuple[int, ...] | None = None  # None: the first half of the classes
    n_initial: int = 3000
    events: int = 10
    event_size: int = 300
    test_per_class: int = 100
    # the pretrained network, when no --model is given
    width: float = 0.25
    size: int = 32
    pretrain_epochs: int = 8
    pretrain_lr: float = 0.1
    pretrain_batch: int = 64
    pretrain_seed: int = 0

    def __post_init__(self) -> None:
        for name in ("n_initial", "events", "event_size", "test_per_class", "size", "pretrain_epochs", "pretrain_batch"):
            if int(getattr(self, name)) < 1:
                raise QlrError(f"protocol: {name.replace('_', '-')} must be >= 1, got {getattr(self, name)}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["initial_classes"] = None if self.initial_classes is None else list(self.initial_classes)
        return d


def _file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class Pool:
    """A labelled data source fitted to the network input: training pool and fixed test set."""

    name: str
    identity: str  # what the pretrained-model cache key uses for the data
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    classes: list[int]
    class_names: list[str] | None = None


def load_pool(data: str, test_per_class: int, size: tuple[int, int], channels: int) -> Pool:
    """Load ``data`` ('fashion-mnist' or a .npz) as uint8 NHWC images of the given size/channels."""
    if data == "fashion-mnist":
        x, y = load_fashion_mnist("train", size=size, channels=channels)
        xt, yt = load_fashion_mnist("test", size=size, channels=channels)
        keep = np.concatenate([np.flatnonzero(yt == c)[:test_per_class] for c in range(10)])
        keep.sort()
        return Pool("fashion-mnist", f"fashion-mnist/{size[0]}x{size[1]}x{channels}", x, y, xt[keep], yt[keep],
                    list(range(10)), list(FASHION_MNIST_CLASSES))
    if not os.path.exists(data):
        raise QlrError(f"--data {data}: no such file (give 'fashion-mnist' or a data set .npz)")
    ds = load_dataset(data)
    x, y = ds.x, ds.y.astype(np.int64)
    if x.shape[3] not in (1, channels):
        raise QlrError(f"{data}: images have {x.shape[3]} channels, the network takes {channels}")
    x = fit(x, None if x.shape[1:3] == tuple(size) else size, "pad", channels)
    classes = sorted(int(c) for c in np.unique(y))
    test = np.concatenate([np.flatnonzero(y == c)[-test_per_class:] for c in classes])
    test.sort()
    train = np.setdiff1d(np.arange(len(y)), test)
    return Pool(os.path.basename(data), f"npz-sha256:{_file_sha256(data)}/{size[0]}x{size[1]}x{channels}",
                x[train], y[train], x[test], y[test], classes, ds.classes)


@dataclass
class Stream:
    """One seed's stream over a `Pool`: initial batch, event index lists, test set."""

    pool: Pool
    config: ProtocolConfig
    seed: int
    initial_classes: list[int]
    initial_index: np.ndarray
    event_classes: list[int]
    event_index: list[np.ndarray] = field(default_factory=list)

    @property
    def initial(self) -> tuple[np.ndarray, np.ndarray]:
        return self.pool.train_x[self.initial_index], self.pool.train_y[self.initial_index]

    @property
    def test(self) -> tuple[np.ndarray, np.ndarray]:
        return self.pool.test_x, self.pool.test_y

    def event(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        idx = self.event_index[i]
        return self.pool.train_x[idx], self.pool.train_y[idx]

    def __len__(self) -> int:
        return len(self.event_index)

    def describe(self) -> dict[str, Any]:
        """JSON-able description for run records."""
        new_at = {}
        seen = set(self.initial_classes)
        for i, c in enumerate(self.event_classes):
            if c not in seen:
                new_at[str(c)] = i
                seen.add(c)
        return {**self.config.to_dict(), "seed": self.seed, "data": self.pool.name, "classes": self.pool.classes,
                "initial_classes": self.initial_classes, "event_classes": self.event_classes,
                "new_class_first_event": new_at, "test_size": int(len(self.pool.test_y)),
                "class_names": self.pool.class_names}


def initial_classes_of(pool: Pool, cfg: ProtocolConfig) -> list[int]:
    if cfg.initial_classes is None:
        return pool.classes[: max(1, len(pool.classes) // 2)]
    bad = [c for c in cfg.initial_classes if c not in pool.classes]
    if bad:
        raise QlrError(f"--initial-classes {list(cfg.initial_classes)}: {bad} not in the data's classes {pool.classes}")
    return list(cfg.initial_classes)


def initial_index(pool: Pool, cfg: ProtocolConfig) -> np.ndarray:
    """The initial batch (seed-independent): the first images of each initial class in file order."""
    cls = initial_classes_of(pool, cfg)
    per, extra = divmod(cfg.n_initial, len(cls))
    parts = []
    for j, c in enumerate(cls):
        want = per + (1 if j < extra else 0)
        idx = np.flatnonzero(pool.train_y == c)[:want]
        if len(idx) < want:
            raise QlrError(f"protocol: class {c} has {len(idx)} training images, the initial batch needs {want}")
        parts.append(idx)
    return np.sort(np.concatenate(parts))


def make_stream(pool: Pool, cfg: ProtocolConfig, seed: int) -> Stream:
    """The seed's stream (module docstring)."""
    rng = Rng(seed ^ STREAM_SALT)
    classes = pool.classes
    init_cls = initial_classes_of(pool, cfg)
    init = initial_index(pool, cfg)
    n_cls = len(classes)
    class_order = [classes[j] for j in rng.shuffle(n_cls)]
    per, extra = divmod(cfg.events, n_cls)
    counts = dict.fromkeys(classes, per)
    for c in class_order[:extra]:
        counts[c] += 1
    multiset = [c for c in classes for _ in range(counts[c])]
    event_classes = [multiset[j] for j in rng.shuffle(len(multiset))]
    in_init = np.zeros(len(pool.train_y), bool)
    in_init[init] = True
    pools: dict[int, np.ndarray] = {}
    for c in classes:
        idx = np.flatnonzero((pool.train_y == c) & ~in_init)
        need = counts[c] * cfg.event_size
        if need > len(idx):
            raise QlrError(f"protocol: class {c} has {len(idx)} images outside the initial batch, its "
                           f"{counts[c]} events need {need} (lower --event-size or --events)")
        pools[c] = idx[rng.shuffle(len(idx))]
    used = dict.fromkeys(classes, 0)
    events = []
    for c in event_classes:
        events.append(pools[c][used[c] : used[c] + cfg.event_size])
        used[c] += cfg.event_size
    return Stream(pool, cfg, seed, init_cls, init, event_classes, events)


# ----------------------------------------------------------------------------- pretrained network


def pretrain_key(pool: Pool, cfg: ProtocolConfig) -> dict[str, Any]:
    return {"version": CACHE_VERSION, "data": pool.identity, "initial_classes": initial_classes_of(pool, cfg),
            "n_initial": cfg.n_initial, "num_classes": max(pool.classes) + 1, "width": cfg.width, "size": cfg.size,
            "epochs": cfg.pretrain_epochs, "lr": cfg.pretrain_lr, "batch": cfg.pretrain_batch,
            "seed": cfg.pretrain_seed, "arch": "mobilenet_v1", "channels": 1}


def pretrained_network(pool: Pool, cfg: ProtocolConfig, progress: bool = True,
                       log: Callable[[str], None] = print) -> tuple[Network, str]:
    """The protocol's default network pretrained on the initial batch, from the cache or trained now."""
    key = pretrain_key(pool, cfg)
    path = os.path.join(cache_dir(), f"cl-pretrained-{config_hash(key)}.npz")
    if os.path.exists(path):
        try:
            net = load_network(path)
            if net.meta.get("cl_pretrain_key") == key:
                return net, path
            log(f"qlr: cached network {path} was made for another configuration; training again")
        except QlrError as e:
            log(f"qlr: cached network {path} is unreadable ({e}); training again")
    idx = initial_index(pool, cfg)
    x, y = pool.train_x[idx], pool.train_y[idx]
    net = mobilenet_v1(width=cfg.width, input_size=cfg.size, num_classes=key["num_classes"],
                       in_channels=pool.train_x.shape[3], seed=cfg.pretrain_seed)
    log(f"qlr: pretraining the protocol's network on {len(x)} images of classes {key['initial_classes']} "
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


def load_model(model: str | None, pool_for: Callable[[tuple[int, int], int], Pool], cfg: ProtocolConfig,
               progress: bool = True, log: Callable[[str], None] = print) -> tuple[Network, Pool, dict[str, Any]]:
    """(network, pool, description): ``model`` is a network .npz, or None for the protocol's default.

    ``pool_for(size, channels)`` loads the data fitted to the network input.
    """
    if model:
        net = load_network(model)
        size, ch = network_input(net)
        pool = pool_for(size, ch)
        k = net.output_shape[-1]
        if max(pool.classes) >= k:
            raise QlrError(f"--model {model}: the network has {k} outputs, the data has label {max(pool.classes)}")
        return net, pool, {"model": model}
    pool = pool_for((cfg.size, cfg.size), 1)
    net, path = pretrained_network(pool, cfg, progress, log)
    return net, pool, {"model": "default", "cache": path, "pretrain": net.meta.get("trained")}


def parse_class_list(text: str | None) -> tuple[int, ...] | None:
    got = parse_classes(text)
    return None if got is None else tuple(got)


def class_names(stream: Stream, labels: Sequence[int]) -> list[str]:
    names = stream.pool.class_names
    return [names[c] if names and c < len(names) else str(c) for c in labels]

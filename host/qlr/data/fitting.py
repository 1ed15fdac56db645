"""Fitting images to a network's input: size (zero padding or bilinear resize) and channels
(replication or averaging), decided once and described in one line.

`plan_fit(src, dst, mode)` compares a data set's image shape ``(H, W, C)`` with a network's
input shape and returns a `Fit`:

- size: ``"none"`` when they agree; with ``mode="pad"`` centred zero padding (data not larger
  than the network on either axis); with ``mode="resize"`` a bilinear resize; ``mode="auto"``
  pads when the data is at most `PAD_MARGIN` smaller than the network on both axes (28x28 in a
  32x32 network keeps its pixels) and resizes otherwise (8x8 into 32x32, 28x28 into 128x128, or
  any image larger than the network).
- channels: ``"replicate"`` a single channel to C (grey images into an RGB network);
  ``"mean"`` of all channels into a single-channel network (rounded half up); any other pair
  (e.g. 6 channels into a 3-channel network) is refused: no choice would be right for every
  sensor.

`Fit.apply(x)` transforms a batch of uint8 NHWC images; `FittedImages` applies it lazily on
indexing, so a data set fitted to a large input (e.g. 60 000 Fashion-MNIST images at 128x128x3,
2.9 GB) is never held in memory whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from qlr.data.images import pad_to, resize
from qlr.errors import QlrError

FIT_MODES = ("auto", "pad", "resize")
PAD_MARGIN = 0.25  # auto pads when the network is at most 25 % larger than the data on each axis

Shape3 = tuple[int, int, int]


def _shape3(shape: Any, what: str) -> Shape3:
    try:
        h, w, c = (int(d) for d in shape)
    except (TypeError, ValueError):
        raise QlrError(f"{what}: expected an (H, W, C) shape, got {shape!r}") from None
    if min(h, w, c) < 1:
        raise QlrError(f"{what}: dimensions must be >= 1, got {(h, w, c)}")
    return h, w, c


def fmt_shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in shape)


@dataclass(frozen=True)
class Fit:
    """How images of shape ``src`` become network inputs of shape ``dst`` (see the module doc)."""

    src: Shape3
    dst: Shape3
    size_op: str  # none, pad, resize
    channel_op: str  # none, replicate, mean

    @property
    def identity(self) -> bool:
        return self.size_op == "none" and self.channel_op == "none"

    def apply(self, x: np.ndarray) -> np.ndarray:
        """uint8 images [N, H, W, C] of shape ``src`` -> [N] + ``dst``."""
        x = np.asarray(x)
        if x.ndim != 4 or tuple(x.shape[1:]) != self.src:
            raise QlrError(f"images have shape {tuple(x.shape[1:])}, this fit expects {fmt_shape(self.src)}")
        if self.channel_op == "mean":  # before resizing: one channel is cheaper to resize
            total = x.astype(np.int64).sum(axis=3, keepdims=True)
            c = x.shape[3]
            x = ((2 * total + c) // (2 * c)).astype(np.uint8)  # round half up
        if self.size_op == "pad":
            x = pad_to(x, self.dst[:2])
        elif self.size_op == "resize":
            x = resize(x, self.dst[:2])
        if self.channel_op == "replicate":
            x = np.repeat(x, self.dst[2], axis=3)
        return x

    def describe(self, what: str = "data") -> str | None:
        """One line saying what was done, or None when the images fit as they are."""
        if self.identity:
            return None
        done = []
        if self.size_op == "pad":
            done.append(f"zero-padded to {self.dst[0]}x{self.dst[1]} (centred)")
        elif self.size_op == "resize":
            done.append(f"resized to {self.dst[0]}x{self.dst[1]} (bilinear)")
        if self.channel_op == "replicate":
            done.append(f"replicated to {self.dst[2]} channels")
        elif self.channel_op == "mean":
            done.append(f"reduced from {self.src[2]} channels to 1 (mean)")
        return f"{what} {fmt_shape(self.src)} fed to a {fmt_shape(self.dst)} network: {' and '.join(done)}"

    def to_dict(self) -> dict[str, Any]:
        return {"data_shape": list(self.src), "network_input": list(self.dst), "size": self.size_op,
                "channels": self.channel_op}


def plan_fit(src: Any, dst: Any, mode: str = "auto") -> Fit:
    """The `Fit` from image shape ``src`` to network input ``dst`` (both (H, W, C)); raises
    QlrError naming both shapes when it cannot be done."""
    s = _shape3(src, "data image shape")
    d = _shape3(dst, "network input shape")
    if mode not in FIT_MODES:
        raise QlrError(f"--fit must be one of {', '.join(FIT_MODES)}, got {mode!r}")
    if s[:2] == d[:2]:
        size_op = "none"
    else:
        smaller = s[0] <= d[0] and s[1] <= d[1]
        close = d[0] <= (1 + PAD_MARGIN) * s[0] and d[1] <= (1 + PAD_MARGIN) * s[1]
        if mode == "pad" and not smaller:
            raise QlrError(f"cannot zero-pad {s[0]}x{s[1]} images to the smaller network input "
                           f"{d[0]}x{d[1]} (use --fit resize)")
        size_op = "pad" if mode == "pad" or (mode == "auto" and smaller and close) else "resize"
    if s[2] == d[2]:
        channel_op = "none"
    elif s[2] == 1:
        channel_op = "replicate"
    elif d[2] == 1:
        channel_op = "mean"
    else:
        raise QlrError(f"images have {s[2]} channels, the network takes {d[2]}: only 1 -> C (replicate) and "
                       f"C -> 1 (mean) are done automatically (build the network with --channels {s[2]})")
    return Fit(s, d, size_op, channel_op)


class FittedImages:
    """uint8 images fitted on access: ``fi[idx]`` is ``fit.apply(raw[idx])`` for an index array
    or slice (an int index gives one image). ``len``, ``shape``, ``dtype`` and ``ndim`` are those
    of the fitted array; nothing is fitted until indexed."""

    def __init__(self, raw: np.ndarray, fit: Fit) -> None:
        if raw.dtype != np.uint8 or raw.ndim != 4 or tuple(raw.shape[1:]) != fit.src:
            raise QlrError(f"images must be uint8 [N] + {fmt_shape(fit.src)}, got {raw.dtype} {raw.shape}")
        self.raw = raw
        self.fit = fit

    def __len__(self) -> int:
        return len(self.raw)

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.raw),) + self.fit.dst

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.uint8)

    @property
    def ndim(self) -> int:
        return 4

    def __getitem__(self, idx: Any) -> np.ndarray:
        if isinstance(idx, (int, np.integer)):
            return self.fit.apply(self.raw[[int(idx)]])[0]
        return self.fit.apply(self.raw[idx])

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self.fit.apply(self.raw)
        return out if dtype is None else out.astype(dtype)


def fitted(raw: np.ndarray, fit: Fit) -> np.ndarray | FittedImages:
    """``raw`` itself when the fit changes nothing, else a lazy `FittedImages`."""
    return raw if fit.identity else FittedImages(raw, fit)

"""Image helpers: scaling to float, padding/resizing, channel replication (all NHWC uint8)."""

from __future__ import annotations

import numpy as np

from qlr.errors import QlrError


def to_float(x: np.ndarray) -> np.ndarray:
    """The project's input convention: uint8 images -> float32 in [0, 1] (x / 255)."""
    if x.dtype != np.uint8:
        raise QlrError(f"to_float expects uint8 images, got {x.dtype}")
    return x.astype(np.float32) * np.float32(1.0 / 255.0)


def pad_to(x: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Zero-pad NHWC images to `size`, centred (an odd margin puts the extra row/column last)."""
    th, tw = (size, size) if isinstance(size, int) else size
    n, h, w, c = x.shape
    if th < h or tw < w:
        raise QlrError(f"cannot pad {h}x{w} images to the smaller size {th}x{tw} (use resize)")
    top, left = (th - h) // 2, (tw - w) // 2
    out = np.zeros((n, th, tw, c), x.dtype)
    out[:, top : top + h, left : left + w, :] = x
    return out


def resize(x: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Bilinear resize of NHWC images (pixel centres aligned, edges clamped), rounded back to x's dtype."""
    th, tw = (size, size) if isinstance(size, int) else size
    n, h, w, c = x.shape
    if (th, tw) == (h, w):
        return x.copy()

    def axis(src: int, dst: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pos = np.clip((np.arange(dst) + 0.5) * (src / dst) - 0.5, 0, src - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, src - 1)
        return lo, hi, (pos - lo).astype(np.float32)

    y0, y1, fy = axis(h, th)
    x0, x1, fx = axis(w, tw)
    xf = x.astype(np.float32)
    rows = xf[:, y0] * (1 - fy)[None, :, None, None] + xf[:, y1] * fy[None, :, None, None]
    out = rows[:, :, x0] * (1 - fx)[None, None, :, None] + rows[:, :, x1] * fx[None, None, :, None]
    if x.dtype == np.uint8:
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out.astype(x.dtype)


def fit(x: np.ndarray, size: int | tuple[int, int] | None, mode: str = "pad",
        channels: int | None = None) -> np.ndarray:
    """Bring NHWC images to `size` by "pad" or "resize", and replicate 1 channel to `channels`."""
    if size is not None:
        if mode == "pad":
            x = pad_to(x, size)
        elif mode == "resize":
            x = resize(x, size)
        else:
            raise QlrError(f"mode must be 'pad' or 'resize', got {mode!r}")
    if channels is not None and channels != x.shape[3]:
        if x.shape[3] != 1:
            raise QlrError(f"can only replicate single-channel images, these have {x.shape[3]} channels")
        x = np.repeat(x, channels, axis=3)
    return x

"""What every network builder shares: argument checks and seeded He-normal initialisation."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from qlr.errors import QlrError


def check_builder_args(width: float, activation: str, num_classes: int, in_channels: int) -> None:
    if not width > 0:
        raise QlrError(f"width multiplier must be > 0, got {width}")
    if activation not in ("relu", "relu6"):
        raise QlrError(f"activation must be 'relu' or 'relu6', got {activation!r}")
    if num_classes < 1 or in_channels < 1:
        raise QlrError("num_classes and in_channels must be >= 1")


def he_normal(seed: int, dtype: type = np.float32) -> Callable[..., np.ndarray]:
    """``he(shape, fan_in, gain=2)``: normal weights of std sqrt(gain / fan_in), from one seeded stream."""
    rng = np.random.default_rng(seed)

    def he(shape: tuple[int, ...], fan_in: int, gain: float = 2.0) -> np.ndarray:
        return (rng.standard_normal(shape) * np.sqrt(gain / fan_in)).astype(dtype)

    return he

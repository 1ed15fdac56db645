"""`PlanConfig`: the continual-learning settings that decide memory."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from qlr.errors import QlrError

Q_MIN, Q_MAX = 1, 8


@dataclass(frozen=True)
class PlanConfig:
    """The continual-learning settings that decide memory.

    n_lr: latents in the LR memory; q_lr: bits per latent element (1..8); mb: mini-batch (new +
    replayed latents per SGD step); n_new: most new images in one learning event; epochs: passes
    over the event's data; per_channel: one LR scale per latent channel instead of one per tensor;
    momentum: SGD momentum (0 = no momentum buffers); n_eval: test images kept on the device for
    evaluation (0 = none). Expert settings: micro_batch > 0 imposes the micro-batch instead of
    letting the plan choose; stream_all moves every tensor that can stream to L3 (to measure the
    L3 traffic, or to exercise every streaming path on a board with L2 to spare).
    """

    n_lr: int
    q_lr: int
    mb: int = 128
    n_new: int = 128
    epochs: int = 4
    per_channel: bool = False
    momentum: float = 0.9
    n_eval: int = 0
    micro_batch: int = 0
    stream_all: bool = False

    def __post_init__(self) -> None:
        def need_int(name: str, lo: int, hi: int | None = None) -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise QlrError(f"plan config: field '{name}' must be an int, got {v!r}")
            if v < lo or (hi is not None and v > hi):
                rng = f"{lo}..{hi}" if hi is not None else f">= {lo}"
                raise QlrError(f"plan config: field '{name}' must be {rng}, got {v}")

        need_int("n_lr", 0)
        need_int("q_lr", Q_MIN, Q_MAX)
        need_int("mb", 1)
        need_int("n_new", 0)
        need_int("epochs", 1)
        need_int("n_eval", 0)
        need_int("micro_batch", 0, self.mb)
        if not (isinstance(self.momentum, (int, float)) and math.isfinite(self.momentum) and self.momentum >= 0):
            raise QlrError(f"plan config: field 'momentum' must be a finite number >= 0, got {self.momentum!r}")

    @classmethod
    def from_content(cls, content: Any, **overrides: Any) -> "PlanConfig":
        """Defaults from the image's LR memory (N, Q, scale per channel or not), then overrides
        (keys whose value is None are ignored)."""
        d: dict[str, Any] = {}
        lr = getattr(content, "lr", None)
        if lr is not None:
            d["n_lr"] = int(lr.codes.shape[0])
            d["q_lr"] = int(lr.bits)
            d["per_channel"] = int(getattr(lr.scale, "size", 1)) > 1
        d.update({k: v for k, v in overrides.items() if v is not None})
        for k in ("n_lr", "q_lr"):
            if k not in d:
                raise QlrError(f"plan config: the image has no LR memory, so '{k}' must be given")
        return cls(**d)

    @classmethod
    def of(cls, config: Any, **overrides: Any) -> "PlanConfig":
        """From any object carrying some of these fields (e.g. `qlr.cl.session.CLConfig`, which has
        no ``n_new`` or ``per_channel``: pass them here), then overrides (None values ignored)."""
        if isinstance(config, PlanConfig) and not overrides:
            return config
        names = ("n_lr", "q_lr", "mb", "n_new", "epochs", "per_channel", "momentum", "n_eval", "micro_batch",
                 "stream_all")
        d = {n: getattr(config, n) for n in names if hasattr(config, n)}
        d.update({k: v for k, v in overrides.items() if v is not None})
        if d.get("q_lr", 0) is None:
            raise QlrError("plan config: field 'q_lr' is None (FP32 latents): a device stores Q-bit codes, 1..8")
        return cls(**d)

"""The memory plan of the learning firmware: where every buffer of a learning session lives.

`plan_for(content, config, board, windows)` takes what a device will learn with (the image's
layer table, its int8 front-end and FP32 back-end parameters, the LR memory geometry), a
continual-learning configuration (`PlanConfig`: N_LR, Q_LR, mini-batch, new images per event,
epochs, momentum, test images on the device) and a board, and returns a `MemoryPlan`: every
`Allocation` at an offset inside the free window of one memory level. The plan is the single
source of truth: the device receives it (`encode_plan`, in CL_SETUP) and places every buffer
where it says; `qlr learn` computes it before it builds or starts anything and refuses a
configuration that does not fit; `qlr memreport` prints it next to what the ELF takes. Pure and
deterministic: the same inputs give the same plan.

Rules (docs/memory.md has them with examples):

- Windows: the part of a level the application may use, as the firmware's `qlr_mem_region`
  returns it; offsets are relative to the window's first byte; every allocation starts at a
  multiple of `ALIGN` (64 bytes, for the DMAs).
- L3 holds the LR memory (``lr.latents``, ``lr.labels``), the image as uploaded (``image``), the
  test images of evaluation (``eval.*``), and every tensor the plan streams.
- L2 holds, for the whole session, the front-end's int8 parameters, the back-end's FP32 weights,
  momentum (``opt.*``) and accumulated gradients (``grad.*``), the event's bookkeeping
  (``event.*``), the event's data (``data.*``) and, when anything is streamed, two staging
  buffers (``stage.0/1``); then one overlay region used by the front-end (``fe.buf.*``, one
  image's u8 activations) and, at other times, by training (``act.*``: the back-end's input and
  outputs for ``ub`` samples kept for the backward pass; ``grad.act.*``; ``stream.lr.0/1``:
  the packed latent rows of a micro-batch, double-buffered from L3).
- L1 is the kernel tile set (``tiles.kernel``), divided by the tiled executors into their
  double-buffered tiles.
- Streaming: an FP32 back-end weight of a pointwise or linear layer, its momentum and its
  gradient, an int8 front-end weight of a conv, pointwise or linear layer, and the event's
  images and new latents may live in L3 instead; the device streams them through the staging
  buffers by whole output rows. For each micro-batch ``ub`` (the mini-batch ``mb`` runs in
  micro-batches of ``ub`` samples, accumulating weight gradients) the plan moves tensors to L3,
  cheapest first in bytes moved per event per byte freed, until L2 fits; it keeps the
  micro-batch that moves the fewest bytes per event (ties: the larger).
- Fit: `plan_for` raises `PlanError` for the first level that does not fit, naming the level,
  the need, the budget, the excess, the biggest allocations and what would make it fit; with
  ``strict=False`` it returns the plan anyway (``plan.fits()`` is False) so a report can show it.
"""

from qlr.cl.plan.config import Q_MAX, Q_MIN, PlanConfig
from qlr.cl.plan.device import DevicePlan, decode_plan, encode_plan
from qlr.cl.plan.geometry import content_for_network
from qlr.cl.plan.layout import STAGE_CAP, micro_batches, plan_for, steps_per_event
from qlr.cl.plan.model import (ALIGN, CATEGORIES, LEVELS, PHASES, Allocation, MemoryPlan, PlanError, Window,
                               align_up, board_windows, fmt_bytes, packed_row_bytes)

__all__ = [
    "ALIGN", "CATEGORIES", "LEVELS", "PHASES", "Q_MAX", "Q_MIN", "STAGE_CAP", "Allocation", "DevicePlan",
    "MemoryPlan", "PlanConfig", "PlanError", "Window", "align_up", "board_windows", "content_for_network",
    "decode_plan", "encode_plan", "fmt_bytes", "micro_batches", "packed_row_bytes", "plan_for",
    "steps_per_event",
]

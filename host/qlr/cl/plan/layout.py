"""The placement rules of the memory plan (see `qlr.cl.plan` and docs/memory.md).

Every buffer of a learning session is an item with a size, a category, a phase and a home:
fixed in L1, L2 or L3, or "streamable" (L2 unless the plan moves it to L3, from where the device
streams it through two L2 staging buffers chunk by chunk). For each micro-batch ``ub`` the plan
moves streamable tensors to L3, cheapest first (the fewest bytes moved per event for each byte
of L2 freed), until L2 fits; of all the micro-batches that fit it keeps the one that moves the
fewest bytes per event (ties: the larger micro-batch).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

from qlr.cl.plan.config import PlanConfig
from qlr.cl.plan.device import encoded_size
from qlr.cl.plan.frontend import frontend_scratch
from qlr.cl.plan.geometry import Geometry, geometry
from qlr.cl.plan.model import (ALIGN, LEVELS, Allocation, MemoryPlan, PlanError, Window, align_up, board_windows,
                               fmt_bytes, packed_row_bytes)
from qlr.cl.policy import mixing
from qlr.errors import QlrError

STAGE_CAP = 256 * 1024  # bytes of one staging buffer at most: bigger chunks gain little


@dataclass(frozen=True)
class Item:
    name: str
    category: str
    size: int
    level: str               # where it lives unless moved: L1, L2 or L3
    phase: str = "all"
    row: int = 0             # streaming unit (bytes of one output row); 0 = cannot move to L3
    per_byte: float = 0.0    # bytes moved between L3 and L2 per event, per byte, once in L3
    stream: str = ""         # how it streams once in L3: "fe" (int8 weight rows), "be" (an FP32 weight,
                             # its momentum or its gradient: SGD brings all three), "data" (own buffers)


def steps_per_event(cfg: PlanConfig) -> int:
    """SGD steps of an event with n_new images once the LR memory is full (the usual case)."""
    if cfg.n_new == 0:
        return 0
    return cfg.epochs * mixing(cfg.n_new, cfg.n_lr, cfg.mb).iterations


def items(g: Geometry, cfg: PlanConfig, content: Any, ub: int, image_bytes: int, l1: int, fe_scratch: int) -> list[Item]:
    """Every buffer of the session at micro-batch ``ub``, in placement order. ``fe_scratch``: the
    bytes of the int8 front-end executor's scratch (`qlr.cl.plan.frontend.frontend_scratch`)."""
    e = g.latent_elems
    row = packed_row_bytes(e, cfg.q_lr)
    img = g.image_elems
    n_scales = g.latent_shape[2] if cfg.per_channel else 1
    lr = getattr(content, "lr", None)
    steps = steps_per_event(cfg)
    k = -(-cfg.mb // ub)  # micro-batches per step
    n_lr1 = max(cfg.n_lr, 1)
    out: list[Item] = [
        Item("lr.latents", "lr", cfg.n_lr * row, "L3"),
        Item("lr.labels", "lr", 2 * cfg.n_lr, "L3"),
        Item("eval.images", "data", cfg.n_eval * img, "L3"),
        Item("eval.labels", "data", 2 * cfg.n_eval, "L3"),
        # The image is read in place by the firmware's image reader, so it lives in L2 for now;
        # streaming its sections from L3 is the next step for networks bigger than L2.
        Item("image", "image", image_bytes, "L2"),
        Item("lr.scale", "lr", 4 * n_scales, "L2"),
    ]
    if cfg.per_channel or (lr is not None and getattr(lr, "code_max", None) is not None):
        out.append(Item("lr.code_max", "weights", n_scales, "L2"))
    for t in g.fe_params:
        movable = t.name.endswith(".weight") and t.row > 0
        out.append(Item(t.name, "weights", t.size, "L2", row=t.row if movable else 0,
                        per_byte=cfg.n_new + cfg.n_eval, stream="fe"))
    for t in g.be_params:
        out.append(Item(t.name, "weights", t.size, "L2", row=t.row, per_byte=(2 * k + 2) * steps, stream="be"))
    if cfg.momentum:
        for t in g.be_params:
            out.append(Item("opt." + t.name[3:], "optimizer", t.size, "L2", row=t.row, per_byte=2 * steps,
                            stream="be"))
    for t in g.be_params:
        out.append(Item("grad." + t.name[3:], "gradients", t.size, "L2", row=t.row, per_byte=2 * k * steps,
                        stream="be"))
    n_new = cfg.n_new
    out += [
        Item("event.labels", "event", 2 * n_lr1, "L2"),
        Item("event.perm_new", "event", 4 * n_new, "L2"),
        Item("event.perm_rep", "event", 4 * n_lr1, "L2"),
        Item("event.work", "event", 4 * max(n_new, n_lr1), "L2"),
        Item("event.new_index", "event", 4 * n_new, "L2"),
        Item("event.slots", "event", 4 * n_new, "L2"),
        Item("event.losses", "event", 4 * cfg.epochs * n_new, "L2"),
        Item("event.batch_labels", "event", 4 * cfg.mb, "L2"),
        Item("event.pred", "event", 4 * cfg.mb, "L2"),
        Item("event.row_loss", "event", 4 * ub, "L2"),
        Item("event.codes", "event", ub * row, "L2"),
        Item("eval.pred", "event", 2 * cfg.n_eval, "L2"),
        Item("data.images", "data", n_new * img, "L2", row=img, per_byte=1, stream="data"),
        Item("data.labels", "data", 2 * n_new, "L2"),
        Item("data.latents", "data", n_new * row, "L2", row=row, per_byte=1 + cfg.epochs, stream="data"),
    ]
    # The front-end executor's scratch holds its folded biases (kept between images), so it lives
    # the whole session; the image brought from L3 is needed only while the front-end runs.
    out.append(Item("fe.scratch", "activations", fe_scratch, "L2"))
    out.append(Item("fe.input", "activations", img, "L2", phase="front"))
    out.append(Item("act.input", "activations", 4 * ub * e, "L2", phase="train"))
    for i, n in g.be_outputs:
        out.append(Item(f"act.{i}", "activations", 4 * ub * n, "L2", phase="train"))
    out.append(Item("grad.act.0", "gradients", 4 * ub * g.be_max_elems, "L2", phase="train"))
    out.append(Item("grad.act.1", "gradients", 4 * ub * g.be_max_elems, "L2", phase="train"))
    for i, n in g.be_branch:
        out.append(Item(f"grad.act.acc.{i}", "gradients", 4 * ub * n, "L2", phase="train"))
    out.append(Item("stream.lr.0", "staging", ub * row, "L2", phase="train"))
    out.append(Item("stream.lr.1", "staging", ub * row, "L2", phase="train"))
    out.append(Item("tiles.kernel", "tiles", l1 // ALIGN * ALIGN, "L1"))
    # The plan itself, as the device reads it at CL_SETUP: room for every name here and the
    # staging buffers' (an upper bound: items of size 0 are not placed).
    names = [it.name for it in out] + ["stage.0", "stage.1", "plan"]
    out.append(Item("plan", "event", encoded_size(names), "L3"))
    return out


class _Placer:
    def __init__(self) -> None:
        self.allocs: list[Allocation] = []
        self.top: dict[str, int] = {lvl: 0 for lvl in LEVELS}

    def add(self, level: str, it: Item, streamed: bool = False, at: int | None = None) -> int:
        """Places `it` at the level's top (or at `at`); returns its end."""
        if it.size <= 0:
            return at if at is not None else self.top[level]
        off = align_up(self.top[level] if at is None else at)
        self.allocs.append(Allocation(level, it.name, it.category, off, int(it.size), ALIGN, it.phase, streamed))
        end = off + int(it.size)
        if at is None:
            self.top[level] = end
        return end


def stage_min(its: list[Item], moved: set[str]) -> int:
    """Bytes of one staging buffer that the moved tensors need at least: one row of a front-end
    weight, or one row of a back-end weight with its momentum and gradient (SGD reads all three)."""
    need = 0
    for it in its:
        if it.name in moved and it.stream in ("fe", "be"):  # data stream through their own buffers
            need = max(need, it.row if it.stream == "fe" else 3 * it.row)
    return align_up(need)


def place(its: list[Item], moved: set[str], stage: int) -> _Placer:
    p = _Placer()
    for it in its:
        if it.level == "L3":
            p.add("L3", it)
    for it in its:
        if it.name in moved:
            p.add("L3", it, streamed=True)
    for it in its:
        if it.level == "L2" and it.phase == "all" and it.name not in moved:
            p.add("L2", it)
    if stage:
        for s in (0, 1):
            p.add("L2", Item(f"stage.{s}", "staging", stage, "L2"))
    base = align_up(p.top["L2"])
    tops = [base]
    for phase in ("front", "train"):
        at = base
        for it in its:
            if it.level == "L2" and it.phase == phase:
                at = p.add("L2", it, at=at)
        tops.append(at)
    p.top["L2"] = max(tops)
    for it in its:
        if it.level == "L1":
            p.add("L1", it)
    return p


@dataclass
class _Choice:
    ub: int
    moved: set[str]
    stage: int
    cost: float
    placer: _Placer
    traffic: dict[str, int]


def _fit(its: list[Item], win: Mapping[str, Window], stream_all: bool = False) -> tuple[_Choice, bool]:
    """Move the cheapest tensors to L3 until L2 fits (a tensor L3 has no room for stays in L2), or
    every movable tensor with ``stream_all``; returns the choice and whether every level fits."""
    moved: set[str] = set()
    movable = sorted((it for it in its if it.row > 0 and it.level == "L2" and it.size > 0),
                     key=lambda it: (it.per_byte, -it.size, it.name))

    def fits(p: _Placer, lvls: tuple[str, ...] = LEVELS) -> bool:
        return all(p.top[lvl] <= win[lvl].size for lvl in lvls)

    p = place(its, moved, 0)
    for it in movable:
        if fits(p, ("L2",)) and not stream_all:
            break
        trial = moved | {it.name}
        q = place(its, trial, stage_min(its, trial))
        if q.top["L3"] > max(win["L3"].size, p.top["L3"]):
            continue  # L3 has no room for this one: leave it in L2
        moved, p = trial, q
    stage = stage_min(its, moved)
    ok = fits(p)
    if stage and ok:  # grow the staging buffers into the free L2 (bigger chunks, fewer hand-overs)
        useful = max(it.size * (1 if it.stream == "fe" else 3) for it in its
                     if it.name in moved and it.stream in ("fe", "be"))
        room = (win["L2"].size - p.top["L2"]) // 2
        grown = min(STAGE_CAP, useful, stage + room) // ALIGN * ALIGN
        if grown > stage:
            stage = grown
            p = place(its, moved, stage)
    traffic = {it.name: int(it.per_byte * it.size) for it in its if it.name in moved}
    return _Choice(0, moved, stage, float(sum(traffic.values())), p, traffic), ok


def micro_batches(mb: int) -> list[int]:
    """Every micro-batch size that gives a different number of micro-batches per step, largest first."""
    return sorted({-(-mb // k) for k in range(1, mb + 1)}, reverse=True)


def _hints(g: Geometry, cfg: PlanConfig, plan: MemoryPlan, its: list[Item], win: Mapping[str, Window]) -> dict[str, str]:
    """What would make each overflowing level fit."""
    out: dict[str, str] = {}
    if plan.used("L2") > win["L2"].size:
        fixed = [a for a in plan.at("L2") if not a.streamed and a.name not in {it.name for it in its if it.row > 0}]
        front = sum(a.size for a in plan.at("L2") if a.phase == "front")
        train = sum(a.size for a in plan.at("L2") if a.phase == "train")
        parts = [f"it fits a board with an L2 window of at least {fmt_bytes(plan.used('L2'))}"]
        if front >= train:
            parts.append(f"the front-end's activation buffers take {fmt_bytes(front)} (a smaller input size or "
                         "width shrinks them)")
        else:
            parts.append(f"the back-end's activations of one sample take {fmt_bytes(train)} (a later LR layer "
                         "shrinks them)")
        big = sorted(fixed, key=lambda a: -a.size)[:2]
        if big:
            parts.append("the biggest buffers that cannot move to L3: "
                         + ", ".join(f"{a.name} {fmt_bytes(a.size)}" for a in big))
        out["L2"] = "; ".join(parts)
    if plan.used("L3") > win["L3"].size:
        n_max = _largest_n_lr(g, cfg, its, win)
        row = packed_row_bytes(g.latent_elems, cfg.q_lr)
        if n_max == 0:
            fixed = [a for a in plan.at("L3") if not a.name.startswith("lr.")]
            hint = ("even without latents L3 cannot hold the rest: "
                    + ", ".join(f"{a.name} {fmt_bytes(a.size)}" for a in sorted(fixed, key=lambda a: -a.size)[:3]))
        else:
            hint = f"it fits with N_LR = {n_max} latents of {row} B at Q_LR {cfg.q_lr}"
            if cfg.q_lr > 1:
                hint += f", or N_LR = {_largest_n_lr(g, replace(cfg, q_lr=cfg.q_lr - 1), its, win)} at Q_LR {cfg.q_lr - 1}"
        out["L3"] = hint
    return out


def _largest_n_lr(g: Geometry, cfg: PlanConfig, its: list[Item], win: Mapping[str, Window]) -> int:
    """The largest N_LR (<= cfg.n_lr) that fits at micro-batch 1, where L2 needs least streaming
    and so L3 holds the most latents (a binary search over the same rules)."""
    image = next((it.size for it in its if it.name == "image"), 0)
    fe_scratch = next((it.size for it in its if it.name == "fe.scratch"), 0)

    def fits(n: int) -> bool:
        c = replace(cfg, n_lr=n)
        return _fit(items(g, c, None, 1, image, win["L1"].size, fe_scratch), win)[1]

    lo, hi = 0, cfg.n_lr
    if not fits(0):
        return 0
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid - 1)
    return lo


def plan_for(content: Any, config: Any, board: Any, windows: Mapping[str, Window] | None = None,
             strict: bool = True, image_bytes: int | None = None) -> MemoryPlan:
    """The memory plan of a learning session (see `qlr.cl.plan` for every rule).

    ``content``: an `ImageContent` (``layers``, ``front`` and ``lr`` are read); ``config``: a
    `PlanConfig` or any object with its fields; ``board``: a `qlr.boards.Board`; ``windows``: the
    free windows per level (default: the whole levels, `board_windows`); ``image_bytes``: the size
    of the image the device is given (default: the encoded size of ``content`` when it has
    parameters, else 0). With ``strict`` (the default) raises `PlanError` when the plan does not
    fit; otherwise returns it anyway (`MemoryPlan.fits()` is then False) so a report can show it.
    """
    cfg = PlanConfig.of(config)
    g = geometry(content)
    lr = getattr(content, "lr", None)
    if lr is not None and tuple(int(d) for d in lr.codes.shape[1:]) != g.latent_shape:
        raise QlrError(f"image: LR_LATENTS shape {tuple(lr.codes.shape[1:])} is not the latent shape {g.latent_shape}")
    win = dict(windows) if windows is not None else board_windows(board)
    for lvl in LEVELS:
        if lvl not in win:
            raise QlrError(f"memory plan: no window for level {lvl} on board {board.name}")
    if image_bytes is None:
        image_bytes = _image_bytes(content)
    w1 = win["L1"].size
    fe = frontend_scratch(content.layers, int(getattr(board, "team_max", 1)))
    best: _Choice | None = None
    candidates = [cfg.micro_batch] if cfg.micro_batch else micro_batches(cfg.mb)
    for ub in candidates:
        c, ok = _fit(items(g, cfg, content, ub, image_bytes, w1, fe), win, cfg.stream_all)
        if ok and (best is None or c.cost < best.cost):
            best = replace(c, ub=ub)
        if ok and c.cost == 0:
            break  # nothing streamed at the largest micro-batch that fits: nothing beats it
    fallback = best is None
    if best is None:  # report the least bad plan: the smallest micro-batch, what L3 can take moved there
        ub = candidates[-1]
        best = replace(_fit(items(g, cfg, content, ub, image_bytes, w1, fe), win, cfg.stream_all)[0], ub=ub)
    its = items(g, cfg, content, best.ub, image_bytes, w1, fe)
    row = packed_row_bytes(g.latent_elems, cfg.q_lr)
    kernel = next((a.size for a in best.placer.allocs if a.name == "tiles.kernel"), 0)
    data_level = next((a.level for a in best.placer.allocs if a.name == "data.images"), "L2")
    plan = MemoryPlan(board=board.name, config=cfg, windows=win, allocations=best.placer.allocs, ub=best.ub,
                      data_level=data_level, latent_shape=g.latent_shape, lr_row_bytes=row, stage_bytes=best.stage,
                      kernel_tile_bytes=kernel, traffic=int(best.cost), traffic_by_tensor=dict(best.traffic))
    plan.notes = _notes(plan)
    if fallback:
        plan.hints = _hints(g, cfg, plan, its, win)
    if kernel < 4 * ALIGN:
        raise PlanError(f"L1: the {board.name} L1 window has {w1} bytes, too small for the kernel tiles "
                        f"(needs at least {4 * ALIGN} bytes)", "L1", w1, 4 * ALIGN, ())
    if strict:
        plan.check()
    return plan


def _notes(plan: MemoryPlan) -> list[str]:
    cfg = plan.config
    notes = []
    if plan.ub < cfg.mb:
        notes.append(f"micro-batch {plan.ub} < mini-batch {cfg.mb}: L2 holds the activations of {plan.ub} "
                     f"sample{'s' if plan.ub > 1 else ''} at a time; weight gradients accumulate over "
                     f"{-(-cfg.mb // plan.ub)} micro-batches")
    streamed = plan.streamed
    if streamed:
        names = ", ".join(a.name for a in streamed[:6]) + (f" and {len(streamed) - 6} more" if len(streamed) > 6 else "")
        notes.append(f"{len(streamed)} tensors live in L3 and stream through two L2 staging buffers of "
                     f"{fmt_bytes(plan.stage_bytes)}: {names}; about {fmt_bytes(plan.traffic)} move between L3 "
                     "and L2 per learning event")
    return notes


def _image_bytes(content: Any) -> int:
    """The encoded size of an image with parameters (0 for a layer table alone)."""
    if not (getattr(content, "front", None) or getattr(content, "back", None)):
        return 0
    from qlr.image.content import encode_image

    try:
        return len(encode_image(content))
    except QlrError:
        return 0


__all__ = ["plan_for", "items", "place", "micro_batches", "steps_per_event"]

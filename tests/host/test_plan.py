"""The memory plan of a learning event (qlr.cl.plan): sizes, placement rules, micro-batch choice,
errors. Expected sizes are derived here by hand from the rules in docs/memory.md and from the
image writer's own section sizes, not from the plan's code."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest

from qlr.boards import load_board
from qlr.cl.plan import (
    ALIGN,
    CATEGORIES,
    LEVELS,
    MemoryPlan,
    PlanConfig,
    PlanError,
    Window,
    content_for_network,
    plan_for,
)
from qlr.errors import QlrError
from qlr.image import ImageContent, LRMemory, encode_image, parse_container
from qlr.image.content import validate_layers
from qlr.image.format import LAYER_HAS_BIAS, NO_INPUT, Kind, LayerRecord, Stage
from qlr.image.sample import sample_content
from qlr.model.mobilenet import mobilenet_v1

BOARD = load_board("qemu-rv32")


def chain_content(latent=(2, 2, 3), cin=4, classes=5, hidden: int | None = None) -> ImageContent:
    """Front-end: one pwconv (H, W, cin) -> latent; back-end: flatten, [linear hidden,] linear.

    Only the layer table (checked by the image reader's own rules) matters to the plan."""
    h, w, c = latent
    e = h * w * c
    recs = [LayerRecord(kind=Kind.PWCONV, stage=Stage.FRONT, flags=LAYER_HAS_BIAS, input0=NO_INPUT,
                        in_shape=(h, w, cin), out_shape=latent, act_max=255, in_scale=0.1, out_scale=0.1)]
    recs.append(LayerRecord(kind=Kind.FLATTEN, stage=Stage.BACK, input0=0, in_shape=latent, out_shape=(1, 1, e)))
    prev, width = 1, e
    if hidden:
        recs.append(LayerRecord(kind=Kind.LINEAR, stage=Stage.BACK, flags=LAYER_HAS_BIAS, input0=prev,
                                in_shape=(1, 1, width), out_shape=(1, 1, hidden)))
        prev, width = len(recs) - 1, hidden
    recs.append(LayerRecord(kind=Kind.LINEAR, stage=Stage.BACK, flags=LAYER_HAS_BIAS, input0=prev,
                            in_shape=(1, 1, width), out_shape=(1, 1, classes)))
    validate_layers(recs)
    return ImageContent(layers=recs)


def no_overlap_and_aligned(plan: MemoryPlan) -> None:
    for lvl in LEVELS:
        allocs = sorted(plan.at(lvl), key=lambda a: a.offset)
        for a in allocs:
            assert a.offset % 64 == 0 and a.align == 64, a
            assert a.size > 0, a
            assert a.category in CATEGORIES, a
        for a, b in zip(allocs, allocs[1:]):
            assert a.offset + a.size <= b.offset, (a, b)
        if plan.fits():
            assert all(a.offset + a.size <= plan.windows[lvl].size for a in allocs), lvl


# ---- LR memory size -----------------------------------------------------------------------------

@pytest.mark.parametrize("latent,q,per_channel", [
    ((1, 1, 12), 5, False),   # E*Q = 60 bits: 7.5 bytes -> 8
    ((1, 1, 7), 3, True),     # 21 bits -> 3 bytes, 7 scales
    ((1, 1, 1), 1, False),    # 1 bit -> 1 byte
    ((8, 8, 3), 7, True),     # 1344 bits = 168 bytes exactly
    ((3, 5, 1), 8, False),    # 15 bytes
    ((2, 5, 1), 6, False),    # 60 bits -> 8
    ((4, 4, 16), 4, True),    # 256 elements * 4 bits = 128 bytes, 16 scales
])
@pytest.mark.parametrize("n_lr", [1, 375, 1501])
def test_lr_size_is_n_times_packed_row_plus_labels_and_scales(latent, q, per_channel, n_lr):
    content = chain_content(latent)
    plan = plan_for(content, PlanConfig(n_lr=n_lr, q_lr=q, mb=16, n_new=4, per_channel=per_channel), BOARD)
    e = latent[0] * latent[1] * latent[2]
    scales = latent[2] if per_channel else 1
    want = n_lr * math.ceil(e * q / 8) + 2 * n_lr + 4 * scales
    assert plan.lr_bytes == want
    assert plan.get("lr.latents").size == n_lr * math.ceil(e * q / 8)
    assert {a.level for a in plan.allocations if a.category == "lr"} == {"L3"}
    no_overlap_and_aligned(plan)


def test_plan_sizes_equal_the_image_writers_section_sizes():
    """Every fe.*/be.*/lr.* section of a real image has an allocation of exactly its size."""
    content = sample_content(seed=3, lr_bits=5, lr_count=6, per_channel=True)
    secs = {s.name: s for s in parse_container(encode_image(content))}
    plan = plan_for(content, PlanConfig.from_content(content, mb=8, n_new=3), BOARD)
    names = [n for n in secs if n.startswith(("fe.", "be.", "lr."))]
    assert len(names) >= 20
    for n in names:
        assert plan.get(n).size == len(secs[n].data), n
    assert plan.lr_bytes == sum(len(secs[n].data) for n in ("lr.latents", "lr.labels", "lr.scale"))
    # the image's code maxima ride with the weights (L2), not in the LR memory
    assert plan.get("lr.code_max").level == "L2"


# ---- placement, buffers and the micro-batch ----------------------------------------------------

def test_buffer_sizes_follow_the_rules_for_a_small_chain():
    content = chain_content((2, 2, 3), cin=4, classes=5, hidden=7)
    ub = 6
    plan = plan_for(content, PlanConfig(n_lr=10, q_lr=8, mb=ub, n_new=3, momentum=0.9), BOARD)
    assert plan.ub == ub
    # front-end int8: pwconv 4 -> 3 with bias, per-channel requantization (no arrays: Cout each)
    assert [plan.get(f"fe.0.{p}").size for p in ("weight", "bias", "mult", "shift")] == [12, 12, 12, 3]
    # back-end FP32: linear 12 -> 7 (layer 2) and 7 -> 5 (layer 3), weights, momentum, gradients
    for pre in ("be", "opt", "grad"):
        assert plan.get(f"{pre}.2.weight").size == 4 * 7 * 12
        assert plan.get(f"{pre}.2.bias").size == 4 * 7
        assert plan.get(f"{pre}.3.weight").size == 4 * 5 * 7
    # activations of ub samples: input latent (12), outputs 7 and 5; the flatten takes nothing
    assert plan.get("act.input").size == 4 * ub * 12
    assert plan.get("act.2").size == 4 * ub * 7
    assert plan.get("act.3").size == 4 * ub * 5
    with pytest.raises(KeyError):
        plan.get("act.1")
    # activation gradients: two ping-pong buffers of the largest back-end tensor (12)
    assert plan.get("grad.act.0").size == plan.get("grad.act.1").size == 4 * ub * 12
    # front-end: two u8 buffers (a chain) of the largest tensor: input 2x2x4 = 16
    assert [a.size for a in plan.allocations if a.name.startswith("fe.buf.")] == [16, 16]
    # the event's data: 3 images of 16 bytes, 3 u16 labels, 3 new latents of 12 bytes
    assert [plan.get(n).size for n in ("data.images", "data.labels", "data.latents")] == [48, 6, 36]
    assert plan.data_level == "L2"
    no_overlap_and_aligned(plan)


def test_no_momentum_no_optimizer_buffers():
    content = chain_content()
    plan = plan_for(content, PlanConfig(n_lr=4, q_lr=8, mb=4, n_new=2, momentum=0.0), BOARD)
    assert plan.category_bytes("optimizer") == 0
    with_m = plan_for(content, PlanConfig(n_lr=4, q_lr=8, mb=4, n_new=2, momentum=0.9), BOARD)
    assert with_m.category_bytes("optimizer") == 4 * (5 * 12 + 5)  # linear 12 -> 5 with bias


def test_residual_add_needs_three_front_end_buffers():
    content = sample_content()  # conv1 -> dw1 -> pw1, add(conv1, pw1): conv1's output lives on
    plan = plan_for(content, PlanConfig.from_content(content, mb=4, n_new=2), BOARD)
    bufs = [a for a in plan.allocations if a.name.startswith("fe.buf.")]
    assert len(bufs) == 3
    # each as big as the largest u8 tensor: conv1's output 5x7x6 = 210 (the input is 9x7x2 = 126)
    assert all(a.size == 5 * 7 * 6 for a in bufs)


def test_plan_is_deterministic_and_json_able():
    content = sample_content(seed=1)
    cfg = PlanConfig.from_content(content, mb=32, n_new=5)
    a = plan_for(content, cfg, BOARD).to_dict()
    b = plan_for(content, cfg, BOARD).to_dict()
    assert a == b
    again = json.loads(json.dumps(a))
    assert again["ub"] == 32 and again["fits"] is True
    assert {x["name"] for x in again["allocations"]} >= {"lr.latents", "act.input", "tiles.kernel"}
    for x in again["allocations"]:
        assert set(x) == {"level", "name", "category", "offset", "size", "align"}


def _windows(l1: int, l2: int, l3: int) -> dict[str, Window]:
    return {"L1": Window("L1", l1), "L2": Window("L2", l2), "L3": Window("L3", l3)}


def _l2_need(content, cfg: PlanConfig) -> int:
    """L2 bytes of the plan at micro-batch == cfg.mb, data in L2 (a huge L2 keeps ub == mb)."""
    big = plan_for(content, cfg, BOARD, _windows(1 << 16, 1 << 30, 1 << 30))
    assert big.ub == cfg.mb
    return big.used("L2")


def test_ub_is_the_largest_micro_batch_that_fits_l2():
    content = chain_content((4, 4, 8), cin=3, classes=10, hidden=64)
    cfg = PlanConfig(n_lr=100, q_lr=7, mb=128, n_new=0)  # no data: L2 holds training buffers only
    full = _l2_need(content, cfg)
    plan = plan_for(content, cfg, BOARD, _windows(1 << 16, full, 1 << 30))
    assert plan.ub == 128
    plan = plan_for(content, cfg, BOARD, _windows(1 << 16, full - 1, 1 << 30))
    assert plan.ub == 127
    one = _l2_need(content, PlanConfig(n_lr=100, q_lr=7, mb=1, n_new=0))
    for frac in (0.7, 0.31, 0.05, 0.0):
        budget = one + int(frac * (full - one))
        plan = plan_for(content, cfg, BOARD, _windows(1 << 16, budget, 1 << 30))
        assert 1 <= plan.ub < 128
        assert plan.used("L2") <= budget
        # one more sample would not fit: the L2 need at mb = ub + 1
        bigger = PlanConfig(n_lr=100, q_lr=7, mb=plan.ub + 1, n_new=0)
        assert _l2_need(content, bigger) > budget
        no_overlap_and_aligned(plan)
        assert plan.get("act.input").size == 4 * plan.ub * 128
        # weight gradients are accumulated over micro-batches: their size does not shrink
        assert plan.get("grad.2.weight").size == 4 * 64 * 128


def test_plan_error_when_even_one_sample_does_not_fit_l2():
    content = chain_content((4, 4, 8), cin=3, classes=10, hidden=64)
    cfg = PlanConfig(n_lr=100, q_lr=7, mb=128, n_new=0)
    with pytest.raises(PlanError) as e:
        plan_for(content, cfg, BOARD, _windows(1 << 16, 20000, 1 << 30))
    msg = str(e.value)
    assert msg.startswith("L2:") and "micro-batch 1" in msg and "20000 bytes" in msg
    assert "over by" in msg and "be.2.weight" in msg  # the biggest allocation: 64 x 128 FP32
    assert e.value.level == "L2" and e.value.budget == 20000 and e.value.need > 20000
    assert isinstance(e.value, QlrError)
    # not strict: the same plan comes back, marked as not fitting
    plan = plan_for(content, cfg, BOARD, _windows(1 << 16, 20000, 1 << 30), strict=False)
    assert not plan.fits() and plan.ub == 1 and plan.overflows() == ["L2"]


def test_plan_error_names_l3_when_the_lr_memory_is_too_big():
    content = chain_content((8, 8, 64), cin=3)
    cfg = PlanConfig(n_lr=20000, q_lr=8, mb=8, n_new=0)  # 20000 * 4096 B = 78 MiB > 64 MiB
    with pytest.raises(PlanError) as e:
        plan_for(content, cfg, BOARD)
    assert e.value.level == "L3" and str(e.value).startswith("L3:") and "lr.latents" in str(e.value)
    assert e.value.budget == BOARD.memory["L3"].size


def test_data_goes_to_l3_when_it_does_not_fit_l2_and_back_to_l2_when_l3_is_full():
    content = chain_content((2, 2, 3), cin=4, classes=5)
    cfg = PlanConfig(n_lr=50, q_lr=8, mb=64, n_new=400)
    train = _l2_need(content, PlanConfig(n_lr=50, q_lr=8, mb=64, n_new=0))
    # L2 holds the training buffers at ub = 64 but not the 400 images (6.4 KiB) on top
    plan = plan_for(content, cfg, BOARD, _windows(1 << 16, train + 256, 1 << 20))
    assert plan.ub == 64 and plan.data_level == "L3"
    assert {plan.get(n).level for n in ("data.images", "data.labels", "data.latents")} == {"L3"}
    assert plan.get("data.images").offset >= plan.get("lr.scale").end  # after the LR memory
    # L2 room for everything: the data stay in L2
    plan = plan_for(content, cfg, BOARD, _windows(1 << 16, 1 << 20, 1 << 20))
    assert plan.ub == 64 and plan.data_level == "L2"
    # L3 only big enough for the LR memory: the data go to L2 at a smaller micro-batch
    lr_only = 50 * 12 + 2 * 50 + 4 + 2 * ALIGN
    plan = plan_for(content, cfg, BOARD, _windows(1 << 16, train + 256 + 9000, lr_only))
    assert plan.data_level == "L2" and plan.ub < 64 and plan.fits()


def test_l1_tiles_at_most_half_of_l1_and_chunked_rows():
    content = chain_content((8, 8, 64), cin=3)  # one latent row = 4096 elements
    win = _windows(8192, 1 << 24, 1 << 24)  # a quarter of L1 = 2048 bytes
    for q in (8, 7, 5):  # rows of 4096, 3584, 2560 bytes: more than a quarter, loaded in chunks
        plan = plan_for(content, PlanConfig(n_lr=10, q_lr=q, mb=16, n_new=2), BOARD, win)
        lr_tiles = plan.get("tiles.lr.0").size + plan.get("tiles.lr.1").size
        assert lr_tiles <= 4096 and plan.get("tiles.kernel").size <= 4096
        assert plan.lr_tile_rows == 0
        chunk = plan.lr_tile_bytes
        assert chunk % 64 == 0 and chunk % q == 0 and 2048 - 64 * q < chunk <= 2048
        no_overlap_and_aligned(plan)
    plan = plan_for(content, PlanConfig(n_lr=10, q_lr=3, mb=16, n_new=2), BOARD, win)
    assert plan.lr_tile_rows == 1 and plan.lr_tile_bytes == 1536  # one whole 1536-byte row fits
    # a big L1: whole rows, as many as a micro-batch (16), in each of the two buffers
    plan = plan_for(content, PlanConfig(n_lr=10, q_lr=2, mb=16, n_new=2), BOARD,
                    _windows(1 << 20, 1 << 24, 1 << 24))
    assert plan.lr_tile_rows == 16 and plan.get("tiles.lr.0").size == 16 * 1024


def test_config_errors_name_the_field():
    with pytest.raises(QlrError, match="'q_lr' must be 1..8, got 9"):
        PlanConfig(n_lr=1, q_lr=9)
    with pytest.raises(QlrError, match="'mb' must be >= 1"):
        PlanConfig(n_lr=1, q_lr=8, mb=0)
    with pytest.raises(QlrError, match="'momentum'"):
        PlanConfig(n_lr=1, q_lr=8, momentum=float("nan"))
    with pytest.raises(QlrError, match="no LR memory, so 'n_lr' must be given"):
        PlanConfig.from_content(chain_content())


def test_content_errors():
    with pytest.raises(QlrError, match="no NETWORK"):
        plan_for(ImageContent(), PlanConfig(n_lr=1, q_lr=8), BOARD)
    content = chain_content()
    content.layers = content.layers[:1]
    with pytest.raises(QlrError, match="no back-end"):
        plan_for(content, PlanConfig(n_lr=1, q_lr=8), BOARD)
    bad = chain_content((2, 2, 3))
    bad.lr = LRMemory(np.zeros((2, 1, 1, 5), np.uint8), np.zeros(2, int), 8, np.ones(1, np.float32))
    with pytest.raises(QlrError, match="LR_LATENTS shape"):
        plan_for(bad, PlanConfig(n_lr=2, q_lr=8), BOARD)


def test_every_board_fits_the_sample_at_the_papers_mini_batch():
    content = sample_content()
    for name in ("host", "qemu-rv32", "qemu-m4", "pulp-open", "stm32l476"):
        board = load_board(name)
        plan = plan_for(content, PlanConfig.from_content(content, mb=128, n_new=21), board)
        assert plan.fits() and plan.ub >= 1
        no_overlap_and_aligned(plan)


# ---- the paper's configurations (MobileNet-V1 1.0 @ 128, REFERENCE.md) --------------------------

@pytest.mark.parametrize("lr_layer,latent", [(19, (8, 8, 512)), (23, (4, 4, 512)), (27, (1, 1, 1024))])
def test_paper_lr_memory_sizes(lr_layer, latent):
    """LR shapes from the paper's table; sizes: l27 1500-3000 LRs 1.5-3 MB, l23 3000 at 7-8 bits
    21-25 MB, l19 3000 about 98 MB (REFERENCE.md)."""
    content = content_for_network(mobilenet_v1(1.0, 128, 50), lr_layer)
    e = latent[0] * latent[1] * latent[2]
    for n, q in ((1500, 8), (3000, 8), (3000, 7)):
        plan = plan_for(content, PlanConfig(n_lr=n, q_lr=q, mb=128, n_new=300), load_board("host"), strict=False)
        assert plan.latent_shape == latent
        assert plan.lr_bytes == n * math.ceil(e * q / 8) + 2 * n + 4
    mb = {19: (98.0, 98.7), 23: (21.0, 21.6), 27: (3.0, 3.1)}[lr_layer]  # 3000 LRs, 7 bits (l19, l27: 8)
    q = 7 if lr_layer == 23 else 8
    plan = plan_for(content, PlanConfig(n_lr=3000, q_lr=q), load_board("host"), strict=False)
    assert mb[0] <= plan.lr_bytes / 1e6 <= mb[1]


def test_paper_scale_does_not_fit_pulp_open_and_says_why():
    content = content_for_network(mobilenet_v1(1.0, 128, 50), 27)
    with pytest.raises(PlanError) as e:
        plan_for(content, PlanConfig(n_lr=1500, q_lr=8, mb=128, n_new=300), load_board("pulp-open"))
    # L2 first: the int8 front-end alone (3.2 M weights) is bigger than pulp-open's L2
    assert e.value.level == "L2" and "even at micro-batch 1" in str(e.value)
    assert "fe.26.weight (weights) 1.00 MiB" in str(e.value)  # pw13: 1024 x 1024 int8


def test_config_from_another_object_with_overrides():
    other = SimpleNamespace(lr_layer=19, n_lr=300, q_lr=6, epochs=2, mb=64, lr=0.01, momentum=0.0)
    cfg = PlanConfig.of(other, n_new=50, per_channel=True)
    assert (cfg.n_lr, cfg.q_lr, cfg.mb, cfg.n_new, cfg.epochs, cfg.per_channel, cfg.momentum) == (300, 6, 64, 50, 2, True, 0.0)
    plan = plan_for(chain_content(), other, BOARD)  # any object: n_new takes its default
    assert plan.config.n_lr == 300 and plan.category_bytes("optimizer") == 0
    with pytest.raises(QlrError, match="'q_lr' is None"):
        PlanConfig.of(SimpleNamespace(n_lr=10, q_lr=None))

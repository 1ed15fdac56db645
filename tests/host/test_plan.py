"""The memory plan of a learning event (qlr.cl.plan): sizes, placement rules, micro-batch choice,
errors. Expected sizes are derived here by hand from the rules in docs/memory.md and from the
image writer's own section sizes, not from the plan's code."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from qlr.boards import load_board
from qlr.cl.plan import (
    CATEGORIES,
    LEVELS,
    PHASES,
    MemoryPlan,
    PlanConfig,
    PlanError,
    Window,
    content_for_network,
    decode_plan,
    encode_plan,
    micro_batches,
    plan_for,
)
from qlr.cl.plan.frontend import slots
from qlr.cl.policy import mixing
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
    """Aligned, non-empty, known categories; buffers never overlap, except a front-end buffer with
    a training buffer (the overlay: they are never live at the same time)."""
    for lvl in LEVELS:
        allocs = sorted(plan.at(lvl), key=lambda a: a.offset)
        for a in allocs:
            assert a.offset % 64 == 0 and a.align == 64, a
            assert a.size > 0, a
            assert a.category in CATEGORIES and a.phase in PHASES, a
        for i, a in enumerate(allocs):
            for b in allocs[i + 1:]:
                if b.offset >= a.end:
                    break
                assert {a.phase, b.phase} == {"front", "train"}, (a, b)
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
    # the latents and labels in L3; the scales, read at every dequantization, in L2
    assert (plan.get("lr.latents").level, plan.get("lr.labels").level, plan.get("lr.scale").level) == ("L3", "L3", "L2")
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
    plan = plan_for(content, PlanConfig(n_lr=10, q_lr=8, mb=ub, n_new=3, momentum=0.9, epochs=2), BOARD)
    assert plan.ub == ub and not plan.streamed and plan.stage_bytes == 0
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
    # the front-end executor's scratch: folded biases (3 x int32 = 12 B, 64-byte rounded) and one
    # activation slot (a single layer; its output 2x2x3 = 12 B, rounded); pointwise needs no kernel
    # scratch. An image brought from L3 (2x2x4 = 16 B) while the front-end runs.
    assert plan.get("fe.scratch").size == 64 + 64 and plan.get("fe.scratch").phase == "all"
    assert plan.get("fe.input").size == 16 and plan.get("fe.input").phase == "front"
    # the event's data: 3 images of 16 bytes, 3 u16 labels, 3 new latents of 12 bytes (8-bit rows)
    assert [plan.get(n).size for n in ("data.images", "data.labels", "data.latents")] == [48, 6, 36]
    assert plan.data_level == "L2"
    # the event's bookkeeping: label mirror (u16 x N_LR), permutations, slots, losses (epochs x n_new),
    # the mini-batch's labels and predictions (mb), per-sample losses and codes of a micro-batch
    sizes = {n: plan.get(f"event.{n}").size for n in ("labels", "perm_new", "perm_rep", "work", "new_index", "slots",
                                                       "losses", "batch_labels", "pred", "row_loss", "codes")}
    assert sizes == {"labels": 20, "perm_new": 12, "perm_rep": 40, "work": 40, "new_index": 12, "slots": 12,
                     "losses": 4 * 2 * 3, "batch_labels": 24, "pred": 24, "row_loss": 24, "codes": 6 * 12}
    # the packed rows of a micro-batch, double-buffered, and the kernel tiles: all of L1
    assert plan.get("stream.lr.0").size == plan.get("stream.lr.1").size == ub * 12
    assert plan.get("tiles.kernel").size == plan.windows["L1"].size and plan.get("tiles.kernel").level == "L1"
    no_overlap_and_aligned(plan)


def test_front_end_and_training_buffers_share_one_overlay():
    content = chain_content((2, 2, 3), cin=4, classes=5, hidden=7)
    plan = plan_for(content, PlanConfig(n_lr=10, q_lr=8, mb=6, n_new=3), BOARD)
    front = [a for a in plan.at("L2") if a.phase == "front"]
    train = [a for a in plan.at("L2") if a.phase == "train"]
    steady = [a for a in plan.at("L2") if a.phase == "all"]
    assert {a.name for a in front} == {"fe.input"}
    assert {"act.input", "act.2", "act.3", "grad.act.0", "grad.act.1", "stream.lr.0"} <= {a.name for a in train}
    start = min(a.offset for a in front + train)
    assert start == min(a.offset for a in front) == min(a.offset for a in train)  # the same region
    assert start >= max(a.end for a in steady)  # after everything that lives all the time
    span = max(a.end for a in front + train) - start
    assert plan.used("L2") == start + span
    # the region is as big as the bigger of the two phases, not their sum
    assert span == max(max(a.end for a in front), max(a.end for a in train)) - start
    assert plan.overlay("L2")["span"] == span and plan.overlay("L1") == {}
    no_overlap_and_aligned(plan)


def test_no_momentum_no_optimizer_buffers():
    content = chain_content()
    plan = plan_for(content, PlanConfig(n_lr=4, q_lr=8, mb=4, n_new=2, momentum=0.0), BOARD)
    assert plan.category_bytes("optimizer") == 0
    with_m = plan_for(content, PlanConfig(n_lr=4, q_lr=8, mb=4, n_new=2, momentum=0.9), BOARD)
    assert with_m.category_bytes("optimizer") == 4 * (5 * 12 + 5)  # linear 12 -> 5 with bias


def test_residual_add_needs_three_front_end_slots():
    content = sample_content()  # conv1 -> dw1 -> pw1, add(conv1, pw1): conv1's output lives on
    front = [r for r in content.layers if r.stage == 0]
    assert slots(front, len(front)) == 3
    chain = chain_content()
    assert slots(chain.layers[:1], 1) == 1


def test_plan_is_deterministic_and_json_able():
    content = sample_content(seed=1)
    cfg = PlanConfig.from_content(content, mb=32, n_new=5)
    a = plan_for(content, cfg, BOARD).to_dict()
    b = plan_for(content, cfg, BOARD).to_dict()
    assert a == b
    again = json.loads(json.dumps(a))
    assert again["ub"] == 32 and again["fits"] is True
    assert {x["name"] for x in again["allocations"]} >= {"lr.latents", "act.input", "tiles.kernel", "image", "plan"}
    for x in again["allocations"]:
        assert set(x) == {"level", "name", "category", "offset", "size", "align", "phase", "streamed"}


def _windows(l1: int, l2: int, l3: int) -> dict[str, Window]:
    return {"L1": Window("L1", l1), "L2": Window("L2", l2), "L3": Window("L3", l3)}


def test_micro_batches_are_the_balanced_splits_of_the_mini_batch():
    # k micro-batches of ceil(mb / k): 128 = 1 x 128, 2 x 64, 3 x 43, 4 x 32, 5 x 26, ... 128 x 1
    assert micro_batches(128)[:6] == [128, 64, 43, 32, 26, 22]
    assert micro_batches(128)[-3:] == [3, 2, 1]
    assert micro_batches(7) == [7, 4, 3, 2, 1]
    assert micro_batches(1) == [1]


def _l2_need(content, cfg: PlanConfig) -> int:
    """L2 bytes of the plan at micro-batch == cfg.mb with nothing streamed (a huge L2)."""
    big = plan_for(content, cfg, BOARD, _windows(1 << 16, 1 << 30, 1 << 30))
    assert big.ub == cfg.mb and not big.streamed
    return big.used("L2")


def test_with_nothing_to_stream_the_fewest_micro_batches_that_fit_win():
    # one linear layer straight on the latent: its weight (10 x 128 FP32) is the only movable
    # tensor, so a tight L2 forces either a smaller micro-batch or streaming
    content = chain_content((4, 4, 8), cin=3, classes=10)
    cfg = PlanConfig(n_lr=100, q_lr=7, mb=128, n_new=0, momentum=0.0)
    full = _l2_need(content, cfg)
    plan = plan_for(content, cfg, BOARD, _windows(1 << 16, full, 1 << 30))
    assert plan.ub == 128 and not plan.streamed and plan.traffic == 0
    # n_new = 0: no SGD steps, so streaming costs nothing per event and the full micro-batch stays
    plan = plan_for(content, cfg, BOARD, _windows(1 << 16, full - 4096, 1 << 30))
    assert plan.ub == 128 and {a.name for a in plan.streamed} <= {"be.2.weight", "grad.2.weight"}
    no_overlap_and_aligned(plan)


def test_streaming_moves_the_cheapest_tensors_first_and_keeps_the_cheapest_plan():
    content = chain_content((4, 4, 8), cin=3, classes=10, hidden=64)
    # mini-batch 1: no smaller micro-batch can make room, so L2 fits only by streaming
    cfg = PlanConfig(n_lr=100, q_lr=8, mb=1, n_new=32, epochs=2)
    full = _l2_need(content, cfg)
    w = 4 * 64 * 128  # be.2.weight, opt.2.weight, grad.2.weight: 32 KiB each
    # 1. a little short: the event's images go first (each byte moves once per event)
    plan = plan_for(content, cfg, BOARD, _windows(1 << 16, full - 100, 1 << 30))
    assert [a.name for a in plan.streamed] == ["data.images"] and plan.data_level == "L3"
    assert plan.stage_bytes == 0  # images stream through their own front-end buffer
    # 2. shorter: more tensors go, always the cheapest in bytes moved per event per byte of L2
    #    freed, by the rules: images 1, new latents 1 + epochs, front-end weights once per image,
    #    momentum 2 per SGD step, gradients 2 per micro-batch, weights 2 per micro-batch + 2
    steps = cfg.epochs * mixing(cfg.n_new, cfg.n_lr, cfg.mb).iterations  # SGD steps once the memory is full
    for short in (w // 2, w + w // 2, 2 * w + w // 2):
        plan = plan_for(content, cfg, BOARD, _windows(1 << 16, full - short, 1 << 30))
        k = math.ceil(cfg.mb / plan.ub)

        def per(name: str) -> int:
            if name.startswith("data."):
                return 1 if name == "data.images" else 1 + cfg.epochs
            return {"fe": cfg.n_new, "opt": 2 * steps, "grad": 2 * k * steps, "be": (2 * k + 2) * steps}[name.split(".")[0]]

        movable = {"data.images", "data.latents", "fe.0.weight", "opt.2.weight", "grad.2.weight", "be.2.weight",
                   "opt.3.weight", "grad.3.weight", "be.3.weight"}
        moved = {a.name for a in plan.streamed}
        assert moved and moved <= movable and plan.fits(), moved
        assert max(per(n) for n in moved) <= min(per(n) for n in movable - moved)
        # the staging buffers hold at least one row of every streamed parameter (a back-end
        # weight's row with its momentum's and its gradient's: SGD reads the three together)
        rows = {"fe.0.weight": 8, "2.weight": 3 * 4 * 128, "3.weight": 3 * 4 * 64}
        need = max(v for key, v in rows.items() for n in moved if n.endswith(key) and not n.startswith("data"))
        assert plan.stage_bytes >= need
        assert plan.get("stage.0").size == plan.get("stage.1").size == plan.stage_bytes
        for name in moved:
            assert plan.get(name).level == "L3" and plan.get(name).streamed
        # 3. the traffic is what the rules say, tensor by tensor
        want = {a.name: per(a.name) * a.size for a in plan.streamed}
        assert plan.traffic_by_tensor == want and plan.traffic == sum(want.values())
        no_overlap_and_aligned(plan)


def test_front_end_weights_stream_by_output_rows():
    """A front-end pointwise weight bigger than L2 allows goes to L3; a depthwise one cannot (its
    channels are not contiguous rows) and stays."""
    content = chain_content((2, 2, 200), cin=300, classes=5)  # fe.0.weight: 200 x 300 int8 = 60000 B
    cfg = PlanConfig(n_lr=10, q_lr=8, mb=1, n_new=4)
    full = _l2_need(content, cfg)
    plan = plan_for(content, cfg, BOARD, _windows(1 << 16, full - 30000, 1 << 30))
    assert plan.get("fe.0.weight").level == "L3"
    assert plan.stage_bytes >= 300  # one output row: 300 int8 weights
    for p in ("bias", "mult", "shift"):
        assert plan.get(f"fe.0.{p}").level == "L2"


def test_plan_error_when_even_one_sample_does_not_fit_l2():
    content = chain_content((4, 4, 8), cin=3, classes=10, hidden=64)
    cfg = PlanConfig(n_lr=100, q_lr=7, mb=128, n_new=0)
    with pytest.raises(PlanError) as e:
        plan_for(content, cfg, BOARD, _windows(1 << 16, 2000, 1 << 30))
    msg = str(e.value)
    assert msg.startswith("L2:") and "micro-batch 1" in msg and "2000 bytes" in msg
    assert "with every streamable tensor in L3" in msg and "over by" in msg
    assert "it fits a board with an L2 window of at least" in msg  # what would make it fit
    assert e.value.level == "L2" and e.value.budget == 2000 and e.value.need > 2000
    assert isinstance(e.value, QlrError)
    # not strict: the same plan comes back, marked as not fitting
    plan = plan_for(content, cfg, BOARD, _windows(1 << 16, 2000, 1 << 30), strict=False)
    assert not plan.fits() and plan.ub == 1 and plan.overflows() == ["L2"]
    assert plan.get("be.2.weight").level == "L3"


def test_plan_error_names_l3_when_the_lr_memory_is_too_big():
    content = chain_content((8, 8, 64), cin=3)
    cfg = PlanConfig(n_lr=20000, q_lr=8, mb=8, n_new=0)  # 20000 * 4096 B = 78 MiB > 64 MiB
    with pytest.raises(PlanError) as e:
        plan_for(content, cfg, BOARD)
    assert e.value.level == "L3" and str(e.value).startswith("L3:") and "lr.latents" in str(e.value)
    assert e.value.budget == BOARD.memory["L3"].size
    # what would fit: N_LR such that N_LR rows of 4096 B and labels of 2 B fit next to the rest
    n_max = int(str(e.value).split("N_LR = ")[1].split()[0])
    assert (n_max + 1) * 4098 > BOARD.memory["L3"].size - 4 * 64 and n_max * 4098 <= BOARD.memory["L3"].size
    plan_for(content, PlanConfig(n_lr=n_max, q_lr=8, mb=8, n_new=0), BOARD)  # and it does fit
    with pytest.raises(PlanError):
        plan_for(content, PlanConfig(n_lr=n_max + 1, q_lr=8, mb=8, n_new=0), BOARD)


def test_data_stay_in_l2_when_there_is_room_and_l3_holds_the_test_images():
    content = chain_content((2, 2, 3), cin=4, classes=5)
    cfg = PlanConfig(n_lr=50, q_lr=8, mb=64, n_new=400, n_eval=30)
    plan = plan_for(content, cfg, BOARD, _windows(1 << 16, 1 << 20, 1 << 20))
    assert plan.ub == 64 and plan.data_level == "L2" and not plan.streamed
    assert plan.get("eval.images").size == 30 * 16 and plan.get("eval.images").level == "L3"
    assert plan.get("eval.labels").size == 60 and plan.get("eval.pred").size == 60
    assert plan.get("eval.pred").level == "L2"


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


def test_paper_scale_streams_on_a_pulp_like_board_and_says_why_l19_does_not_fit():
    """MobileNet-V1 1.0 @ 128 on pulp-open (its 64 MiB HyperRAM; L2 a little smaller than the
    firmware leaves free): l27 runs with the big front-end weights in L3; l19 does not fit L2 even
    at micro-batch 1 and says what would."""
    net = mobilenet_v1(1.0, 128, 50)
    board = load_board("pulp-open")
    assert board.memory["L3"].size == 64 << 20
    win = _windows(56 * 1024, 1_450_000, board.memory["L3"].size)
    cfg = PlanConfig(n_lr=1500, q_lr=8, mb=128, n_new=100)
    plan = plan_for(content_for_network(net, 27), cfg, board, win)
    assert plan.get("fe.26.weight").level == "L3"  # pw13: 1024 x 1024 int8, streamed by rows
    assert plan.get("lr.latents").size == 1500 * 1024
    no_overlap_and_aligned(plan)
    with pytest.raises(PlanError) as e:
        plan_for(content_for_network(net, 19), PlanConfig(n_lr=300, q_lr=8, mb=128, n_new=100), board, win)
    assert e.value.level == "L2" and "even at micro-batch 1" in str(e.value)
    assert "a later LR layer" in str(e.value)


def test_config_from_another_object_with_overrides():
    other = SimpleNamespace(lr_layer=19, n_lr=300, q_lr=6, epochs=2, mb=64, lr=0.01, momentum=0.0)
    cfg = PlanConfig.of(other, n_new=50, per_channel=True)
    assert (cfg.n_lr, cfg.q_lr, cfg.mb, cfg.n_new, cfg.epochs, cfg.per_channel, cfg.momentum) == (300, 6, 64, 50, 2, True, 0.0)
    plan = plan_for(chain_content(), other, BOARD)  # any object: n_new takes its default
    assert plan.config.n_lr == 300 and plan.category_bytes("optimizer") == 0
    with pytest.raises(QlrError, match="'q_lr' is None"):
        PlanConfig.of(SimpleNamespace(n_lr=10, q_lr=None))


def test_device_plan_round_trips_and_rejects_damage():
    content = sample_content(seed=2)
    plan = plan_for(content, PlanConfig.from_content(content, mb=16, n_new=5, n_eval=7), BOARD)
    blob = encode_plan(plan)
    assert len(blob) <= plan.get("plan").size  # the plan has room for itself in L3
    back = decode_plan(blob)
    assert (back.ub, back.mb, back.n_new, back.n_eval, back.q_lr, back.row_bytes) == (16, 16, 5, 7, plan.config.q_lr,
                                                                                     plan.lr_row_bytes)
    assert list(back.allocations) == [replace(a, align=64) for a in plan.allocations]
    for at in (0, 8, 70, len(blob) - 1):  # magic, size, an entry, the CRC
        bad = bytearray(blob)
        bad[at] ^= 0x01
        with pytest.raises(QlrError, match="plan:"):
            decode_plan(bytes(bad))
    with pytest.raises(QlrError, match="shorter than its header|says"):
        decode_plan(blob[:40])
    not_fitting = plan_for(content, PlanConfig.from_content(content, mb=16, n_new=5), BOARD,
                           {"L1": Window("L1", 4096), "L2": Window("L2", 2000), "L3": Window("L3", 1 << 20)}, strict=False)
    with pytest.raises(QlrError, match="does not fit"):
        encode_plan(not_fitting)

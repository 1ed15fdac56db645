"""CL_SETUP takes the host's memory plan and refuses one it cannot obey, naming what is wrong,
on every board; after a refusal the firmware keeps serving and a good plan is accepted.

The plans are made with qlr.cl.plan for the board's real windows (INFO), then broken on purpose:
a flipped byte, a buffer past the window, two buffers that overlap, a missing buffer, a buffer
too small, and the image somewhere else than the plan says."""

from __future__ import annotations

import struct
import zlib
from dataclasses import replace

import numpy as np
import pytest
from cl_device import CLBoard, cl_board, small_mobilenet
from conftest import TARGETS

from qlr.boards import load_board
from qlr.cl.device.image_frontend import open_image
from qlr.cl.plan import MemoryPlan, PlanConfig, Window, plan_for
from qlr.cl.plan.device import ENTRY, FLAG_STREAMED, HEADER, MAGIC, VERSION
from qlr.cl.plan.model import CATEGORIES, LEVELS, PHASES
from qlr.image import LRMemory, encode_image
from qlr.image.pack import build_content
from qlr.link import LinkDeviceError
from qlr.link.commands import command
from qlr.link.link import info_int
from qlr.quant.ptq import quantize_front_end

SETUP = command("CL_SETUP")


@pytest.fixture(scope="module", params=list(TARGETS))
def cl(request):
    with cl_board(request) as b:
        yield b


def raw_encode(plan: MemoryPlan, allocations=None) -> bytes:
    """The device format of `plan` with these allocations, without the host's own checks."""
    allocs = plan.allocations if allocations is None else allocations
    c = plan.config
    body = b""
    for a in allocs:
        name = a.name.encode()
        body += ENTRY.pack(LEVELS.index(a.level), CATEGORIES.index(a.category), PHASES.index(a.phase),
                           FLAG_STREAMED if a.streamed else 0, a.offset, a.size, len(name), 0) + name + bytes(-len(name) % 4)
    head = HEADER.pack(MAGIC, VERSION, HEADER.size, HEADER.size + len(body) + 4, len(allocs), plan.ub, c.mb, c.n_lr,
                       c.q_lr, c.n_new, c.epochs, c.n_eval, plan.stage_bytes, plan.lr_row_bytes, 0, 0, 0)
    blob = head + body
    return blob + struct.pack("<I", zlib.crc32(blob))


def session(cl: CLBoard):
    """An image with a filled LR memory and the plan of a small session for it on this board."""
    net = small_mobilenet()
    front, back = net.fold_batchnorm().split(5)
    x = np.random.default_rng(1).integers(0, 256, (8,) + net.input_shape, dtype=np.uint8)
    content = build_content(quantize_front_end(front, x), back)
    lat = tuple(int(d) for d in [r for r in content.layers if r.stage == 0][-1].out_shape)  # the latent
    content.lr = LRMemory(np.zeros((3,) + lat, np.uint8), np.zeros(3, np.int64), 8, np.ones(1, np.float32))
    image = encode_image(content)
    info = cl.link.info()
    win = {"L1": Window("L1", info_int(info, "l1_size")), "L2": Window("L2", info_int(info, "l2_window")),
           "L3": Window("L3", info_int(info, "l3_window"))}
    plan = plan_for(content, PlanConfig(n_lr=6, q_lr=8, mb=4, n_new=4, epochs=1), load_board(cl.board), win,
                    image_bytes=len(image))
    open_image(cl.link, image, offset=plan.get("image").offset)
    return plan


def setup_with(cl: CLBoard, plan: MemoryPlan, blob: bytes) -> str:
    """CL_SETUP with `blob` written where `plan` keeps the plan; '' when accepted, else the message."""
    at = plan.get("plan").offset
    cl.link.mem_write("L3", at, blob)
    payload = SETUP.request.pack(plan=at, plan_len=len(blob), lr=0.01, momentum=0.9, weight_decay=0.0,
                                 rng=(1, 2, 3, 4), filled=3, updates=1, events=1, cores=1)
    try:
        cl.link.request(SETUP.code, payload)
    except LinkDeviceError as e:
        return e.device_message
    return ""


def test_setup_refuses_a_plan_it_cannot_obey_and_takes_a_good_one(cl: CLBoard) -> None:
    plan = session(cl)
    good = raw_encode(plan)
    allocs = list(plan.allocations)
    by = {a.name: i for i, a in enumerate(allocs)}
    window_l2 = plan.budget("L2")

    flipped = bytearray(good)
    flipped[HEADER.size + 5] ^= 0x10
    assert "CRC mismatch" in setup_with(cl, plan, bytes(flipped))

    past = list(allocs)
    past[by["act.input"]] = replace(allocs[by["act.input"]], offset=(window_l2 // 64) * 64, size=4096)
    msg = setup_with(cl, plan, raw_encode(plan, past))
    assert "buffer 'act.input' ends at" in msg and "past this board's window" in msg

    clash = list(allocs)
    clash[by["event.perm_new"]] = replace(allocs[by["event.perm_new"]], offset=allocs[by["event.labels"]].offset)
    assert "overlaps entry" in setup_with(cl, plan, raw_encode(plan, clash))

    missing = [a for a in allocs if a.name != "grad.act.1"]
    assert "no buffer 'grad.act.1'" in setup_with(cl, plan, raw_encode(plan, missing))

    small = list(allocs)
    small[by["event.losses"]] = replace(allocs[by["event.losses"]], size=4)
    msg = setup_with(cl, plan, raw_encode(plan, small))
    assert "buffer 'event.losses' is 4 bytes, the firmware needs" in msg

    moved = list(allocs)
    img = allocs[by["image"]]
    moved[by["image"]] = replace(img, offset=plan.used("L2") + 64 * 64)
    if moved[by["image"]].end <= window_l2:
        assert "not where the plan's buffer 'image' is" in setup_with(cl, plan, raw_encode(plan, moved))

    assert setup_with(cl, plan, good) == ""  # still serving, and the real plan is obeyed


def test_the_running_firmware_has_the_windows_memreport_reads_from_its_elf(cl: CLBoard) -> None:
    """qlr learn plans with the windows the running firmware reports (INFO); qlr memreport with
    those of the ELF: they must be the same, or a configuration memreport calls fitting could be
    refused (or the reverse)."""
    from conftest import build_once

    from qlr.report.elf import windows_from_elf

    info = cl.link.info()
    live = {"L1": info_int(info, "l1_size"), "L2": info_int(info, "l2_window"), "L3": info_int(info, "l3_window")}
    board = load_board(cl.board)
    if board.platform == "host":
        # heap buffers: the plan without an ELF uses the whole levels, which is what they are
        assert live == {lvl: board.memory[lvl].size for lvl in live}
        return
    variant = "asan" if cl.target.endswith("-asan") else ""
    elf = build_once(cl.board, variant) / "cl.elf"
    assert live == {lvl: w.size for lvl, w in windows_from_elf(elf, board).items()}

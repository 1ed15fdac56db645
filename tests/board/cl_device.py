"""Shared by the CL firmware's board tests: one `cl.elf` per board per test module, and cheap
image edits on the device (only the bytes that differ from the image already there are sent)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import pytest
from conftest import board_link

from qlr.cl.device.image_frontend import IMAGE_OPEN
from qlr.link import Link, LinkDeviceError
from qlr.model.graph import Layer, Network
from qlr.model.mobilenet import mobilenet_v1


@dataclass
class CLBoard:
    link: Link
    target: str
    board: str
    team_max: int

    @property
    def slow(self) -> bool:
        """Boards where every byte and instruction is expensive (QEMU's UART, GVSoC)."""
        return self.target not in ("host", "host-asan")

    def cores_to_test(self) -> list[int]:
        """1, an uneven split and the whole team."""
        return sorted({1, min(3, self.team_max), self.team_max})


@contextlib.contextmanager
def cl_board(request: pytest.FixtureRequest):
    """Starts cl.elf on request.param's board (skips boards not selected or without GVSoC)."""
    with board_link(request, "cl", gvsoc_timeout=180.0) as (link, handle):
        yield CLBoard(link, handle.target, handle.board, handle.team_max)


def write_diff(link: Link, offset: int, old: bytes, new: bytes) -> None:
    """Make the device's L2 at `offset` hold `new` where it held `old`: send only differing runs
    (runs closer than 32 bytes are merged) and the bytes past the end of `old`."""
    n = min(len(old), len(new))
    i = 0
    while i < n:
        if old[i] == new[i]:
            i += 1
            continue
        j = i
        k = i
        while k < n and k - j < 32:
            if old[k] != new[k]:
                j = k
            k += 1
        link.mem_write("L2", offset + i, new[i:j + 1])
        i = j + 1
    if len(new) > len(old):
        link.mem_write("L2", offset + len(old), new[len(old):])


def open_raw(link: Link, offset: int, size: int) -> tuple[bool, str]:
    """CL_IMAGE_OPEN on bytes already in L2: (accepted, device message or '')."""
    try:
        link.request(IMAGE_OPEN.code, IMAGE_OPEN.request.pack(offset=offset, size=size))
    except LinkDeviceError as e:
        return False, e.device_message
    return True, ""


def small_mobilenet(blocks: int = 3, width: float = 0.125, input_size: tuple[int, int] = (13, 11),
                    in_channels: int = 3, classes: int = 4, seed: int = 2):
    """MobileNet-V1's first `blocks` depthwise-separable blocks (paper indices 0..2*blocks) at odd
    input sizes, then global pooling and a linear head: a few kB of weights, so images stay small
    on the slow links. BatchNorm statistics are randomised so folding and PTQ have work to do."""
    full = mobilenet_v1(width=width, input_size=input_size, num_classes=classes, in_channels=in_channels, seed=seed)
    last = 2 * blocks
    keep = [lay for lay in full.layers if lay.index is not None and lay.index <= last]
    rng = np.random.default_rng(seed + 100)
    for lay in keep:
        if lay.kind == "batchnorm":
            c = lay.params["gamma"].shape[0]
            lay.params.update(gamma=np.asarray(1 + 0.2 * rng.standard_normal(c)).astype(np.float32),
                              beta=np.asarray(0.1 * rng.standard_normal(c)).astype(np.float32),
                              mean=np.asarray(0.1 * rng.standard_normal(c)).astype(np.float32),
                              var=np.asarray(rng.uniform(0.5, 1.5, c)).astype(np.float32))
    c_out = next(lay for lay in reversed(keep) if lay.kind == "pwconv").params["weight"].shape[0]
    head = [Layer("pool", "global_avgpool", index=last + 1), Layer("flatten", "flatten", index=last + 2),
            Layer("fc", "linear", {"out_features": classes}, index=last + 2,
                  params={"weight": (rng.standard_normal((classes, c_out)) / np.sqrt(c_out)).astype(np.float32),
                          "bias": np.zeros(classes, np.float32)})]
    return Network((input_size[0], input_size[1], in_channels), keep + head, meta={"test": "small_mobilenet"})

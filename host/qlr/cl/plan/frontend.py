"""The int8 front-end executor's scratch, as the firmware computes it (firmware/cl/frontend.c,
`qlr_frontend_plan`): folded biases, activation slots and the largest kernel scratch.

The plan needs this figure before any firmware runs, so it is computed here by the same rules;
tests/board/test_cl_plan_device.py checks it against what each board's firmware reports
(CL_IMAGE_OPEN's ``frontend_scratch``) for several networks, so a change on either side that is
not made on the other fails a test.
"""

from __future__ import annotations

from typing import Any, Sequence

from qlr.cl.plan.geometry import ADD, CONV2D, DWCONV2D, FLATTEN, LINEAR, NO_INPUT, PWCONV
from qlr.cl.plan.model import align_up
from qlr.errors import QlrError

MAX_SLOTS = 8         # QLR_FRONTEND_MAX_SLOTS
MAX_LAYERS = 96       # QLR_FRONTEND_MAX_LAYERS
DW_TAP_BYTES = 16     # TAP_BYTES of firmware/kernels/s8/dwconv2d_s8.c


def _root(layers: Sequence[Any], i: int) -> int:
    """The layer whose buffer holds layer i's output (-1: the network input); flatten is a view."""
    for _ in range(len(layers) + 1):
        r = layers[i]
        if r.kind != FLATTEN:
            return i
        if r.input0 == NO_INPUT:
            return -1
        i = r.input0
    return -1


def _last_use(layers: Sequence[Any], f: int, r: int) -> int:
    if _root(layers, f - 1) == r:
        return f  # holds the latent: lives to the end
    last = -1
    for j in range(r + 1, f):
        lay = layers[j]
        for s in (lay.input0, lay.input1 if lay.kind == ADD else NO_INPUT):
            if s != NO_INPUT and _root(layers, s) == r:
                last = j
    return last


def slots(layers: Sequence[Any], f: int) -> int:
    """Activation slots alive at once: the lowest free slot for each output, freed after its last
    reader (the firmware's assign_slots)."""
    owner = [-1] * MAX_SLOTS
    until = [-1] * MAX_SLOTS
    n = 0
    for i in range(f):
        if layers[i].kind == FLATTEN:
            continue
        for s in range(MAX_SLOTS):
            if owner[s] >= 0 and until[s] < i:
                owner[s] = -1
        free = [s for s in range(MAX_SLOTS) if owner[s] < 0]
        if not free:
            raise QlrError(f"front-end: more than {MAX_SLOTS} layer outputs alive at once (layer {i})")
        s = free[0]
        owner[s], until[s] = i, _last_use(layers, f, i)
        n = max(n, s + 1)
    return n


def _out_size(n: int, k: int, stride: int, p0: int, p1: int) -> int:
    span = n + p0 + p1
    return 0 if span < k or stride == 0 else (span - k) // stride + 1


def kernel_scratch(r: Any, cores: int) -> int:
    """Scratch of one layer's kernel on `cores` cores (conv2d: two im2col rows per core; depthwise:
    centred weights and a row of accumulators per core)."""
    if r.kind == CONV2D:
        return cores * 2 * align_up(int(r.kernel[0]) * int(r.kernel[1]) * int(r.in_shape[2]), 4)
    if r.kind == DWCONV2D:
        ow = _out_size(int(r.in_shape[1]), int(r.kernel[1]), int(r.stride[1]), int(r.padding[2]), int(r.padding[3]))
        return cores * (int(r.kernel[0]) * int(r.kernel[1]) + ow) * DW_TAP_BYTES
    return 0


def frontend_scratch(layers: Sequence[Any], cores: int) -> int:
    """Bytes of `qlr_frontend_scratch_size` for the FRONT layers of `layers` on `cores` cores."""
    front = [r for r in layers if r.stage == 0]
    f = len(front)
    if f == 0:
        return 0
    if f > MAX_LAYERS:
        raise QlrError(f"front-end: {f} layers, the firmware runs at most {MAX_LAYERS}")
    bias = sum(4 * int(r.out_shape[2]) for r in front if r.kind in (CONV2D, DWCONV2D, PWCONV, LINEAR))
    act = max((int(r.out_shape[0]) * int(r.out_shape[1]) * int(r.out_shape[2]) for r in front if r.kind != FLATTEN),
              default=0)
    ks = max(kernel_scratch(r, cores) for r in front)
    return align_up(bias) + slots(front, f) * align_up(act) + align_up(ks)

"""The host's replica of the device's MEM_FILL (firmware/app/kernel_commands.c), so that a test can
have large inputs generated on the device (no link transfer) and still know them exactly.

DeviceKernels.run(spec, None, params, fill_seed=S) fills every input tensor t with the xorshift32
stream seeded (S + offset of t in the L2 layout) | 1: f32 tensors get
(float)(int32)(x >> 8) / 2^23 - 1 (exact in float32, in [-1, 1)), byte tensors get x >> 24.
"""

from __future__ import annotations

import numpy as np

from qlr.kernels.run import layout
from qlr.kernels.spec import Arrays, OpSpec, Params


def _xorshift32(seed: int, count: int) -> np.ndarray:
    x = seed & 0xFFFFFFFF
    out = np.empty(count, dtype=np.uint32)
    for i in range(count):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out[i] = x
    return out


def filled_inputs(spec: OpSpec, params: Params, fill_seed: int) -> Arrays:
    """The input arrays the device generates for run(spec, None, params, fill_seed=fill_seed)."""
    lay = layout(spec, params)
    arrays: Arrays = {}
    for t in spec.inputs():
        shape = t.shape_for(params)
        n = int(np.prod(shape, dtype=np.int64))
        seed = ((fill_seed or 1) + lay.offsets[t.name]) | 1
        if t.dtype == "float32":
            x = _xorshift32(seed, n)
            v = (x >> np.uint32(8)).astype(np.int32).astype(np.float32)
            arrays[t.name] = (v / np.float32(8388608.0) - np.float32(1.0)).astype(np.float32).reshape(shape)
        else:
            x = _xorshift32(seed, lay.sizes[t.name])
            arrays[t.name] = (x >> np.uint32(24)).astype(np.uint8).view(t.dtype)[:n].reshape(shape)
    return arrays

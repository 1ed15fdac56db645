"""Run an op on the golden model or on a device over the link.

Device path (docs/link-protocol.md, "Kernel ops"): the tensors are laid out one after another in
the device's L2 window (each at a 64-byte aligned offset), the inputs are written with MEM_WRITE
(or filled on the device with MEM_FILL for benchmarks), KERNEL_RUN runs the op and returns the
counter delta (cycles, or instructions under QEMU) and the MAC count, and the outputs are read
back with MEM_READ.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qlr.errors import QlrError
from qlr.kernels.spec import Arrays, OpSpec, Params
from qlr.link import Link
from qlr.link.commands import command, kernel_status_name
from qlr.link.errors import LinkDeviceError, LinkProtocolError
from qlr.link.link import info_int

KERNEL_RUN, KERNEL_LIST, MEM_FILL = command("KERNEL_RUN"), command("KERNEL_LIST"), command("MEM_FILL")
L3_BENCH = command("L3_BENCH")
TENSOR_ALIGN = 64


@dataclass
class KernelResult:
    op: str
    params: Params
    outputs: Arrays
    counter: int = 0            # device counter delta of the run (0 on golden)
    unit: str = ""              # "cycles", "instructions", "ns"
    macs: int = 0
    cores: int = 1
    board: str = "golden"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def macs_per_unit(self) -> float:
        return self.macs / self.counter if self.counter else float("nan")


def resolve_params(spec: OpSpec, arrays: Arrays, given: Params | None = None) -> Params:
    """Parameters of a call: derived from the array shapes, then the given ones (a given value
    that contradicts a derived one is an error), then defaults. Names every missing one."""
    given = dict(given or {})
    known = {p.name for p in spec.params}
    unknown = sorted(set(given) - known)
    if unknown:
        raise QlrError(f"op {spec.name}: unknown parameter(s) {', '.join(unknown)}; "
                       f"it takes {', '.join(p.name for p in spec.params)}")
    missing_arrays = [t.name for t in spec.inputs() if t.name not in arrays]
    if missing_arrays:
        raise QlrError(f"op {spec.name}: missing input array(s) {', '.join(missing_arrays)}")
    derived = spec.derive(arrays)
    out: Params = {}
    for p in spec.params:
        if p.name in derived and p.name in given and derived[p.name] != given[p.name]:
            raise QlrError(f"op {spec.name}: parameter {p.name}={given[p.name]} contradicts the arrays, "
                           f"which imply {p.name}={derived[p.name]}")
        if p.name in given:
            out[p.name] = given[p.name]
        elif p.name in derived:
            out[p.name] = derived[p.name]
        elif p.default is not None:
            out[p.name] = p.default
        else:
            raise QlrError(f"op {spec.name}: parameter {p.name!r} is required ({p.doc or 'no default'})")
    return out


def check_params(spec: OpSpec, params: Params) -> None:
    """Every parameter within its range (the same ranges the firmware checks)."""
    for p in spec.params:
        bad = p.check(params[p.name])
        if bad:
            raise QlrError(f"op {spec.name}: {bad}")


def complete_params(spec: OpSpec, given: Params) -> Params:
    """Every parameter of `spec`: the given value, else the default (entries `spec` does not take
    are dropped); a parameter with neither is a QlrError naming it. For calls without input arrays
    (benchmarks, inputs filled on the device), where nothing can be derived."""
    out: Params = {}
    for p in spec.params:
        v = given.get(p.name, p.default)
        if v is None:
            raise QlrError(f"op {spec.name}: parameter {p.name!r} is required ({p.doc or 'no default'})")
        out[p.name] = v
    return out


def check_arrays(spec: OpSpec, arrays: Arrays, params: Params) -> Arrays:
    """The input arrays as contiguous arrays of the spec's dtype and shape (clear errors)."""
    ready: Arrays = {}
    for t in spec.inputs():
        a = np.asarray(arrays[t.name])
        shape = t.shape_for(params)
        if a.dtype != np.dtype(t.dtype):
            raise QlrError(f"op {spec.name}: array {t.name!r} is {a.dtype}, the op needs {t.dtype}")
        if a.shape != shape:
            raise QlrError(f"op {spec.name}: array {t.name!r} has shape {a.shape}, the parameters need {shape}")
        ready[t.name] = np.ascontiguousarray(a)
    return ready


def run_golden(spec: OpSpec, arrays: Arrays, params: Params | None = None) -> KernelResult:
    p = resolve_params(spec, arrays, params)
    check_params(spec, p)
    ins = check_arrays(spec, arrays, p)
    outs = spec.golden({k: v.copy() for k, v in ins.items()}, p)
    shaped: Arrays = {}
    for t in spec.outputs():
        a = np.asarray(outs[t.name])
        shaped[t.name] = a.astype(t.dtype, copy=False).reshape(t.shape_for(p))
    return KernelResult(spec.name, p, shaped, macs=spec.mac_count(p))


@dataclass
class Layout:
    offsets: dict[str, int]
    sizes: dict[str, int]
    total: int


def layout(spec: OpSpec, params: Params, base: int = 0) -> Layout:
    off = base
    offsets, sizes = {}, {}
    for t in spec.tensors:
        n = int(np.prod(t.shape_for(params), dtype=np.int64)) * np.dtype(t.dtype).itemsize
        offsets[t.name], sizes[t.name] = off, n
        off = (off + n + TENSOR_ALIGN - 1) // TENSOR_ALIGN * TENSOR_ALIGN
    return Layout(offsets, sizes, off)


def encode_run(spec: OpSpec, params: Params, lay: Layout, cores: int) -> bytes:
    name = spec.name.encode("ascii")
    if not 1 <= len(name) <= 31:
        raise QlrError(f"op name {spec.name!r} must be 1..31 ASCII characters")
    head = KERNEL_RUN.request.pack(name_len=len(name), cores=cores, nparam=len(spec.params), ntensor=len(spec.tensors))
    name_pad = name + bytes(-len(name) % 4)
    words = struct.pack(f"<{len(spec.params)}i", *(p.encode(params[p.name]) for p in spec.params))
    tens = b"".join(struct.pack("<II", lay.offsets[t.name], lay.sizes[t.name]) for t in spec.tensors)
    return head + name_pad + words + tens


class DeviceKernels:
    """Runs ops on a device over an open `qlr.link.Link` to the command server."""

    def __init__(self, link: Link, *, timeout: float = 600.0) -> None:
        self.link = link
        self.timeout = timeout
        info = link.info()
        self.info = info
        self.board = str(info.get("board", "?"))
        self.unit = str(info.get("counter_unit", info.get("unit", "")))
        self.team_max = info_int(info, "team_max")
        self.l2_size = info_int(info, "l2_window")
        self.l1_size = info_int(info, "l1_size")

    def list_ops(self) -> list[dict[str, Any]]:
        """The firmware's ops (KERNEL_LIST until E_NOT_FOUND): name, parameter and tensor names."""
        ops = []
        for i in range(4096):
            try:
                p = self.link.request(KERNEL_LIST.code, KERNEL_LIST.request.pack(index=i)).payload
            except LinkDeviceError:
                break
            f = KERNEL_LIST.unpack_reply(p)
            names = p[KERNEL_LIST.reply.size:].split(b"\0")
            want = 1 + f["nparam"] + f["ntensor"]
            if len(names) != want + 1 or names[-1]:  # want strings, each NUL-terminated
                raise LinkProtocolError(f"KERNEL_LIST {i}: reply holds {len(names) - 1} names, its counts say {want}")
            text = [n.decode("utf-8", "replace") for n in names[:want]]
            ops.append({"name": text[0], "nparam": f["nparam"], "params": text[1:1 + f["nparam"]],
                        "tensors": text[1 + f["nparam"]:]})
        return ops

    def fill(self, offset: int, nbytes: int, seed: int, kind: str) -> None:
        k = {"bytes": 0, "f32": 1}[kind]
        self.link.request(MEM_FILL.code, MEM_FILL.request.pack(offset=offset, bytes=nbytes, seed=seed & 0xFFFFFFFF,
                                                                kind=k))

    def l3_transfer(self, *, write: bool, l2_offset: int, l3_offset: int, nbytes: int, repeats: int = 1,
                    queued: bool = False) -> int:
        """Times `repeats` L3 transfers of `nbytes` between an L2 window offset and an L3 offset
        (L3_BENCH): the counter delta of all of them. `queued` starts them all asynchronously
        and waits once; otherwise each is a synchronous qlr_l3_read/qlr_l3_write."""
        try:
            resp = self.link.request(L3_BENCH.code, L3_BENCH.request.pack(
                write=int(write), queued=int(queued), l2_offset=l2_offset, l3_offset=l3_offset, bytes=nbytes,
                repeats=repeats), timeout=self.timeout, retries=0).payload
        except LinkDeviceError as e:
            raise QlrError(f"L3_BENCH on {self.board}: {e.device_message}") from None
        return int(L3_BENCH.unpack_reply(resp)["counter"])

    def fill_inputs(self, spec: OpSpec, params: Params, seed: int) -> None:
        """Fills every input tensor of `spec` in place on the device (MEM_FILL: seeded bytes, or
        FP32 values for float tensors), so no input crosses the link (benchmarks)."""
        lay = layout(spec, params)
        for t in spec.inputs():
            if lay.sizes[t.name]:
                self.fill(lay.offsets[t.name], lay.sizes[t.name], seed + lay.offsets[t.name],
                          "f32" if t.dtype == "float32" else "bytes")

    def run_in_place(self, spec: OpSpec, params: Params, *, cores: int = 1) -> tuple[int, int]:
        """KERNEL_RUN on the tensors already in the device's L2 window (laid out by `layout`):
        (counter delta, MACs the device counted). A refusal, or a kernel status other than
        QLR_OK, raises QlrError naming the op, the board and the reason."""
        try:
            resp = self.link.request(KERNEL_RUN.code, encode_run(spec, params, layout(spec, params), cores),
                                     timeout=self.timeout, retries=0).payload
        except LinkDeviceError as e:
            raise QlrError(f"op {spec.name} on {self.board}: {e.device_message}") from None
        r = KERNEL_RUN.unpack_reply(resp)
        if r["status"] != 0:
            raise QlrError(f"op {spec.name} on {self.board}: the kernel returned {kernel_status_name(r['status'])}")
        return int(r["counter"]), int(r["macs"])

    def _fits(self, spec: OpSpec, lay: Layout) -> None:
        if self.l2_size and lay.total > self.l2_size:
            big = sorted(lay.sizes.items(), key=lambda kv: -kv[1])[:3]
            raise QlrError(f"op {spec.name}: tensors need {lay.total} bytes of L2, the {self.board} window "
                           f"has {self.l2_size} (largest: " + ", ".join(f"{k} {v}" for k, v in big) + ")")

    def run(self, spec: OpSpec, arrays: Arrays | None, params: Params | None = None, *, cores: int = 1,
            fill_seed: int | None = None, read_outputs: bool = True) -> KernelResult:
        """Runs `spec` on the device. With `arrays`, inputs are written and checked as in
        run_golden; with arrays=None and a fill_seed, inputs are filled on the device
        (benchmarks: the parameters must then be given in full)."""
        if not 1 <= cores <= self.team_max:
            raise QlrError(f"cores must be 1..{self.team_max} on {self.board}, got {cores}")
        if arrays is not None:
            p = resolve_params(spec, arrays, params)
            ins = check_arrays(spec, arrays, p)
        else:
            p = resolve_params(spec, {}, params) if not spec.inputs() else dict(params or {})
            ins = {}
        lay = layout(spec, p)
        self._fits(spec, lay)
        if arrays is not None:
            for t in spec.inputs():
                self.link.mem_write("L2", lay.offsets[t.name], ins[t.name].tobytes())
        else:
            self.fill_inputs(spec, p, fill_seed or 1)
        counter, macs = self.run_in_place(spec, p, cores=cores)
        outs: Arrays = {}
        if read_outputs:
            for t in spec.outputs():
                raw = self.link.mem_read("L2", lay.offsets[t.name], lay.sizes[t.name])
                outs[t.name] = np.frombuffer(raw, dtype=t.dtype).reshape(t.shape_for(p)).copy()
        return KernelResult(spec.name, p, outs, counter=counter, unit=self.unit, macs=macs, cores=cores,
                            board=self.board)

"""The device backend of `qlr learn`: the learning session runs in the CL firmware (`cl.elf`) on a
board, driven over the link (docs/cl-protocol.md, "Device commands").

Placement. L2 window: the image at 0, then the event's images and labels, then the test
predictions, then the firmware's work area (CL_SETUP lays it out and reports where the
parameters, momentum, losses and codes are). L3 window: the LR memory (rows, then labels, laid
out by the firmware), then the test images and labels, written once and reused by every
evaluation (so only the event's new images cross the link per event).

State. Parameters and momentum are read back after every event. The LR memory is not: the host
keeps a mirror built from what the device reports (the new latents' codes and the slots they
went to) and proves it equal to the device's L3 with one CRC over the rows and labels; a
mismatch reads the device's rows back and reports the first difference.
"""

from __future__ import annotations

import contextlib
import hashlib
import struct
import time
import zlib
from typing import Any

import numpy as np

from qlr.boards.session import board_session
from qlr.cl.device.image_frontend import open_image
from qlr.cl.event import EvalReport, EventReport
from qlr.cl.policy import Mix
from qlr.cl.session import SessionSetup
from qlr.cl.state import CLState
from qlr.errors import QlrError
from qlr.image.content import encode_image
from qlr.link import Frame, Link
from qlr.link.errors import LinkDeviceError
from qlr.link.link import info_int
from qlr.quant.latent import pack_latents

CMD_CL_SETUP = 0x58
CMD_CL_EVENT = 0x59
CMD_CL_EVAL = 0x5A
PHASES = ("front", "lr_load", "forward", "backward", "update")
ALIGN = 64


def _up(v: int, a: int = ALIGN) -> int:
    return (v + a - 1) // a * a


class DeviceBackend:
    """A `qlr.cl.driver.Backend` on a board's CL firmware."""

    def __init__(self, board: str, *, cores: int | None = None, gvsoc: str | None = None,
                 rebuild: bool = True, fault: str = "") -> None:
        self.name = board
        self.board = board
        self.cores = cores
        self.gvsoc = gvsoc
        self.rebuild = rebuild
        self.fault = fault
        self._stack = contextlib.ExitStack()
        self._link: Link | None = None
        self.setup: SessionSetup | None = None
        self._state: CLState | None = None
        self._test_key: str | None = None
        self.memory: dict[str, int] = {}

    # ------------------------------------------------------------------ set-up
    def start(self, setup: SessionSetup) -> None:
        if setup.qfe is None:
            raise QlrError("--q-lr fp32 runs on the golden model only (the device front-end is int8)")
        self.setup = setup
        cfg = setup.config
        self._link = self._stack.enter_context(board_session(self.board, program="cl", gvsoc=self.gvsoc,
                                                             rebuild=self.rebuild, fault=self.fault)).link
        info = self.link.info()
        self.team = info_int(info, "team_max")
        self.unit = str(info["counter_unit"])
        cores = self.cores or self.team
        if not 1 <= cores <= self.team:
            raise QlrError(f"--cores must be 1..{self.team} on {self.board}")
        st = setup.state
        image = encode_image(setup.image_content(st))
        self.image_bytes = int(np.prod(setup.front.input_shape))
        n_max = int(setup.protocol.get("event_size", 0) or 0) or 512
        self.n_max = n_max
        self.l2_window = info_int(info, "l2_window")
        self.l3_window = info_int(info, "l3_window")
        self.off_image = 0
        self.off_events = _up(len(image))
        self.off_labels = _up(self.off_events + n_max * self.image_bytes)
        self.off_pred = _up(self.off_labels + 2 * n_max)
        self.pred_max = int(setup.protocol.get("test_size", 0) or 0) or 2000
        self.off_work = _up(self.off_pred + 2 * self.pred_max)
        if self.off_work >= self.l2_window:
            raise QlrError(f"{self.board}: the image ({len(image)} bytes) and the event data ({n_max} images) "
                           f"leave no L2 work area in the {self.l2_window}-byte window")
        t0 = time.perf_counter()
        open_image(self.link, image, offset=self.off_image)
        self.upload_seconds = time.perf_counter() - t0
        payload = struct.pack("<IIIIIIIffff4IIIII", self.off_work, self.l2_window - self.off_work, cfg.n_lr,
                              self._q_lr(), cfg.epochs, cfg.mb, n_max, cfg.lr, cfg.momentum, cfg.weight_decay,
                              float(setup.codec.scale[0]), *st.rng, st.filled, st.updates, st.events, cores)
        self.cores_used = cores
        r = self._request(CMD_CL_SETUP, payload, "CL_SETUP").payload
        (self.elems, self.row_bytes, self.l3_rows, self.l3_labels, self.l3_end, work_used, self.off_losses,
         self.off_codes, self.off_new_index, self.off_slots, ntens) = struct.unpack_from("<11I", r)
        self.tensors = []
        for i in range(ntens):
            off, count, moff, layer = struct.unpack_from("<4I", r, 44 + 16 * i)
            self.tensors.append((off, count, moff, layer))
        keys = setup.param_keys()
        if len(keys) != ntens:
            raise QlrError(f"the device reports {ntens} parameter tensors, the back-end has {len(keys)}")
        # Device tensors are (back-end layer, weight/bias); map them to the state's keys.
        first = len(setup.qfe.layers)
        by_place = {}
        for key, pos in setup.param_positions().items():
            by_place[(pos - first, 1 if key.endswith(".bias") else 0)] = key
        self.keys = []
        for *_, tag in self.tensors:
            place = (tag & 0xFFFF, tag >> 16)
            if place not in by_place:
                raise QlrError(f"the device reports a parameter of back-end layer {place[0]} that the state lacks")
            self.keys.append(by_place[place])
        keys = self.keys
        self.memory = {"l2_work_used": work_used, "l2_window": self.l2_window, "l3_lr_bytes": self.l3_end,
                       "l3_window": self.l3_window, "image_bytes": len(image)}
        # Momentum (non-zero when resuming) goes to the device; parameters came with the image.
        for key, (_, count, moff, _) in zip(keys, self.tensors):
            m = np.ascontiguousarray(st.momentum[key], dtype=np.float32)
            if m.size != count:
                raise QlrError(f"parameter {key}: the device holds {count} values, the state {m.size}")
            if np.any(m):
                self.link.mem_write("L2", moff, m.tobytes())
        self._mirror = st.copy()
        self._params_from_device = False
        self._state = None
        self._verify_lr("start")

    def _request(self, cmd: int, payload: bytes, name: str, timeout: float | None = None) -> Frame:
        try:
            return self.link.request(cmd, payload, timeout=timeout or 3600.0, retries=0)
        except LinkDeviceError as e:
            raise QlrError(f"{name} on {self.board}: {e.device_message}") from None

    # ------------------------------------------------------------------ LR memory mirror
    def _lr_bytes(self, st: CLState) -> bytes:
        codes = st.lr_codes.reshape(st.n_lr, -1)[: st.filled]
        rows = pack_latents(codes, self._q_lr()).tobytes() if st.filled else b""
        return rows

    def _verify_lr(self, where: str) -> None:
        st = self._mirror
        if st.filled == 0:
            return
        rows = self._lr_bytes(st)
        crc = self.link.mem_crc("L3", self.l3_rows, len(rows))
        labels = st.lr_labels[: st.filled].astype("<u2").tobytes()
        crc_l = self.link.mem_crc("L3", self.l3_labels, len(labels))
        if crc == zlib.crc32(rows) and crc_l == zlib.crc32(labels):
            return
        got = self.link.mem_read("L3", self.l3_rows, len(rows))
        diff = next((i for i in range(len(rows)) if rows[i] != got[i]), None)
        raise QlrError(f"{where}: the device's LR memory in L3 differs from what it reported "
                       f"(first differing byte of the rows: {diff}; labels {'differ' if crc_l != zlib.crc32(labels) else 'agree'})")

    # ------------------------------------------------------------------ the event
    def event(self, i: int, images: np.ndarray, labels: np.ndarray) -> EventReport:
        x = np.ascontiguousarray(images, dtype=np.uint8)
        n = len(x)
        if n > self.n_max:
            raise QlrError(f"event {i} has {n} images; the device session was set up for at most {self.n_max}")
        y = np.asarray(labels)
        t0 = time.perf_counter()
        self.link.mem_write("L2", self.off_events, x.tobytes())
        self.link.mem_write("L2", self.off_labels, y.astype("<u2").tobytes())
        t1 = time.perf_counter()
        r = self._request(CMD_CL_EVENT, struct.pack("<III", self.off_events, self.off_labels, n), "CL_EVENT").payload
        t2 = time.perf_counter()
        status, cur, rep, iters, h, it_run = struct.unpack_from("<6I", r, 0)
        filled, updates, events = struct.unpack_from("<3I", r, 24)
        rng = struct.unpack_from("<4I", r, 36)
        counters = struct.unpack_from("<5Q", r, 52)
        work_used, l3_end = struct.unpack_from("<2I", r, 92)
        if status != 0:
            raise QlrError(f"event {i} failed on {self.board} with kernel status {status}; the device state is lost")
        codes = np.frombuffer(self.link.mem_read("L2", self.off_codes, n * self.elems), np.uint8)
        codes = codes.reshape((n,) + tuple(self._setup.latent_shape)).copy()
        losses = np.frombuffer(self.link.mem_read("L2", self.off_losses, 4 * it_run), "<f4").astype(np.float32)
        new_index = np.frombuffer(self.link.mem_read("L2", self.off_new_index, 4 * h), "<u4").astype(np.int64)
        slots = np.frombuffer(self.link.mem_read("L2", self.off_slots, 4 * h), "<u4").astype(np.int64)
        m = self._mirror
        for j, s in zip(new_index, slots):
            m.lr_codes[s] = codes[j]
            m.lr_labels[s] = int(y[j])
        m.filled, m.updates, m.events = filled, updates, events
        m.rng = (int(rng[0]), int(rng[1]), int(rng[2]), int(rng[3]))
        self._verify_lr(f"event {i}")
        params, momentum = self._read_params()
        m.params, m.momentum = params, momentum
        self._params_from_device = True
        self._state = None
        t3 = time.perf_counter()
        return EventReport(
            event=i, n_new=n, labels=y.copy(), codes=codes, losses=losses, mix=Mix(cur, rep, iters),
            new_index=new_index, slots=slots, params={k: v.copy() for k, v in params.items()},
            seconds={"upload": t1 - t0, "device": t2 - t1, "readback": t3 - t2, "total": t3 - t0},
            counters={"unit": self.unit, **dict(zip(PHASES, counters)),
                      "counter_total": int(sum(counters)), "cores": self.cores_used,
                      "l2_work_used": work_used, "l3_lr_bytes": l3_end})

    def _read_params(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        params, momentum = {}, {}
        for key, (off, count, moff, _) in zip(self.keys, self.tensors):
            shape = self._setup.state.params[key].shape
            params[key] = np.frombuffer(self.link.mem_read("L2", off, 4 * count), "<f4").reshape(shape).astype(np.float32)
            momentum[key] = np.frombuffer(self.link.mem_read("L2", moff, 4 * count), "<f4").reshape(shape).astype(np.float32)
        return params, momentum

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, images: np.ndarray, labels: np.ndarray) -> EvalReport:
        x = np.ascontiguousarray(images, dtype=np.uint8)
        y = np.asarray(labels)
        n = len(x)
        if n > self.pred_max:
            raise QlrError(f"{n} test images; the device session holds predictions for {self.pred_max}")
        off_x = _up(self.l3_end)
        off_y = _up(off_x + x.nbytes)
        if off_y + 2 * n > self.l3_window:
            raise QlrError(f"{self.board}: {n} test images do not fit L3 after the LR memory "
                           f"({self.l3_window - off_x} bytes free)")
        key = hashlib.sha256(x.tobytes() + y.astype("<u2").tobytes()).hexdigest()
        if key != self._test_key:
            self.link.mem_write("L3", off_x, x.tobytes())
            self.link.mem_write("L3", off_y, y.astype("<u2").tobytes())
            self._test_key = key
        t0 = time.perf_counter()
        r = self._request(CMD_CL_EVAL, struct.pack("<IIII", off_x, off_y, n, self.off_pred), "CL_EVAL").payload
        status, correct = struct.unpack_from("<II", r)
        front, back = struct.unpack_from("<2Q", r, 8)
        if status != 0:
            raise QlrError(f"evaluation failed on {self.board} with kernel status {status}")
        pred = np.frombuffer(self.link.mem_read("L2", self.off_pred, 2 * n), "<u2").astype(np.int64)
        rep = EvalReport.from_predictions(pred, y, time.perf_counter() - t0, {"front": front, "back": back})
        if rep.correct != correct:
            raise QlrError(f"the device counted {correct} correct, its predictions give {rep.correct}")
        return rep

    # ------------------------------------------------------------------ state
    def state(self) -> CLState:
        if self._state is None:
            if not self._params_from_device:  # right after start: read what the device holds
                self._mirror.params, self._mirror.momentum = self._read_params()
                self._params_from_device = True
            self._state = self._mirror.copy()
        return self._state.copy()

    def close(self) -> None:
        self._link = None
        self._stack.close()

    @property
    def link(self) -> Link:
        if self._link is None:
            raise QlrError(f"the {self.board} backend is not started (start(setup) first)")
        return self._link

    def _q_lr(self) -> int:
        q = self._setup.config.q_lr
        if q is None:
            raise QlrError("--q-lr fp32 runs on the golden model only (the device front-end is int8)")
        return q

    @property
    def _setup(self) -> SessionSetup:
        if self.setup is None:
            raise QlrError(f"the {self.board} backend is not started (start(setup) first)")
        return self.setup


def make_backend(board: str, args: Any = None) -> DeviceBackend:
    return DeviceBackend(board, cores=getattr(args, "cores", None), gvsoc=getattr(args, "gvsoc", None),
                         fault=getattr(args, "fault", "") or "")

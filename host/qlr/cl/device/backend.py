"""The device backend of `qlr learn`: the learning session runs in the CL firmware (`cl.elf`) on a
board, driven over the link (docs/cl-device.md).

Placement. Every buffer of the session is where the memory plan (`qlr.cl.plan`) says: the host
computes the plan for the running firmware's memory windows (INFO), refuses a configuration that
does not fit, writes the image, the LR scales and the plan itself where the plan puts them, and
CL_SETUP makes the firmware take every buffer from the plan. Per event only the new images and
their labels cross the link (into "data.images" / "data.labels"); the test images go to
"eval.images" once and are reused by every evaluation.

State. Parameters and momentum are read back after every event from wherever the plan keeps them
(L2, or L3 when streamed). The LR memory is not: the host keeps a mirror built from what the device
reports (the new latents' packed rows and the slots they went to) and proves it equal to the
device's L3 with one CRC over the rows and labels; a mismatch reads the device's rows back and
reports the first difference.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
import time
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from qlr.boards.registry import load_board
from qlr.boards.session import board_session
from qlr.cl.device.image_frontend import open_image
from qlr.cl.event import Diverged, EvalReport, EventReport, diverged_message, non_finite
from qlr.cl.plan import MemoryPlan, PlanConfig, Window, board_windows, encode_plan, plan_for
from qlr.cl.policy import Mix
from qlr.cl.session import SessionSetup
from qlr.cl.state import CLState
from qlr.errors import QlrError
from qlr.image.content import encode_image
from qlr.link import Link
from qlr.link.commands import Command, command, kernel_status_name
from qlr.link.errors import LinkDeviceError, LinkReset
from qlr.link.faults import NoisyTransport
from qlr.link.link import info_int
from qlr.quant.latent import pack_latents, unpack_latents

SETUP, EVENT, EVAL = command("CL_SETUP"), command("CL_EVENT"), command("CL_EVAL")
PHASES = ("front", "lr_load", "forward", "backward", "update")
SILENCE_S = 30.0  # the longest silence of a CL command (between progress frames) before a retry


def session_plan_config(setup: SessionSetup, n_new: int, n_eval: int, micro_batch: int = 0,
                        stream_all: bool = False) -> PlanConfig:
    """The plan's view of a session: N_LR, Q_LR, mini-batch, the most new images per event and test
    images on the device, epochs, momentum, one LR scale per channel or not (and the expert
    settings: an imposed micro-batch, everything streamable in L3)."""
    cfg = setup.config
    if cfg.q_lr is None:
        raise QlrError("--q-lr fp32 runs on the golden model only (the device front-end is int8)")
    if micro_batch > cfg.mb:
        raise QlrError(f"--micro-batch {micro_batch} is larger than the mini-batch --mb {cfg.mb}")
    return PlanConfig(n_lr=cfg.n_lr, q_lr=int(cfg.q_lr), mb=cfg.mb, n_new=n_new, epochs=cfg.epochs,
                      per_channel=int(np.asarray(setup.codec.scale).size) > 1, momentum=cfg.momentum,
                      n_eval=n_eval, micro_batch=micro_batch, stream_all=stream_all)


class DeviceBackend:
    """A `qlr.cl.driver.Backend` on a board's CL firmware."""

    def __init__(self, board: str, *, cores: int | None = None, gvsoc: str | None = None,
                 rebuild: bool = True, fault: str = "", l2_budget: int | None = None, micro_batch: int = 0,
                 stream_all: bool = False, link_noise: float = 0.0, labgrid: str | None = None) -> None:
        self.name = board
        self.labgrid = labgrid
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
        self.memory: dict[str, Any] = {}
        self.plan: MemoryPlan | None = None
        self.l2_budget = l2_budget
        self.micro_batch = micro_batch
        self.stream_all = stream_all
        self.recoveries = 0
        self.link_noise = link_noise
        self.log: Callable[[str], None] = lambda m: print(m, file=sys.stderr)

    # ------------------------------------------------------------------ set-up
    def start(self, setup: SessionSetup) -> None:
        if setup.qfe is None:
            raise QlrError("--q-lr fp32 runs on the golden model only (the device front-end is int8)")
        self.setup = setup
        cfg = setup.config
        assert cfg.q_lr is not None  # an int8 front-end has an integer Q_LR
        self.q_bits = int(cfg.q_lr)
        st = setup.state
        content = setup.image_content(st)
        image = encode_image(content)
        self.n_max = int(setup.protocol.get("event_size", 0) or 0) or 512
        self.pred_max = int(setup.protocol.get("test_size", 0) or 0) or 2000
        pcfg = session_plan_config(setup, self.n_max, self.pred_max, self.micro_batch, self.stream_all)
        board = load_board(self.board)
        whole = board_windows(board)
        if self.l2_budget is not None:
            whole["L2"] = Window("L2", min(whole["L2"].size, self.l2_budget))
        plan_for(content, pcfg, board, whole, image_bytes=len(image))  # refuses what cannot fit even whole levels
        self._link = self._stack.enter_context(board_session(self.board, program="cl", gvsoc=self.gvsoc,
                                                             rebuild=self.rebuild, fault=self.fault,
                                                             retries=8, labgrid=self.labgrid)).link
        if self.link_noise:
            self._link.transport = NoisyTransport(self._link.transport, self.link_noise, seed=12)
        info = self.link.info()
        self.team = info_int(info, "team_max")
        self.unit = str(info["counter_unit"])
        cores = self.team if self.cores is None else self.cores  # --cores 0 is refused below, not "all"
        if not 1 <= cores <= self.team:
            raise QlrError(f"--cores must be 1..{self.team} on {self.board}")
        # The firmware's free windows, from its own linker symbols (what `qlr memreport` reads from
        # its ELF): the plan for them is the one memreport shows.
        windows = {"L1": Window("L1", info_int(info, "l1_size")), "L2": Window("L2", info_int(info, "l2_window")),
                   "L3": Window("L3", info_int(info, "l3_window"))}
        if self.l2_budget is not None:
            windows["L2"] = Window("L2", min(windows["L2"].size, self.l2_budget))
        plan = plan_for(content, pcfg, board, windows, image_bytes=len(image))
        self.plan = plan
        self.ub = plan.ub
        self.image_bytes = int(np.prod(setup.front.input_shape))
        self.row_bytes = plan.lr_row_bytes
        self.cores_used = cores
        self.keys = list(setup.param_keys())
        self._pos = setup.param_positions()
        self.memory = {"board": self.board, "l1_window": plan.budget("L1"), "l2_used": plan.used("L2"),
                       "l2_window": plan.budget("L2"), "l3_used": plan.used("L3"), "l3_window": plan.budget("L3"),
                       "lr_bytes": plan.lr_bytes, "image_bytes": len(image), "ub": plan.ub, "mb": cfg.mb,
                       "data_level": plan.data_level, "stage_bytes": plan.stage_bytes,
                       "streamed": {a.name: a.size for a in plan.streamed},
                       "traffic_bytes_per_event": plan.traffic}
        t0 = time.perf_counter()
        self._load(st, image)
        self.upload_seconds = time.perf_counter() - t0
        self._params_from_device = False

    def _load(self, st: CLState, image: bytes | None = None) -> None:
        """Puts the session's state `st` on the device: the image packed from it (its parameters and
        LR slots), the LR scales, the plan, CL_SETUP with its counters and RNG words, and its
        momentum; the host's mirror becomes `st`. Used at the start and to roll the device back
        (a diverged event) or to restore it after a reset."""
        assert self.setup is not None and self.plan is not None
        plan, cfg = self.plan, self.setup.config
        if image is None:
            image = encode_image(self.setup.image_content(st))
        open_image(self.link, image, offset=plan.get("image").offset)
        scale = np.asarray(self.setup.codec.scale, dtype="<f4").ravel()
        self._write("lr.scale", scale.tobytes())
        blob = encode_plan(plan)
        self._write("plan", blob)
        payload = SETUP.request.pack(plan=plan.get("plan").offset, plan_len=len(blob), lr=cfg.lr,
                                     momentum=cfg.momentum, weight_decay=cfg.weight_decay, rng=st.rng,
                                     filled=st.filled, updates=st.updates, events=st.events, cores=self.cores_used)
        r = SETUP.unpack_reply(self._request(SETUP, payload))
        self.elems, row, ub = r["elems"], r["row_bytes"], r["ub"]
        if (row, ub) != (plan.lr_row_bytes, plan.ub):
            raise QlrError(f"CL_SETUP on {self.board}: the device uses rows of {row} B and micro-batches of {ub}, "
                           f"the plan {plan.lr_row_bytes} and {plan.ub}")
        # Momentum (non-zero when resuming) goes to the device; parameters came with the image.
        for key in self.keys:
            m = np.ascontiguousarray(st.momentum[key], dtype="<f4")
            if np.any(m):
                if not plan.has(self._name("opt", key)):
                    raise QlrError(f"resumed momentum of {key} is not zero, but this session has no momentum buffers")
                self._write(self._name("opt", key), m.tobytes())
        self._mirror = st.copy()
        self._state = None
        self._test_key = None  # the test images are written again before the next evaluation
        self._verify_lr("start")

    def _name(self, prefix: str, key: str) -> str:
        """The plan's buffer of a parameter key ('dense.weight' -> 'be.24.weight')."""
        return f"{prefix}.{self._pos[key]}.{key.rsplit('.', 1)[1]}"

    def _level(self, name: str) -> tuple[str, int]:
        assert self.plan is not None
        a = self.plan.get(name)
        return a.level, a.offset

    def _write(self, name: str, data: bytes, at: int = 0) -> None:
        level, off = self._level(name)
        assert self.plan is not None
        if at + len(data) > self.plan.get(name).size:
            raise QlrError(f"{len(data)} bytes at {at} do not fit the device buffer '{name}'")
        self.link.mem_write(level, off + at, data)

    def _read(self, name: str, n: int, at: int = 0) -> bytes:
        level, off = self._level(name)
        return self.link.mem_read(level, off + at, n)

    def _request(self, cmd: Command, payload: bytes, timeout: float | None = None) -> bytes:
        """The reply payload of `cmd`; a refusal raises QlrError naming the command and board.

        The timeout bounds silence, not work: the firmware sends a progress frame per mini-batch
        (and per 16 front-end images), and every request is retried (the firmware answers a
        repeat from its reply cache, never running it twice)."""
        try:
            return bytes(self.link.request(cmd.code, payload, timeout=timeout or SILENCE_S, retries=3).payload)
        except LinkDeviceError as e:
            raise QlrError(f"{cmd.name} on {self.board}: {e.device_message}") from None

    # ------------------------------------------------------------------ LR memory mirror
    def _lr_bytes(self, st: CLState) -> bytes:
        codes = st.lr_codes.reshape(st.n_lr, -1)[: st.filled]
        return pack_latents(codes, self.q_bits).tobytes() if st.filled else b""

    def _verify_lr(self, where: str, st: CLState | None = None) -> None:
        st = self._mirror if st is None else st
        if st.filled == 0:
            return
        rows = self._lr_bytes(st)
        lvl, off = self._level("lr.latents")
        crc = self.link.mem_crc(lvl, off, len(rows))
        labels = st.lr_labels[: st.filled].astype("<u2").tobytes()
        lvl_l, off_l = self._level("lr.labels")
        crc_l = self.link.mem_crc(lvl_l, off_l, len(labels))
        if crc == zlib.crc32(rows) and crc_l == zlib.crc32(labels):
            return
        got = self.link.mem_read(lvl, off, len(rows))
        diff = next((i for i in range(len(rows)) if rows[i] != got[i]), None)
        raise QlrError(f"{where}: the device's LR memory in L3 differs from what it reported "
                       f"(first differing byte of the rows: {diff}; labels {'differ' if crc_l != zlib.crc32(labels) else 'agree'})")

    # ------------------------------------------------------------------ the event
    def event(self, i: int, images: np.ndarray, labels: np.ndarray) -> EventReport:
        """Learning event i; a device that rebooted during it (its boot identifier changed) is
        given the state before the event again (the start path) and the event is repeated once,
        which gives the result of an undisturbed run (the event depends only on that state)."""
        for attempt in range(2):
            try:
                return self._event(i, images, labels)
            except Diverged:
                raise
            except QlrError as e:
                if attempt or not self._rebooted(e):
                    raise
                self._recover(f"event {i}")
        raise AssertionError("unreachable")

    def _rebooted(self, e: Exception) -> bool:
        if isinstance(e, LinkReset):
            return True
        try:
            self.link.check_boot()
        except LinkReset:
            return True
        return False

    def _recover(self, where: str) -> None:
        self.log(f"qlr learn: the device on {self.board} rebooted during {where}; restoring the state before it "
                 "and repeating it")
        self.recoveries += 1
        self._load(self._mirror)
        self._params_from_device = True

    def _event(self, i: int, images: np.ndarray, labels: np.ndarray) -> EventReport:
        assert self.setup is not None
        x = np.ascontiguousarray(images, dtype=np.uint8)
        n = len(x)
        if n > self.n_max:
            raise QlrError(f"event {i} has {n} images; the device session was set up for at most {self.n_max}")
        y = np.asarray(labels)
        t0 = time.perf_counter()
        self._write("data.images", x.tobytes())
        self._write("data.labels", y.astype("<u2").tobytes())
        t1 = time.perf_counter()
        r = EVENT.unpack_reply(self._request(EVENT, EVENT.request.pack(count=n)))
        t2 = time.perf_counter()
        status, cur, rep, iters, h, it_run = (r["status"], r["cur"], r["rep"], r["iterations"], r["h"],
                                              r["iterations_run"])
        filled, updates, events, rng, counters = r["filled"], r["updates"], r["events"], r["rng"], r["counters"]
        micro, rows_l3, data_l3, chunks, tiles = (r["micro_batches"], r["rows_l3"], r["data_l3"], r["chunks"],
                                                  r["tiles"])
        p_in, p_out = r["params_l3_to_l2"], r["params_l2_to_l3"]
        if status != 0:
            raise QlrError(f"event {i} failed on {self.board} with {kernel_status_name(status)}; "
                           "the device state is lost")
        q = self.q_bits
        rows = np.frombuffer(self._read("data.latents", n * self.row_bytes), np.uint8).reshape(n, self.row_bytes)
        codes = unpack_latents(rows, q, self.elems).reshape((n,) + tuple(self.setup.latent_shape))
        codes = codes.astype(self.setup.codec.dtype, copy=False)
        losses = np.frombuffer(self._read("event.losses", 4 * it_run), "<f4").astype(np.float32)
        new_index = np.frombuffer(self._read("event.new_index", 4 * h), "<u4").astype(np.int64)
        slots = np.frombuffer(self._read("event.slots", 4 * h), "<u4").astype(np.int64)
        params, momentum = self._read_params()
        bad = non_finite(losses, params, momentum)
        if bad is not None:
            # Roll the device back to the state before the event (the host's mirror, untouched so
            # far): the image packed from it, CL_SETUP, momentum, as at the start.
            self._load(self._mirror)
            back, _ = self._read_params()
            if any(not np.array_equal(back[k], self._mirror.params[k]) for k in self.keys):
                raise QlrError(f"event {i} diverged on {self.board} ({bad}) and the roll-back failed: the device's "
                               "weights differ from the state before the event")
            self._params_from_device = True
            raise Diverged(diverged_message(i, bad, self.board), i)
        m = self._mirror.copy()  # committed only once the device's LR memory is proved equal to it
        for j, s in zip(new_index, slots):
            m.lr_codes[s] = codes[j]
            m.lr_labels[s] = int(y[j])
        m.filled, m.updates, m.events, m.rng = filled, updates, events, (int(rng[0]), int(rng[1]), int(rng[2]), int(rng[3]))
        self._verify_lr(f"event {i}", m)
        self.link.check_boot(f"event {i}")  # what was read back came from the device that ran the event
        m.params, m.momentum = params, momentum
        self._mirror = m
        self._params_from_device = True
        self._state = None
        t3 = time.perf_counter()
        return EventReport(
            event=i, n_new=n, labels=y.copy(), codes=codes, losses=losses, mix=Mix(cur, rep, iters),
            new_index=new_index, slots=slots, params={k: v.copy() for k, v in params.items()},
            seconds={"upload": t1 - t0, "device": t2 - t1, "readback": t3 - t2, "total": t3 - t0},
            counters={"unit": self.unit, **dict(zip(PHASES, counters)),
                      "counter_total": int(sum(counters)), "cores": self.cores_used, "micro_batches": micro,
                      "ub": self.ub, "lr_rows_l3_bytes": rows_l3, "data_l3_bytes": data_l3,
                      "params_l3_to_l2_bytes": p_in, "params_l2_to_l3_bytes": p_out, "param_chunks": chunks,
                      "l1_tiles": tiles, "link_retries": self.link.stats.retries,
                      "link_progress": self.link.stats.progress, "recoveries": self.recoveries})

    def _read_params(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        assert self.setup is not None
        params, momentum = {}, {}
        for key in self.keys:
            shape = self.setup.state.params[key].shape
            n = int(np.prod(shape))
            params[key] = np.frombuffer(self._read(self._name("be", key), 4 * n), "<f4").reshape(shape).astype(np.float32)
            opt = self._name("opt", key)
            momentum[key] = (np.frombuffer(self._read(opt, 4 * n), "<f4").reshape(shape).astype(np.float32)
                             if self.plan is not None and self.plan.has(opt) else np.zeros(shape, np.float32))
        return params, momentum

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, images: np.ndarray, labels: np.ndarray) -> EvalReport:
        """The accuracy on a test set (a device that rebooted meanwhile is restored, as in `event`)."""
        for attempt in range(2):
            try:
                return self._evaluate(images, labels)
            except QlrError as e:
                if attempt or not self._rebooted(e):
                    raise
                self._recover("an evaluation")
        raise AssertionError("unreachable")

    def _evaluate(self, images: np.ndarray, labels: np.ndarray) -> EvalReport:
        x = np.ascontiguousarray(images, dtype=np.uint8)
        y = np.asarray(labels)
        n = len(x)
        if n > self.pred_max:
            raise QlrError(f"{n} test images; the device session holds at most {self.pred_max}")
        key = hashlib.sha256(x.tobytes() + y.astype("<u2").tobytes()).hexdigest()
        if key != self._test_key:
            self._write("eval.images", x.tobytes())
            self._write("eval.labels", y.astype("<u2").tobytes())
            self._test_key = key
        t0 = time.perf_counter()
        r = EVAL.unpack_reply(self._request(EVAL, EVAL.request.pack(count=n)))
        status, correct, front, back = r["status"], r["correct"], r["front"], r["back"]
        if status != 0:
            raise QlrError(f"evaluation failed on {self.board} with {kernel_status_name(status)}")
        pred = np.frombuffer(self._read("eval.pred", 2 * n), "<u2").astype(np.int64)
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


def make_backend(board: str, args: Any = None) -> DeviceBackend:
    return DeviceBackend(board, cores=getattr(args, "cores", None), gvsoc=getattr(args, "gvsoc", None),
                         fault=getattr(args, "fault", "") or "", l2_budget=getattr(args, "l2_budget", None),
                         micro_batch=getattr(args, "micro_batch", None) or 0,
                         stream_all=bool(getattr(args, "stream_all", False)),
                         link_noise=float(getattr(args, "link_noise", 0.0) or 0.0),
                         labgrid=getattr(args, "labgrid", None))

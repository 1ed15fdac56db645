"""Device runs of a sweep (`qlr experiment --board B`): each replay configuration is one learning
session on the board's CL firmware (`qlr learn --board B` without the record file), run as a task
of the sweep's engine. Every task starts its own emulator, which has its own work folder and link
socket (`qlr.boards.runner`), so a local cluster of N workers keeps N emulators busy at once.

The firmware is built once, before the tasks start (SCons must not run N times on one build
folder); the tasks start the ELF that is there. The tasks get the images their streams use (a
subset of the data, re-indexed), not the data set.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from qlr.boards.build import build
from qlr.cl.device.backend import DeviceBackend
from qlr.cl.driver import Session
from qlr.cl.experiment import ExperimentConfig, RunSpec
from qlr.cl.record import RunRecord
from qlr.cl.session import build_setup, calibration_sample, lr_memory_bytes
from qlr.cl.source import Pool
from qlr.cl.streams import Stream
from qlr.errors import QlrError
from qlr.model.graph import Network


@dataclass(frozen=True)
class DeviceRuns:
    """Where a sweep's replay runs go: a board, its worker cores, the golden-twin check."""

    board: str
    cores: int | None = None
    check: bool = False
    gvsoc: str | None = None


def prepare_board(device: DeviceRuns, ecfg: ExperimentConfig) -> None:
    """Refuses what a device cannot run and builds the firmware once."""
    if any(q is None for q in ecfg.q_lrs):
        raise QlrError("--q-lr fp32 runs on the golden model only (the device front-end is int8): drop it with --board")
    build(device.board, "", "")


def streams_with_images(pool: Pool, streams: dict[int, Stream]) -> dict[int, Stream]:
    """The streams over a pool holding only the images they use (indices renumbered): what the
    tasks of device runs get instead of the whole data set."""
    used = np.unique(np.concatenate([np.concatenate([st.initial_index] + list(st.event_index))
                                     for st in streams.values()]))
    sub = replace(pool, train_x=np.asarray(pool.train_x[used]), train_y=pool.train_y[used],
                  train_sessions=None if pool.train_sessions is None else pool.train_sessions[used])

    def renum(idx: np.ndarray) -> np.ndarray:
        return np.searchsorted(used, idx).astype(np.int64)

    return {s: replace(st, pool=sub, initial_index=renum(st.initial_index),
                       event_index=[renum(e) for e in st.event_index]) for s, st in streams.items()}


def run_on_board(spec: RunSpec, net: Network, stream: Stream, ecfg: ExperimentConfig,
                 device: DeviceRuns) -> dict[str, Any]:
    """One replay configuration as a learning session on the board (a task): its run record."""
    cfg = ecfg.base.with_(lr_layer=spec.lr_layer, n_lr=spec.n_lr, q_lr=spec.q_lr, seed=spec.seed)
    ts = time.perf_counter()
    xi, yi = stream.initial
    setup = build_setup(net, cfg, calibration_sample(xi), xi, yi, protocol=stream.describe())
    backend = DeviceBackend(device.board, cores=device.cores, gvsoc=device.gvsoc, rebuild=False)
    record = RunRecord(None, {"cl": cfg.to_dict(), "board": device.board}, {"backend": device.board})
    data = Session(backend, setup, stream, record, check=device.check, progress=False).run()
    accs = [float(data["initial"]["accuracy"])] + [float(e["accuracy"]) for e in data["events"]]
    elements = int(np.prod(setup.back.input_shape))
    counters = [e.get("counters", {}).get("counter_total") for e in data["events"]]
    return {"kind": spec.kind, "lr_layer": spec.lr_layer, "n_lr": spec.n_lr, "q_lr": spec.q_name, "seed": spec.seed,
            "accuracy": accs, "final": accs[-1], "lr_bytes": lr_memory_bytes(spec.n_lr, elements, spec.q_lr),
            "seconds": time.perf_counter() - ts, "board": device.board, "checked": device.check,
            "device_counter_per_event": counters}

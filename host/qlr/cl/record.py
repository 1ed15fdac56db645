"""Run records (JSON) and their checkpoints: written after every event, resumed or restarted safely.

A run record ``RUN.json`` (format ``qlr-cl-run/1``) holds the run's identity (``run``: the learning
configuration, the protocol, the model and the board), the LR memory size, the accuracy before
the first event and one entry per event (accuracy, losses, composition, times, counters, check
result), ``status`` (running, done, check-failed) and the checkpoint it goes with. Beside it,
``RUN.ckpt.npz`` (`qlr.cl.state.save_checkpoint`) holds the `CLState` after the last recorded
event, the run identity and the event entries, all under one SHA-256.

Order of writes after an event: the checkpoint (atomically), then the record (atomically). A kill
between the two leaves a checkpoint one event ahead of the record; the checkpoint carries the
event entries itself, so resuming takes everything from the verified checkpoint and rewrites the
record. `prepare` decides what happens when a record already exists (see its docstring).
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from qlr.cl.state import CheckpointError, CLState, config_hash, load_checkpoint, save_checkpoint
from qlr.errors import QlrError

FORMAT = "qlr-cl-run/1"


def checkpoint_path(record_path: str) -> str:
    base = record_path[:-5] if record_path.endswith(".json") else record_path
    return base + ".ckpt.npz"


def strict(o: Any) -> Any:
    """A copy with NaN/infinite floats as None, so the file is strict JSON."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: strict(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [strict(v) for v in o]
    return o


def write_json(path: str, data: dict[str, Any]) -> None:
    """Write strict JSON (NaN as null) atomically (tmp file + rename)."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(strict(data), f, indent=1, sort_keys=False, default=_jsonable, allow_nan=False)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _jsonable(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON-serialisable: {type(o).__name__}")


@dataclass
class Resume:
    """Where a resumed run continues: the verified state and the entries recorded so far."""

    state: CLState
    events: list[dict[str, Any]]
    initial: dict[str, Any] | None
    started: str | None


class RunRecord:
    """The record of one run, kept on disk (if ``path``) after every event."""

    def __init__(self, path: str | None, run: dict[str, Any], header: dict[str, Any]) -> None:
        self.path = path
        self.ckpt = checkpoint_path(path) if path else None
        self.run = run
        self.data: dict[str, Any] = {"format": FORMAT, "status": "running", "run": run,
                                     "run_hash": config_hash(run), **header,
                                     "started": time.strftime("%Y-%m-%dT%H:%M:%S"), "initial": None,
                                     "events": [], "checkpoint": None}

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.data["events"]

    def resume_from(self, r: Resume) -> None:
        self.data["events"] = list(r.events)
        self.data["initial"] = r.initial
        if r.started:
            self.data["started"] = r.started

    def save(self, state: CLState | None = None) -> None:
        """Write the checkpoint (when a state is given) and then the record."""
        if not self.path:
            return
        self.data["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        if state is not None and self.ckpt:
            extra = {"events": self.events, "initial": self.data["initial"], "started": self.data["started"]}
            digest = save_checkpoint(self.ckpt, state, self.run, extra)
            self.data["checkpoint"] = {"path": os.path.basename(self.ckpt), "sha256": digest,
                                       "events": state.events}
        write_json(self.path, self.data)

    def finish(self, status: str, **fields: Any) -> None:
        self.data["status"] = status
        self.data.update(fields)
        self.save()


def prepare(path: str | None, run: dict[str, Any], resume: bool, log: Callable[[str], None]) -> Resume | None:
    """Decide how a run with record ``path`` starts; returns where to resume, or None to start anew.

    - No record: start anew (with --resume: say there is nothing to resume).
    - A record without --resume: say what it held and that it is replaced, remove its checkpoint,
      start anew (a finished or unfinished run alike).
    - --resume: load the checkpoint (its SHA-256 verified) and require the same run identity
      (configuration, protocol, model, board); a corrupted, missing or mismatched checkpoint is a
      QlrError that says so and how to start over, never a silent restart.
    """
    if not path:
        if resume:
            raise QlrError("--resume needs --record RUN.json (the record to continue)")
        return None
    ckpt = checkpoint_path(path)
    exists = os.path.exists(path) or os.path.exists(ckpt)
    if not resume:
        if exists:
            what = _describe(path)
            log(f"qlr learn: {path} {what}; starting a new run over it (use --resume to continue it instead)")
            for p in (ckpt, ckpt + ".tmp", path + ".tmp"):
                if os.path.exists(p):
                    os.remove(p)
        return None
    if not exists:
        log(f"qlr learn: nothing to resume at {path}; starting a new run")
        return None
    if not os.path.exists(ckpt):
        raise QlrError(f"{path}: cannot resume, its checkpoint {ckpt} is missing (run without --resume to start over)")
    try:
        state, meta = load_checkpoint(ckpt, run)
    except CheckpointError as e:
        raise QlrError(f"cannot resume: {e} (run without --resume to start over)") from None
    extra = meta.get("extra") or {}
    events = extra.get("events")
    if not isinstance(events, list) or len(events) != state.events:
        raise QlrError(f"cannot resume: {ckpt} holds a state after {state.events} events but "
                       f"{len(events) if isinstance(events, list) else 'no'} event entries: corrupted "
                       f"(run without --resume to start over)")
    log(f"qlr learn: resuming {path} after event {state.events - 1} ({state.events} done; checkpoint verified)"
        if state.events else f"qlr learn: resuming {path} from its start (no event done yet)")
    return Resume(state, events, extra.get("initial"), extra.get("started"))


def _describe(path: str) -> str:
    try:
        with open(path) as f:
            data = json.load(f)
        n = len(data.get("events", []))
        total = (data.get("protocol") or data.get("run", {}).get("protocol") or {}).get("events", "?")
        return f"holds a {data.get('status', 'unknown')} run ({n}/{total} events)"
    except (OSError, ValueError, AttributeError):
        return "exists but is not a readable run record"

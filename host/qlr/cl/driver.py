"""The session driver: streams learning events to a backend, evaluates, checks, records.

A backend is anything with the `Backend` interface. ``golden`` (`GoldenBackend`) runs the golden
twin on the host. Every other board runs the CL firmware through
``qlr.cl.device.backend.make_backend(board, args)`` (its options: ``qlr.cl.device.add_arguments``).

`Session.run` does, for a `SessionSetup` and a `Stream`:

  backend.start(setup)
  [check: compare backend.state() with setup.state]                       (event "start")
  accuracy before the first event (a fresh run only)
  for every event i from setup.start_event:
      [check: twin.set_state(backend.state())]           the twin starts from the backend's state
      report = backend.event(i, images, labels); eval = backend.evaluate(test images, labels)
      [check: the twin runs the same event and evaluation; `qlr.cl.check` compares reports,
       states and accuracies]
      the record gets the event's entry; checkpoint + record written
      a mismatch stops the run (status check-failed, `CheckFailed` with the messages)
      a diverged event (non-finite loss, weights or momentum) stops the run: the backend has
      rolled back to the state before it, the record says status diverged and names the event,
      the checkpoint stays the one after the last good event (`Diverged`, exit status 1)
  status done, final accuracy (any other error: failed; an interrupt or SIGTERM: killed)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, Protocol, runtime_checkable

import numpy as np
from tqdm import tqdm

from qlr.boards import load_board
from qlr.cl.check import DEFAULT, Tolerance, compare_evals, compare_events, compare_states
from qlr.cl.device.backend import make_backend as make_device_backend
from qlr.cl.event import Diverged, EvalReport, EventReport, GoldenTwin
from qlr.cl.protocol import Stream
from qlr.cl.record import RunRecord
from qlr.cl.session import SessionSetup
from qlr.cl.state import CLState
from qlr.errors import QlrError


@runtime_checkable
class Backend(Protocol):
    """What the driver needs from a place that learns (the golden twin or a device)."""

    name: str

    def start(self, setup: SessionSetup) -> None:
        """Load the network, quantized front-end, image, configuration and ``setup.state``
        (LR memory, weights, momentum, RNG words, counters), and continue from there."""
        ...

    def event(self, i: int, images: np.ndarray, labels: np.ndarray) -> EventReport:
        """Learning event ``i`` on uint8 images [N, H, W, C] and int labels [N]."""
        ...

    def evaluate(self, images: np.ndarray, labels: np.ndarray) -> EvalReport:
        ...

    def state(self) -> CLState:
        """The current state (weights, momentum, LR codes/labels/scale, counters, RNG words)."""
        ...

    def close(self) -> None:
        ...


class GoldenBackend:
    """The golden twin as a backend (host only)."""

    name = "golden"

    def __init__(self) -> None:
        self.twin: GoldenTwin | None = None

    def _t(self) -> GoldenTwin:
        if self.twin is None:
            raise QlrError("golden backend: start() was not called")
        return self.twin

    def start(self, setup: SessionSetup) -> None:
        self.twin = GoldenTwin(setup)

    def event(self, i: int, images: np.ndarray, labels: np.ndarray) -> EventReport:
        return self._t().event(images, labels, event=i)

    def evaluate(self, images: np.ndarray, labels: np.ndarray) -> EvalReport:
        return self._t().evaluate(images, labels)  # reuses the test set's codes

    def state(self) -> CLState:
        return self._t().state()

    def close(self) -> None:
        self.twin = None


def make_backend(board: str, args: Any = None) -> Backend:
    """``golden``, or the device backend of a board (`qlr.cl.device.backend`)."""
    if board == "golden":
        return GoldenBackend()
    try:
        load_board(board)
    except QlrError as e:
        raise QlrError(f"--board: {e} (or golden, the host's golden twin)") from None
    return make_device_backend(board, args)


class CheckFailed(QlrError):
    """The backend disagreed with the golden twin; ``messages`` says where."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        more = f" (+{len(messages) - 3} more)" if len(messages) > 3 else ""
        super().__init__("golden-twin check failed: " + "; ".join(messages[:3]) + more)


class Session:
    """One run of a stream on a backend (module docstring)."""

    def __init__(self, backend: Backend, setup: SessionSetup, stream: Stream, record: RunRecord,
                 check: bool = False, progress: bool = True, tol: Tolerance = DEFAULT,
                 log: Callable[[str], None] = print, on_event: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.backend, self.setup, self.stream, self.record = backend, setup, stream, record
        self.check, self.progress, self.tol, self.log, self.on_event = check, progress, tol, log, on_event
        self.twin: GoldenTwin | None = GoldenTwin(setup) if check else None

    def _fail(self, msgs: list[str]) -> NoReturn:
        self.record.finish("check-failed", mismatches=msgs)
        raise CheckFailed(msgs)

    def run(self) -> dict[str, Any]:
        """Runs the stream; the record always ends in a final status: done, check-failed,
        diverged (`Diverged`: the backend rolled back, the last good checkpoint stays), failed
        (any other error) or killed (KeyboardInterrupt, SIGTERM through qlr.cli)."""
        try:
            return self._run()
        except (CheckFailed, Diverged):
            raise  # their status is recorded where they are raised
        except KeyboardInterrupt:
            self.record.finish("killed")
            raise
        except BaseException as e:
            self.record.finish("failed", error=str(e) or type(e).__name__)
            raise

    def _diverged(self, e: Diverged, i: int) -> NoReturn:
        self.record.finish("diverged", diverged={"event": i, "message": str(e)})
        raise e

    def _run(self) -> dict[str, Any]:
        b, setup, stream, rec = self.backend, self.setup, self.stream, self.record
        test_x, test_y = stream.test
        try:
            b.start(setup)
            memory = getattr(b, "memory", None)
            if memory:  # where the device put the session (the memory plan's summary)
                rec.data["memory"] = dict(memory)
            if self.twin is not None:
                msgs = compare_states("start", setup.state, b.state(), self.tol)
                if msgs:
                    self._fail(msgs)
            if rec.data["initial"] is None:
                ev0 = b.evaluate(test_x, test_y)
                rec.data["initial"] = {"accuracy": ev0.accuracy, "per_class": ev0.per_class,
                                       "filled": setup.state.filled, "eval_seconds": ev0.seconds}
                if self.twin is not None:
                    msgs = compare_evals("start", self.twin.evaluate(test_x, test_y), ev0, self.tol)
                    if msgs:
                        self._fail(msgs)
                rec.save(b.state())
            bar = tqdm(range(setup.start_event, len(stream)), desc=f"learn ({b.name})", unit="event",
                       disable=not self.progress, initial=setup.start_event, total=len(stream))
            for i in bar:
                x, y = stream.event(i)
                if self.twin is not None:
                    self.twin.set_state(b.state())
                try:
                    rep = b.event(i, x, y)
                except Diverged as e:
                    self._diverged(e, i)
                ev = b.evaluate(test_x, test_y)
                entry = {**rep.summary(), "event": i, "accuracy": ev.accuracy, "per_class": ev.per_class,
                         "eval_seconds": ev.seconds, "eval_counters": ev.counters}
                msgs = []
                if self.twin is not None:
                    try:
                        ref = self.twin.event(x, y, event=i)
                    except Diverged as e:  # the backend did not, the twin did: a check failure
                        self._fail([f"event {i}: the golden twin diverged, {b.name} did not: {e}"])
                    ref_ev = self.twin.evaluate(test_x, test_y)
                    msgs = (compare_events(i, ref, rep, self.tol)
                            + compare_states(i, self.twin.state(), b.state(), self.tol, weights=False)
                            + compare_evals(i, ref_ev, ev, self.tol))
                    entry["check"] = "ok" if not msgs else msgs
                    entry["golden_accuracy"] = ref_ev.accuracy
                rec.events.append(entry)
                rec.data["final_accuracy"] = ev.accuracy
                rec.save(b.state())
                bar.set_postfix(acc=f"{ev.accuracy:.3f}", loss=f"{entry['loss_last_epoch'] or 0:.3f}")
                if self.on_event:
                    self.on_event(entry)
                if msgs:
                    self._fail(msgs)
            bar.close()
            accs = [e["accuracy"] for e in rec.events]
            rec.finish("done", final_accuracy=accs[-1] if accs else rec.data["initial"]["accuracy"])
            return rec.data
        finally:
            b.close()

"""Where a sweep's runs execute: in order in this process (`SerialEngine`, the reference) or as
tasks of a Dask distributed cluster (`DaskEngine`).

Why Dask distributed (not Ray): it is pure Python (about 25 MB installed with its dependencies,
wheels for every platform, one `pip install`), a local cluster of 2 worker processes starts in
about 3 s, workers are plain processes running plain functions (the same NumPy code, the same
single BLAS thread as the sequential run, so results are bit-identical), and joining an existing
cluster is `Client("tcp://HOST:8786")`. Ray ships a 60+ MB native wheel and starts its own
object store and daemons, heavy for a 2-core CI machine and more than a sweep of NumPy runs needs.

A sweep gives the engine data to share (`share`: the network, each seed's stream; sent to the
workers once, not once per task), work to do once whose result several tasks use (`once`: the
latents of an LR layer, computed on one worker and moved to the others by the engine), and its
runs (`run`: `Task`s), whose `Outcome`s come back as each run ends, in any order; a run that
raises is an outcome with an error, never the end of the sweep.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from qlr.errors import QlrError

INSTALL_HINT = "pip install 'qlr[distributed]' (Dask distributed), or --workers 0 to run in this process"


@dataclass
class Task:
    key: str  # unique in the sweep; names the run in progress and failure messages
    fn: Callable[..., Any]
    args: tuple[Any, ...] = field(default_factory=tuple)


@dataclass
class Outcome:
    key: str
    value: Any = None
    error: str | None = None  # why the run failed (the exception, one line); None when it ended well

    @property
    def ok(self) -> bool:
        return self.error is None


def _describe(e: BaseException) -> str:
    return str(e) if isinstance(e, QlrError) else f"{type(e).__name__}: {e}"


class _Once:
    """A value computed on first use (the serial engine's `once`)."""

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.fn, self.args = fn, args
        self.done = False
        self.value: Any = None
        self.error: Exception | None = None

    def get(self) -> Any:
        if self.error is not None:  # computed once, failed: every user gets the same error
            raise self.error
        if not self.done:
            try:
                self.value = self.fn(*_resolve(self.args))
            except Exception as e:
                self.error = e
                raise
            self.done = True
        return self.value


def _resolve(args: Sequence[Any]) -> list[Any]:
    return [a.get() if isinstance(a, _Once) else a for a in args]


class SerialEngine:
    """Runs every task in order, in this process."""

    name = "sequential"
    workers = 1

    def share(self, value: Any) -> Any:
        return value

    def once(self, fn: Callable[..., Any], *args: Any) -> Any:
        return _Once(fn, args)

    def fetch(self, fn: Callable[[Any], Any], handle: Any) -> Any:
        """``fn`` of a value made by `once` (None when computing it failed)."""
        try:
            return fn(handle.get() if isinstance(handle, _Once) else handle)
        except Exception:
            return None

    def run(self, tasks: Sequence[Task]) -> Iterator[Outcome]:
        for t in tasks:
            try:
                yield Outcome(t.key, t.fn(*_resolve(t.args)))
            except Exception as e:  # one run's failure is reported, the sweep goes on
                yield Outcome(t.key, error=_describe(e))

    def close(self) -> None:
        pass


class DaskEngine:
    """Tasks on a Dask distributed cluster: a local one of ``workers`` processes (one thread each),
    or the scheduler at ``address``."""

    name = "dask"

    def __init__(self, workers: int | None = None, address: str | None = None, timeout: float = 30.0,
                 preload: Sequence[str] = ()) -> None:
        """preload: modules each local worker imports as it starts (the tasks' modules: their import
        then overlaps with the client's own preparation instead of delaying the first task)."""
        try:
            import dask.config  # optional dependency (with distributed): loaded only when a sweep is distributed
            import distributed
        except ImportError:
            raise QlrError(f"distributed sweeps need Dask distributed: {INSTALL_HINT}") from None
        dist: Any = distributed  # its functions are untyped
        self._dist = dist
        self._cluster: Any = None
        t0 = time.perf_counter()
        try:
            if address:
                self.client: Any = dist.Client(address, timeout=timeout)
            else:
                n = workers or os.cpu_count() or 1
                # Dask's defaults cost a NumPy sweep CPU: MALLOC_TRIM_THRESHOLD_=64 KiB makes every
                # large temporary a fresh mmap (page faults: seconds of system time per run of
                # runs), and a profiler thread samples every worker 100 times a second.
                settings = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": 256 << 20,
                            "distributed.worker.profile.enabled": False}
                with dask.config.set(settings):
                    self._cluster = dist.LocalCluster(
                        n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                        silence_logs=logging.ERROR, preload=list(preload))
                self.client = dist.Client(self._cluster)
        except (OSError, TimeoutError) as e:
            self.close()
            where = f"the cluster at {address}" if address else "a local cluster"
            raise QlrError(f"cannot start or reach {where}: {e}") from None
        self.start_seconds = time.perf_counter() - t0
        self.workers = len(self.client.scheduler_info().get("workers", {})) or (workers or 1)
        self.address = address or str(self._cluster.scheduler_address)

    def share(self, value: Any) -> Any:
        # Wrapped in a list: scatter would otherwise scatter a dict's or list's items one by one.
        return self.client.scatter([value], broadcast=True, hash=False)[0]

    def once(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def fetch(self, fn: Callable[[Any], Any], handle: Any) -> Any:
        """``fn`` of a value made by `once`, computed where the value is (None when it failed)."""
        try:
            return self.client.submit(fn, handle, pure=False).result()
        except Exception:
            return None

    def run(self, tasks: Sequence[Task]) -> Iterator[Outcome]:
        futures = {self.client.submit(t.fn, *t.args, pure=False, key=f"qlr-{t.key}-{os.urandom(4).hex()}"): t
                   for t in tasks}
        for fut in self._dist.as_completed(list(futures)):
            t = futures.pop(fut)
            if fut.status == "error":
                e = fut.exception()
                yield Outcome(t.key, error=_describe(e) if e is not None else "failed")
            else:
                try:
                    yield Outcome(t.key, fut.result())
                except Exception as e:  # the result could not be brought back
                    yield Outcome(t.key, error=_describe(e))
            fut.release()

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None




def have_dask() -> bool:
    try:
        import distributed  # noqa: F401  (a probe)
    except ImportError:
        return False
    return True


def open_engine(workers: int | None, cluster: str | None, preload: Sequence[str] = ()) -> Engine:
    """The engine a sweep's options ask for: ``workers`` 0 runs in this process; ``cluster`` (an
    address) joins an existing Dask cluster; otherwise a local cluster of ``workers`` processes
    (default: one per core) that import ``preload`` as they start."""
    if cluster:
        return DaskEngine(address=cluster)
    if workers == 0:
        return SerialEngine()
    if workers is not None and workers < 0:
        raise QlrError(f"--workers must be >= 0, got {workers}")
    return DaskEngine(workers=workers, preload=preload)


class EngineStarter:
    """Starts an engine in a background thread (a local cluster takes seconds to start, more on a
    busy machine): the caller prepares its sweep meanwhile and takes the engine with `get`."""

    def __init__(self, start: Callable[[], Engine]) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="qlr-engine")
        self._future = self._pool.submit(start)

    def get(self) -> Engine:
        try:
            return self._future.result()
        finally:
            self._pool.shutdown(wait=False)

    # An engine's interface, each call waiting for the engine: a sweep can compute what it needs
    # first (its first latents) and meet the engine only when it shares data or submits tasks.
    @property
    def name(self) -> str:
        return self.get().name

    @property
    def workers(self) -> int:
        return self.get().workers

    def share(self, value: Any) -> Any:
        return self.get().share(value)

    def once(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.get().once(fn, *args)

    def fetch(self, fn: Callable[[Any], Any], handle: Any) -> Any:
        return self.get().fetch(fn, handle)

    def run(self, tasks: Sequence[Task]) -> Iterator[Outcome]:
        return self.get().run(tasks)

    def close(self) -> None:
        self.get().close()

    def cancel(self) -> None:
        """The sweep will not run: close the engine once it has started."""
        with contextlib.suppress(Exception):
            self.get().close()


Engine = SerialEngine | DaskEngine | EngineStarter


def format_failure(key: str, error: str) -> str:
    return f"run {key} failed: {error}"


__all__ = ["DaskEngine", "Engine", "EngineStarter", "Outcome", "SerialEngine", "Task", "format_failure", "have_dask", "open_engine"]

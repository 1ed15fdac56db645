"""Experiments on the golden model: accuracy and LR memory over LR layer x N_LR x Q_LR x seeds.

Every configuration runs the protocol (`qlr.cl.protocol`) with the golden twin's learning event
(`GoldenTwin.event_codes`: the same mixing, replacement policy, SGD and RNG as `qlr learn`), on
latents computed once: per LR layer, the int8 front-end (and, for Q_LR = fp32, the FP32
front-end) runs once over every image any seed's stream uses and the test set; each Q_LR then
only requantizes the cached u8 latents (integers) and trains the back-end in float32 NumPy.

Baselines (per LR layer and seed, UINT-8 latents from the int8 front-end):
- ``naive``: fine-tuning without replay (N_LR = 0: every mini-batch holds new latents only) --
  the lower bound;
- ``cumulative``: every event trains E epochs over ALL latents seen so far (the initial batch and
  every event up to this one), shuffled with ``Rng(seed)``, in mini-batches of ``mb`` -- the upper
  bound a replay memory tries to approach.

The final accuracy is the test accuracy after the last event; rows give its mean and standard
deviation (population, ddof 0) over the seeds. A run whose loss becomes NaN or infinite is
recorded as diverged (accuracy NaN from that event on) and left out of the mean; rows count them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from tqdm import tqdm

from qlr.cl.event import BackEnd, Diverged, GoldenTwin
from qlr.cl.protocol import Pool, ProtocolConfig, Stream, make_stream
from qlr.cl.rng import Rng
from qlr.cl.session import CLConfig, LatentCodec, build_setup, calibration_sample, lr_memory_bytes
from qlr.errors import QlrError
from qlr.model import run_forward
from qlr.model.graph import Network
from qlr.quant.calibrate import Calibration
from qlr.quant.ptq import quantize_front_end, to_input
from qlr.sweep.engine import Engine, SerialEngine, Task, format_failure
from qlr.sweep.store import ResultStore

BASELINES = ("naive", "cumulative")


@dataclass
class ExperimentConfig:
    lr_layers: list[int]
    n_lrs: list[int]
    q_lrs: list[int | None]
    seeds: list[int]
    baselines: list[str] = field(default_factory=lambda: list(BASELINES))
    base: CLConfig = field(default_factory=CLConfig)
    protocol: ProtocolConfig = field(default_factory=ProtocolConfig)
    eval_u8: bool = False  # analysis only: test latents at 8 bits whatever Q_LR (not the device's path)

    def runs(self) -> int:
        return len(self.lr_layers) * len(self.seeds) * (len(self.n_lrs) * len(self.q_lrs) + len(self.baselines))

    def to_dict(self) -> dict[str, Any]:
        return {"lr_layers": self.lr_layers, "n_lr": self.n_lrs,
                "q_lr": ["fp32" if q is None else q for q in self.q_lrs], "seeds": self.seeds,
                "baselines": self.baselines, "cl": self.base.to_dict(), "protocol": self.protocol.to_dict(),
                "eval_u8": self.eval_u8}


@dataclass
class LatentInputs:
    """What computing an LR layer's latents needs, without the data set: the training images any
    stream uses (``images[i]`` is pool image ``used[i]``), the test images and the calibration
    images. Shared once with the workers of a distributed sweep."""

    images: np.ndarray
    used: np.ndarray  # sorted pool indices of ``images``
    n_pool: int
    test_x: np.ndarray
    calib: np.ndarray


class LatentCache:
    """Latents of one LR layer for every image a stream uses and the test set, computed once, in
    one fixed order (batches of ``batch`` images in pool order): u8 (int8 front-end) and, when
    ``f32``, FP32. A sweep computes it once per layer and every run of the layer reads it, in this
    process or on any worker, so every run sees the same latents bit for bit.
    """

    def __init__(self, net: Network, inputs: LatentInputs, lr_layer: int, config: CLConfig | None = None,
                 f32: bool = False, batch: int = 500) -> None:
        cfg = config or CLConfig()
        t0 = time.perf_counter()
        self.batch = batch
        self.front, self.back = net.split(lr_layer)
        self.qfe = quantize_front_end(self.front, inputs.calib, cfg.scheme,
                                      calibration=Calibration.parse(cfg.calibration), equalize=cfg.equalize)
        self._row = np.full(inputs.n_pool, -1, np.int64)  # pool index -> cache row
        self._row[inputs.used] = np.arange(len(inputs.used))
        self._u8 = self._run_u8(inputs.images)
        self.test_u8 = self._run_u8(inputs.test_x)
        self._f32 = self._run_f32(inputs.images) if f32 else None
        self.test_f32_ = self._run_f32(inputs.test_x) if f32 else None
        self.seconds = time.perf_counter() - t0

    def _rows(self, idx: np.ndarray) -> np.ndarray:
        rows = self._row[idx]
        if len(rows) and rows.min() < 0:
            raise QlrError("latent cache: an image outside the streams' images was asked for")
        return rows

    def _run_u8(self, x: np.ndarray) -> np.ndarray:
        shape = (0,) + tuple(self.back.input_shape)
        parts = [self.qfe.run(x[s : s + self.batch]) for s in range(0, len(x), self.batch)]
        return np.concatenate(parts) if parts else np.zeros(shape, np.uint8)

    def _run_f32(self, x: np.ndarray) -> np.ndarray:
        shape = (0,) + tuple(self.back.input_shape)
        parts = [run_forward(self.front, to_input(x[s : s + self.batch])).astype(np.float32)
                 for s in range(0, len(x), self.batch)]
        return np.concatenate(parts) if parts else np.zeros(shape, np.float32)

    def u8(self, idx: np.ndarray) -> np.ndarray:
        return self._u8[self._rows(idx)]

    def f32(self, idx: np.ndarray) -> np.ndarray:
        if self._f32 is None:
            raise QlrError("latent cache: FP32 latents were not computed (no fp32 in --q-lr)")
        return self._f32[self._rows(idx)]

    @property
    def test_f32(self) -> np.ndarray:
        if self.test_f32_ is None:
            raise QlrError("latent cache: FP32 latents were not computed (no fp32 in --q-lr)")
        return self.test_f32_

    def latents(self, idx: np.ndarray, q: int | None) -> np.ndarray:
        return self.f32(idx) if q is None else self.u8(idx)

    def test(self, q: int | None) -> np.ndarray:
        return self.test_f32 if q is None else self.test_u8


def latent_inputs(pool: Pool, streams: dict[int, Stream]) -> LatentInputs:
    """The images the streams use (each once), the test set and the calibration sample."""
    first = next(iter(streams.values()))
    calib = pool.train_x[calibration_sample(first.initial_index)]
    used = np.unique(np.concatenate([np.concatenate([st.initial_index] + list(st.event_index))
                                     for st in streams.values()]))
    return LatentInputs(np.asarray(pool.train_x[used]), used, len(pool.train_y), pool.test_x, calib)


def compute_latents(net: Network, inputs: LatentInputs, lr_layer: int, config: CLConfig, f32: bool) -> LatentCache:
    """An LR layer's `LatentCache` (a sweep's `once` task)."""
    try:
        return LatentCache(net, inputs, lr_layer, config, f32)
    except QlrError as e:
        raise QlrError(f"--lr-layers {lr_layer}: {e}") from None


def latent_seconds(cache: LatentCache) -> float:
    return cache.seconds


def run_replay(net: Network, cache: LatentCache, stream: Stream, cfg: CLConfig, eval_u8: bool = False) -> list[float]:
    """One replay run: accuracy before the first event and after every event.

    ``eval_u8`` (analysis only) evaluates on the 8-bit codes of the test latents whatever Q_LR,
    separating what Q-bit storage does to learning from what Q-bit inputs do to inference.
    """
    pool = stream.pool
    init = stream.initial_index
    setup = build_setup(net, cfg, None, initial_labels=pool.train_y[init],
                        initial_latents=cache.latents(init, cfg.q_lr), qfe=cache.qfe)
    twin = GoldenTwin(setup)
    enc = setup.codec.encode
    if eval_u8 and cfg.q_lr is not None:
        test_x = LatentCodec(8, setup.codec.in_scale).decode(cache.test_u8)

        def acc() -> float:
            return float(np.mean(np.argmax(twin.back.logits(test_x), axis=1) == pool.test_y))
    else:
        test_codes = enc(cache.test(cfg.q_lr))

        def acc() -> float:
            return twin.evaluate_codes(test_codes, pool.test_y).accuracy

    accs = [acc()]
    for i, idx in enumerate(stream.event_index):
        try:
            twin.event_codes(enc(cache.latents(idx, cfg.q_lr)), pool.train_y[idx], event=i)
        except Diverged:
            return accs + [math.nan] * (len(stream.event_index) - i)
        accs.append(acc())
    return accs


def run_cumulative(net: Network, cache: LatentCache, stream: Stream, cfg: CLConfig) -> list[float]:
    """The upper bound: every event trains E epochs over everything seen so far (UINT-8 latents)."""
    pool = stream.pool
    setup = build_setup(net, cfg.with_(n_lr=0, q_lr=8), None, qfe=cache.qfe)
    codec = setup.codec
    back = BackEnd(setup.back)
    params = {k: v.copy() for k, v in setup.state.params.items()}
    momentum = {k: np.zeros_like(v) for k, v in params.items()}
    back.bind(params)
    rng = Rng(cfg.seed)
    test_x = codec.decode(codec.encode(cache.test_u8))

    def acc() -> float:
        return float(np.mean(np.argmax(back.logits(test_x), axis=1) == pool.test_y))

    accs = [acc()]
    seen = [stream.initial_index]
    for idx in stream.event_index:
        seen.append(idx)
        all_idx = np.concatenate(seen)
        x = codec.decode(codec.encode(cache.u8(all_idx)))
        y = pool.train_y[all_idx]
        for _ in range(cfg.epochs):
            perm = rng.shuffle(len(all_idx))
            for s in range(0, len(perm), cfg.mb):
                b = perm[s : s + cfg.mb]
                with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected from the loss
                    loss = back.train_step(x[b], y[b], momentum, cfg.lr, cfg.momentum, cfg.weight_decay)
                if not math.isfinite(loss):
                    return accs + [math.nan] * (len(stream.event_index) + 1 - len(accs))
        accs.append(acc())
    return accs


def _stats(values: list[float]) -> tuple[float, float]:
    """Mean and std over the runs that did not diverge (NaN when all did)."""
    a = np.array(values, dtype=np.float64)
    a = a[np.isfinite(a)]
    return (float(a.mean()), float(a.std())) if len(a) else (math.nan, math.nan)


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: a replay configuration or a baseline, for one LR layer and seed."""

    kind: str  # "replay" or a baseline
    lr_layer: int
    seed: int
    n_lr: int
    q_lr: int | None

    @property
    def q_name(self) -> str:
        return "fp32" if self.q_lr is None else str(self.q_lr)

    @property
    def key(self) -> str:
        return f"{self.kind}-l{self.lr_layer}-seed{self.seed}-n{self.n_lr}-q{self.q_name}"


def plan_runs(ecfg: ExperimentConfig) -> list[RunSpec]:
    """Every run of the sweep, in the order of the results (layer, seed, N_LR, Q_LR, baselines)."""
    out = []
    for l in ecfg.lr_layers:
        for seed in ecfg.seeds:
            out += [RunSpec("replay", l, seed, n, q) for n in ecfg.n_lrs for q in ecfg.q_lrs]
            for kind in ecfg.baselines:
                if kind not in BASELINES:
                    raise QlrError(f"unknown baseline {kind!r} (known: {', '.join(BASELINES)})")
                out.append(RunSpec(kind, l, seed, 0, 8))
    return out


def run_one(spec: RunSpec, net: Network, cache: LatentCache, stream: Stream, ecfg: ExperimentConfig) -> dict[str, Any]:
    """One run of the sweep (a task): its record, with the accuracy after every event."""
    cfg = ecfg.base.with_(lr_layer=spec.lr_layer, n_lr=spec.n_lr, q_lr=spec.q_lr, seed=spec.seed)
    ts = time.perf_counter()
    if spec.kind == "replay":
        accs = run_replay(net, cache, stream, cfg, ecfg.eval_u8)
    elif spec.kind == "naive":
        accs = run_replay(net, cache, stream, cfg)
    elif spec.kind == "cumulative":
        accs = run_cumulative(net, cache, stream, cfg)
    else:
        raise QlrError(f"unknown baseline {spec.kind!r} (known: {', '.join(BASELINES)})")
    elements = int(np.prod(cache.back.input_shape))
    lr_bytes = lr_memory_bytes(spec.n_lr, elements, spec.q_lr) if spec.kind == "replay" else 0
    return {"kind": spec.kind, "lr_layer": spec.lr_layer, "n_lr": spec.n_lr, "q_lr": spec.q_name, "seed": spec.seed,
            "accuracy": accs, "final": accs[-1], "lr_bytes": lr_bytes, "seconds": time.perf_counter() - ts}


@dataclass
class ReplayRunner:
    """Runs the replay configurations somewhere else than on the cached latents (`qlr experiment
    --board`: `qlr.cl.experiment_device`): each is the task ``fn(spec, net, stream, ecfg, *args)``
    on ``streams`` (one per seed, with the images the runs need)."""

    fn: Callable[..., dict[str, Any]]
    streams: dict[int, Stream]
    args: tuple[Any, ...] = ()


def _labels_only(streams: dict[int, Stream]) -> dict[int, Stream]:
    """The streams without the pool's images (a run reads latents, never images): what a
    distributed sweep sends its workers."""
    pool = next(iter(streams.values())).pool
    slim = replace(pool, train_x=None, test_x=pool.test_x[:0])
    return {s: replace(st, pool=slim) for s, st in streams.items()}


def run_experiment(net: Network, pool: Pool, ecfg: ExperimentConfig, progress: bool = True,
                   log: Callable[[str], None] = print, streams: dict[int, Stream] | None = None,
                   engine: Engine | None = None, store: ResultStore | None = None,
                   replay: ReplayRunner | None = None) -> dict[str, Any]:
    """Run every configuration; returns the results (see `format_table` for the columns).

    ``streams`` (one per seed) are made here when not given. ``engine`` runs the runs (default: in
    order, in this process); ``store`` keeps every finished run as it finishes and gives back those
    a previous, interrupted sweep finished (they are not run again); ``replay`` runs the replay
    configurations elsewhere (a board; the baselines stay golden). A run that fails is reported
    through ``log`` at once and listed in the result's ``failed``; the others go on."""

    t0 = time.perf_counter()
    engine = engine or SerialEngine()
    if any(l.kind == "batchnorm" for l in net.layers):
        net = net.fold_batchnorm()
    if streams is None:
        streams = {s: make_stream(pool, ecfg.protocol, s) for s in ecfg.seeds}
    shapes: dict[str, list[int]] = {}
    for l in ecfg.lr_layers:
        try:
            _, back = net.split(l)
        except QlrError as e:
            raise QlrError(f"--lr-layers {l}: {e}") from None
        shapes[str(l)] = list(back.input_shape)
    specs = plan_runs(ecfg)
    results: dict[str, dict[str, Any]] = store.finished([s.key for s in specs]) if store else {}
    if store and results:
        log(f"qlr experiment: resuming: {len(results)} of {len(specs)} runs already finished (in {store.folder})")
    todo = [s for s in specs if s.key not in results]
    failed: list[dict[str, str]] = []
    bar = tqdm(total=len(specs), initial=len(results), desc="experiment", unit="run", disable=not progress)
    latent_s = 0.0
    if todo:
        golden = [s for s in todo if replay is None or s.kind != "replay"]
        layers = [l for l in ecfg.lr_layers if any(s.lr_layer == l for s in golden)]
        bar.set_postfix(stage="latents", layers=",".join(map(str, layers)))
        f32 = any(q is None for q in ecfg.q_lrs)
        inputs = latent_inputs(pool, streams)
        # The first layer's latents here (while a cluster may still be starting: this process is
        # warm and has the data), shared with the workers; the other layers' are tasks, computed
        # on the workers side by side. Either way the same function in the same order.
        first = compute_latents(net, inputs, layers[0], ecfg.base, f32) if layers else None
        net_h, ecfg_h = engine.share(net), engine.share(ecfg)
        if progress and engine.name != "sequential":
            bar.write(f"qlr experiment: {len(todo)} runs on {engine.workers} Dask workers")
        inputs_h = engine.share(inputs) if len(layers) > 1 else None
        streams_h = {s: engine.share(st) for s, st in _labels_only(streams).items()}
        caches = {l: engine.once(compute_latents, net_h, inputs_h, l, ecfg.base, f32) for l in layers[1:]}
        if first is not None:
            latent_s += first.seconds
            caches[layers[0]] = engine.share(first)
        tasks = [Task(s.key, run_one, (s, net_h, caches[s.lr_layer], streams_h[s.seed], ecfg_h)) for s in golden]
        if replay is not None:
            on_device = {s: engine.share(st) for s, st in replay.streams.items()}
            tasks += [Task(s.key, replay.fn, (s, net_h, on_device[s.seed], ecfg_h, *replay.args))
                      for s in todo if s.kind == "replay"]
        for out in engine.run(tasks):
            if out.ok:
                results[out.key] = out.value
                if store:
                    store.save(out.key, out.value)
                bar.set_postfix_str(f"{out.key} {100 * out.value['final']:.1f}%")
            else:
                failed.append({"key": out.key, "error": out.error or "failed"})
                (bar.write if progress else log)(format_failure(out.key, out.error or "failed"))
            bar.update()
        latent_s += sum(engine.fetch(latent_seconds, caches[l]) or 0.0 for l in layers[1:])
    bar.close()
    runs = [results[s.key] for s in specs if s.key in results]
    rows, baselines = summarize(runs, ecfg)
    return {"format": "qlr-cl-experiment/1", "config": ecfg.to_dict(), "rows": rows, "baselines": baselines,
            "runs": runs, "failed": failed, "resumed": len(specs) - len(todo), "latent_shapes": shapes,
            "seconds": time.perf_counter() - t0, "latent_seconds": latent_s,
            "engine": {"name": engine.name, "workers": engine.workers},
            "streams": {str(s): st.describe() for s, st in streams.items()}}


def summarize(runs: list[dict[str, Any]], ecfg: ExperimentConfig) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows, baselines = [], []
    for l in ecfg.lr_layers:
        for n_lr in ecfg.n_lrs:
            for q in ecfg.q_lrs:
                qn = "fp32" if q is None else str(q)
                sel = [r for r in runs if r["kind"] == "replay" and r["lr_layer"] == l and r["n_lr"] == n_lr
                       and r["q_lr"] == qn]
                if not sel:
                    continue
                m, s = _stats([r["final"] for r in sel])
                rows.append({"lr_layer": l, "n_lr": n_lr, "q_lr": qn, "lr_bytes": sel[0]["lr_bytes"],
                             "acc_mean": m, "acc_std": s, "finals": [r["final"] for r in sel],
                             "diverged": sum(1 for r in sel if not math.isfinite(r["final"])),
                             "initial_mean": _stats([r["accuracy"][0] for r in sel])[0], "seeds": len(sel)})
        for kind in ecfg.baselines:
            sel = [r for r in runs if r["kind"] == kind and r["lr_layer"] == l]
            if sel:
                m, s = _stats([r["final"] for r in sel])
                baselines.append({"kind": kind, "lr_layer": l, "acc_mean": m, "acc_std": s,
                                  "finals": [r["final"] for r in sel], "seeds": len(sel),
                                  "diverged": sum(1 for r in sel if not math.isfinite(r["final"]))})
    return rows, baselines


def format_table(res: dict[str, Any]) -> str:
    """The results as a text table (accuracy in %, memory in bytes; the last columns are the
    difference to the FP32 and to the UINT-8 row of the same LR layer and N_LR, in points)."""
    rows, base = res["rows"], res["baselines"]
    seeds = len(res["config"]["seeds"])

    def ref(r: dict[str, Any], q: str) -> str:
        x = next((x for x in rows if x["lr_layer"] == r["lr_layer"] and x["n_lr"] == r["n_lr"] and x["q_lr"] == q), None)
        return "" if x is None or x is r else f"{100 * (r['acc_mean'] - x['acc_mean']):+.2f}"

    lines = [f"{'layer':>5} {'N_LR':>10} {'Q_LR':>5} {'LR memory (B)':>14} {'final accuracy (%)':>19} "
             f"{'vs FP32':>8} {'vs U8':>7}"]
    for r in sorted(rows, key=lambda r: (r["lr_layer"], r["n_lr"], -(int(r["q_lr"]) if r["q_lr"] != "fp32" else 99))):
        div = f"  ({r['diverged']}/{r['seeds']} diverged)" if r.get("diverged") else ""
        lines.append(f"{'l' + str(r['lr_layer']):>5} {r['n_lr']:>10} {r['q_lr']:>5} {r['lr_bytes']:>14,} "
                     f"{100 * r['acc_mean']:>10.2f} ± {100 * r['acc_std']:5.2f} {ref(r, 'fp32'):>8} {ref(r, '8'):>7}{div}")
    for b in base:
        div = f"  ({b['diverged']}/{b['seeds']} diverged)" if b.get("diverged") else ""
        lines.append(f"{'l' + str(b['lr_layer']):>5} {b['kind']:>10} {'8':>5} {'-':>14} "
                     f"{100 * b['acc_mean']:>10.2f} ± {100 * b['acc_std']:5.2f}{div}")
    lines.append(f"mean ± std over {seeds} seed(s); {res['seconds']:.0f} s in all "
                 f"({res['latent_seconds']:.0f} s computing latents)")
    return "\n".join(lines)

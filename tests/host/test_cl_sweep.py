"""`qlr experiment` as a sweep: the results folder (atomic, fingerprinted), the engines (a failing
run is reported and the others go on), bit-identical results on a local Dask cluster and in this
process, and a sweep killed mid-way that resumes without redoing its finished runs."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time

import pytest

from qlr import REPO_ROOT
from qlr.cl import experiment
from qlr.cl.testing import synthetic_images, tiny_network
from qlr.cli import main
from qlr.data import Dataset, save_dataset
from qlr.model import save_network
from qlr.sweep.engine import DaskEngine, SerialEngine, Task, have_dask
from qlr.sweep.store import ResultStore, fingerprint_of

# Skipped where Dask distributed is not installed, except on CI (CI=true), which installs it
# (tools/setup, the test extra): there a missing engine fails these tests instead of hiding them.
needs_dask = pytest.mark.skipif(not have_dask() and not os.environ.get("CI"),
                                reason="Dask distributed is not installed (pip install 'qlr[distributed]')")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A 4-class 16x16 data set, a tiny network whose runs differ in accuracy (random features with
    BatchNorm statistics of the data) and a private model cache (inherited by subprocesses)."""
    d = tmp_path_factory.mktemp("cl_sweep")
    x, y = synthetic_images(400, classes=4, size=16, seed=3)
    save_dataset(d / "syn.npz", Dataset(x, y))
    save_network(tiny_network(4, 16, 0, calib=x[:64]), str(d / "net.npz"))
    old = os.environ.get("QLR_CACHE")
    os.environ["QLR_CACHE"] = str(d / "cache")
    yield d
    if old is None:
        os.environ.pop("QLR_CACHE", None)
    else:
        os.environ["QLR_CACHE"] = old


def sweep_args(d, out: str, *extra: str, seeds: int = 2) -> list[str]:
    # two layers (one FP32 Q_LR): latents computed per layer, runs of both layers interleaved
    return ["experiment", "--data", str(d / "syn.npz"), "--model", str(d / "net.npz"), "--lr-layers", "23,27",
            "--n-lr", "60", "--q-lr", "fp32,8,4", "--seeds", str(seeds), "--events", "3", "--event-size", "30",
            "--n-initial", "80", "--test-per-class", "10", "--mb", "16", "--epochs", "2", "--lr", "0.05", "--quiet", "--json",
            "--out", str(d / out), *extra]


def without_time(runs):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in runs]


def same(a, b) -> bool:
    """Equal accuracy curves, bit for bit (NaN equal to NaN: a diverged run stays diverged)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def test_store_round_trips_exact_floats_and_ignores_other_sweeps(tmp_path):
    s = ResultStore(tmp_path / "runs", fingerprint_of({"lr": 0.01}))
    assert s.load("a") is None
    value = {"accuracy": [0.1 + 0.2, math.nan, 1 / 3], "final": 1e-300}
    s.save("a", value)
    back = s.load("a")
    assert back["accuracy"][0] == 0.1 + 0.2 and math.isnan(back["accuracy"][1]) and back["accuracy"][2] == 1 / 3
    assert back["final"] == 1e-300
    assert [p.name for p in (tmp_path / "runs").iterdir()] == [s.path("a").name]  # no temporary file left
    other = ResultStore(tmp_path / "runs", fingerprint_of({"lr": 0.02}))
    assert other.load("a") is None  # another sweep's settings: not reused
    s.path("b").write_text('{"format": "qlr-sweep-run/1", "key": "b", "fing')  # a torn file is no result
    assert s.finished(["a", "b"]) == {"a": back}


def test_serial_engine_reports_a_failing_run_and_goes_on():
    outs = list(SerialEngine().run([Task("ok1", abs, (-2,)), Task("bad", math.sqrt, (-1.0,)), Task("ok2", abs, (3,))]))
    assert [(o.key, o.ok) for o in outs] == [("ok1", True), ("bad", False), ("ok2", True)]
    assert outs[0].value == 2 and "math domain error" in (outs[1].error or "")


def test_failing_runs_are_reported_left_out_and_set_the_exit_status(data, capsys, monkeypatch):
    real = experiment.run_cumulative

    def broken(net, cache, stream, cfg):
        if cfg.seed == 1:
            raise RuntimeError("injected failure")
        return real(net, cache, stream, cfg)

    monkeypatch.setattr(experiment, "run_cumulative", broken)
    rc = main(sweep_args(data, "fail.json", "--workers", "0"))
    cap = capsys.readouterr()
    assert rc == 1
    assert "run cumulative-l23-seed1-n0-q8 failed: RuntimeError: injected failure" in cap.err
    assert "2 of 20 runs failed" in cap.err
    saved = json.load(open(data / "fail.json"))
    assert len(saved["runs"]) == 18 and {f["key"] for f in saved["failed"]} == {
        "cumulative-l23-seed1-n0-q8", "cumulative-l27-seed1-n0-q8"}
    # run again (the failure fixed): only the two failed runs execute
    monkeypatch.setattr(experiment, "run_cumulative", real)
    assert main(sweep_args(data, "fail.json", "--workers", "0")) == 0
    assert "resuming: 18 of 20 runs already finished" in capsys.readouterr().err
    assert len(json.load(open(data / "fail.json"))["runs"]) == 20


@pytest.fixture(scope="module")
def sequential(data):
    assert main(sweep_args(data, "seq.json", "--workers", "0")) == 0
    return json.load(open(data / "seq.json"))


@needs_dask
def test_dask_engine_reports_a_failing_task_and_goes_on():
    eng = DaskEngine(workers=1)
    try:
        shared = eng.share([1, 2, 3])
        once = eng.once(sum, shared)
        outs = {o.key: o for o in eng.run([Task("sum", abs, (once,)), Task("bad", math.sqrt, (-1.0,))])}
    finally:
        eng.close()
    assert outs["sum"].value == 6 and not outs["bad"].ok and "math domain error" in (outs["bad"].error or "")


@needs_dask
@pytest.mark.slow  # a local cluster's start (~3 s) and the sweep
def test_two_workers_give_the_sequential_results_bit_for_bit(data, sequential, capsys):
    assert main(sweep_args(data, "par.json", "--workers", "2")) == 0
    par = json.load(open(data / "par.json"))
    assert par["engine"] == {"name": "dask", "workers": 2} and sequential["engine"]["name"] == "sequential"
    assert len(par["runs"]) == 20
    accs = {a for r in sequential["runs"] for a in r["accuracy"]}
    assert len(accs) > 3  # the runs learn something: a comparison of constant curves would prove little
    assert same(without_time(par["runs"]), without_time(sequential["runs"]))
    assert same(par["rows"], sequential["rows"]) and same(par["baselines"], sequential["baselines"])


@pytest.mark.slow  # a sweep in a subprocess, killed, then finished
def test_a_killed_sweep_resumes_without_redoing_finished_runs(data, sequential, tmp_path):
    out = tmp_path / "killed.json"
    folder = tmp_path / "killed.json.runs"
    workers = "2" if have_dask() else "0"
    # 4 seeds (40 runs): time to kill it mid-way; seeds 0 and 1 must give the 2-seed sweep's runs
    args = [a if a != str(data / "seq.json") else str(out)
            for a in sweep_args(data, "seq.json", "--workers", workers, seeds=4)]
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT / "host"))
    proc = subprocess.Popen([sys.executable, "-m", "qlr", *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if folder.is_dir() and len(list(folder.glob("run-*.json"))) >= 3:
            break
        time.sleep(0.005)
    assert proc.poll() is None, f"the sweep ended before it could be killed: {proc.stderr.read().decode()[-500:]}"
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers, at once
    proc.wait()
    done = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.glob("run-*.json")}
    assert 3 <= len(done) < 40 and not out.exists()
    r = subprocess.run([sys.executable, "-m", "qlr", *args], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert f"resuming: {len(done)} of 40 runs already finished" in r.stderr
    for name, (mtime, content) in done.items():  # not run again: the files were not rewritten
        p = folder / name
        assert p.stat().st_mtime_ns == mtime and p.read_bytes() == content
    res = json.loads(out.read_text())
    assert res["resumed"] == len(done) and len(res["runs"]) == 40
    assert same(without_time([r for r in res["runs"] if r["seed"] < 2]), without_time(sequential["runs"]))

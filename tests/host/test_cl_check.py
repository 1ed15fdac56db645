"""The golden-twin checker (qlr.cl.check, Session --check): golden against golden passes, and each
kind of fault is reported with its event and tensor."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from qlr.cl.check import compare_evals, compare_events, compare_states
from qlr.cl.driver import CheckFailed, GoldenBackend, Session
from qlr.cl.event import GoldenTwin
from qlr.cl.protocol import Pool, ProtocolConfig, Stream
from qlr.cl.record import RunRecord
from qlr.cl.testing import synthetic_images, tiny_setup


@pytest.fixture(scope="module")
def ran():
    """Two twins from one setup, three events each: (setup, [reports A], [reports B], twin A, twin B)."""
    setup, _ = tiny_setup(lr_layer=23, n_lr=48, q_lr=7, epochs=2, mb=16)
    a, b = GoldenTwin(setup), GoldenTwin(setup)
    ra, rb = [], []
    for i in range(3):
        x, y = synthetic_images(32, seed=50 + i)
        ra.append(a.event(x, y))
        rb.append(b.event(x, y))
    return setup, ra, rb, a, b


def test_golden_against_golden_passes(ran):
    setup, ra, rb, a, b = ran
    for i in range(3):
        assert compare_events(i, ra[i], rb[i]) == []
    assert compare_states(2, a.state(), b.state()) == []
    x, y = synthetic_images(20, seed=60)
    assert compare_evals(2, a.evaluate(x, y), b.evaluate(x, y)) == []


def test_perturbed_weight_is_named(ran):
    _, ra, rb, _, _ = ran
    got = rb[2]
    w = got.params["pw13.weight"].copy()
    got_params = dict(got.params)
    w[3, 5] += 0.05 + 0.01 * abs(w[3, 5])
    got_params["pw13.weight"] = w
    bad = type(got)(**{**got.__dict__, "params": got_params})
    msgs = compare_events(2, ra[2], bad)
    assert len(msgs) == 1
    assert msgs[0].startswith("event 2: weight pw13.weight") and "(3, 5)" in msgs[0]


def test_within_tolerance_passes_and_nan_fails(ran):
    _, ra, rb, _, _ = ran
    ref = ra[1]
    near = {k: v * np.float32(1 + 1e-5) for k, v in rb[1].params.items()}  # ~1e-5 relative: a reordered sum
    assert compare_events(1, ref, type(ref)(**{**rb[1].__dict__, "params": near})) == []
    nan = dict(rb[1].params)
    nan["fc.bias"] = nan["fc.bias"].copy()
    nan["fc.bias"][2] = np.nan
    msgs = compare_events(1, ref, type(ref)(**{**rb[1].__dict__, "params": nan}))
    assert msgs and "fc.bias" in msgs[0] and "non-finite" in msgs[0] and "(2,)" in msgs[0]


def test_wrong_slot_and_flipped_latent_bit(ran):
    _, ra, rb, _, _ = ran
    got = rb[1]
    slots = got.slots.copy()
    slots[4] = (slots[4] + 1) % 48
    msgs = compare_events(1, ra[1], type(got)(**{**got.__dict__, "slots": slots}))
    assert any(m.startswith("event 1: LR slots written") and "(4,)" in m for m in msgs)
    codes = got.codes.copy()
    codes[7, 0, 0, 11] ^= 1
    msgs = compare_events(1, ra[1], type(got)(**{**got.__dict__, "codes": codes}))
    assert msgs == [m for m in msgs if m.startswith("event 1: new latent codes")] and len(msgs) == 1
    assert "(7, 0, 0, 11)" in msgs[0]


def test_state_faults_are_named(ran):
    _, _, _, a, b = ran
    st = b.state()
    st.lr_codes[5, 0, 0, 3] ^= 4
    msgs = compare_states(2, a.state(), st)
    assert len(msgs) == 1 and msgs[0].startswith("event 2: LR memory codes") and "(5, 0, 0, 3)" in msgs[0]
    st = b.state()
    st.rng = (st.rng[0] ^ 1,) + tuple(st.rng[1:])
    msgs = compare_states(2, a.state(), st)
    assert len(msgs) == 1 and "RNG state" in msgs[0]
    st = b.state()
    st.momentum["pw12.weight"] = st.momentum["pw12.weight"] * 2 + 1e-3
    assert any(m.startswith("event 2: momentum pw12.weight") for m in compare_states(2, a.state(), st))


class _SlotBug(GoldenBackend):
    """A 'device' whose replacement policy writes one new latent to the wrong slot from event 1 on."""

    def event(self, i, images, labels):
        rep = super().event(i, images, labels)
        if i >= 1:
            st = self.twin._state
            s = int(rep.slots[0])
            other = (s + 1) % st.n_lr
            st.lr_codes[other] = st.lr_codes[s]
            rep.slots = rep.slots.copy()
            rep.slots[0] = other
        return rep


class _ScaleBug(GoldenBackend):
    """A 'device' that dequantizes with the u8 scale S_a instead of S_Q (forgets the requantization)."""

    def start(self, setup):
        bad = dataclasses.replace(setup, codec=dataclasses.replace(setup.codec))
        object.__setattr__(bad.codec, "in_scale", setup.codec.in_scale / 255 * ((1 << setup.config.q_lr) - 1))
        super().start(bad)


def _stream(setup, events=3) -> Stream:
    x, y = synthetic_images(200, seed=70)
    xt, yt = synthetic_images(40, seed=71)
    pool = Pool("synthetic", "synthetic", x, y, xt, yt, [0, 1, 2, 3])
    cfg = ProtocolConfig(data="synthetic", n_initial=64, events=events, event_size=30, test_per_class=10)
    idx = [np.arange(30 * i, 30 * (i + 1)) for i in range(events)]
    return Stream(pool, cfg, 0, [0, 1], np.arange(0), [[int(y[j[0]])] for j in idx], idx)


@pytest.mark.parametrize("backend,where,recorded", [
    (_SlotBug, "event 1", 2),  # the policy matters from the first replacement it gets wrong
    (_ScaleBug, "start", 0),   # dequantization matters already for the accuracy before event 0
])
def test_session_check_stops_at_the_first_faulty_event(tmp_path, backend, where, recorded):
    setup, _ = tiny_setup(lr_layer=23, n_lr=48, q_lr=6, epochs=2, mb=16)
    rec = RunRecord(str(tmp_path / "run.json"), {"test": 1}, {})
    with pytest.raises(CheckFailed) as exc:
        Session(backend(), setup, _stream(setup), rec, check=True, progress=False).run()
    msgs = exc.value.messages
    assert msgs and all(m.startswith(f"{where}:") for m in msgs)
    assert rec.data["status"] == "check-failed" and len(rec.events) == recorded
    assert all(e["check"] == "ok" for e in rec.events[: recorded - 1])
    if backend is _SlotBug:
        assert any("LR slots written" in m for m in msgs) and any("LR memory codes" in m for m in msgs)
    else:
        assert "accuracy" in msgs[0]


def test_session_golden_check_passes(tmp_path):
    setup, _ = tiny_setup(lr_layer=23, n_lr=48, q_lr=6, epochs=2, mb=16)
    rec = RunRecord(str(tmp_path / "run.json"), {"test": 1}, {})
    data = Session(GoldenBackend(), setup, _stream(setup), rec, check=True, progress=False).run()
    assert data["status"] == "done" and [e["check"] for e in data["events"]] == ["ok"] * 3

"""Data streams: class, session and mixed streams follow their rules; values left open are chosen
from the data; impossible streams are refused with the exact shortfall and fixes that work."""

from __future__ import annotations

import re

import numpy as np
import pytest

from qlr.cl.source import Source, make_pool
from qlr.cl.streams import ProtocolConfig, make_stream, resolve_protocol
from qlr.data.synthetic import imu_dataset
from qlr.errors import QlrError


def source(n_per_class: int = 60, classes: int = 4, sessions: int = 0, seed: int = 0) -> Source:
    r = np.random.default_rng(seed)
    y = np.tile(np.arange(classes), n_per_class)
    x = r.integers(0, 256, (len(y), 4, 4, 1), dtype=np.uint8)
    x[:, 0, 0, 0] = np.arange(len(y)) % 256  # rows distinguishable
    s = None if not sessions else (np.arange(len(y)) * sessions // len(y)).astype(np.int64)
    return Source("toy", "toy", x, y.astype(np.int64), s)


def imu_source(sessions: int = 6, per_class: int = 20) -> Source:
    ds = imu_dataset(sessions=sessions, per_class=per_class, seed=1)
    return Source("imu", "imu", ds.x, ds.y, ds.sessions, class_names=ds.classes)


def test_test_set_is_round_robin_over_sessions_and_leaves_training():
    src = imu_source(sessions=6, per_class=20)
    pool = make_pool(src, (8, 8, 6), test_per_class=9)
    assert np.bincount(pool.test_y).tolist() == [9] * 6
    # 9 test images of a class over 6 sessions: every session gives 1, the first three 2
    ds = imu_dataset(sessions=6, per_class=20, seed=1)
    test_rows = {bytes(r) for r in pool.test_x.reshape(len(pool.test_x), -1)}
    test_mask = np.array([bytes(r) in test_rows for r in ds.x.reshape(len(ds.x), -1)])
    for c in range(6):
        per_session = np.bincount(ds.sessions[test_mask & (ds.y == c)], minlength=6)
        assert sorted(per_session.tolist()) == [1, 1, 1, 2, 2, 2]
    # classes start their round robin at different sessions: 54 test images, 9 from every session
    assert np.bincount(ds.sessions[test_mask], minlength=6).tolist() == [9] * 6
    assert len(pool.train_y) + len(pool.test_y) == len(ds.y)
    train_rows = {bytes(r) for r in np.asarray(pool.train_x).reshape(len(pool.train_y), -1)}
    assert not train_rows & test_rows


def test_class_stream_rules():
    pool = make_pool(source(60, 4), (4, 4, 1), test_per_class=5)
    cfg = ProtocolConfig(data="toy", n_initial=40, events=6, event_size=10, test_per_class=5, size=None)
    st = make_stream(pool, cfg, seed=3)
    assert st.initial_classes == [0, 1] and len(st.initial_index) == 40
    assert all(len(c) == 1 and np.all(pool.train_y[i] == c[0]) for c, i in zip(st.event_classes, st.event_index))
    counts = np.bincount([c[0] for c in st.event_classes], minlength=4)
    assert sorted(counts.tolist()) == [1, 1, 2, 2]  # 6 events over 4 classes: 1 each, 2 get one more
    used = np.concatenate([st.initial_index] + st.event_index)
    assert len(np.unique(used)) == len(used)  # no image twice
    assert st.event_sessions == [None] * 6


def test_session_stream_rules_and_seeds():
    pool = make_pool(imu_source(sessions=6, per_class=20), (8, 8, 6), test_per_class=6)
    cfg = ProtocolConfig(data="imu", stream="session", n_initial=200, events=None, event_size=50,
                         test_per_class=6, size=None)
    cfg = resolve_protocol(pool, cfg)
    st = make_stream(pool, cfg, seed=0)
    sess = pool.train_sessions
    # 6 classes x 20 per session - 6 test images = 114 training images per session: 2 sessions hold 200
    assert st.initial_sessions == [0, 1] and len(st.initial_index) == 200
    assert set(sess[st.initial_index]) == {0, 1} and st.initial_classes == list(range(6))
    assert cfg.events == 4 and sorted(st.event_sessions) == [2, 3, 4, 5]
    for s, idx, classes in zip(st.event_sessions, st.event_index, st.event_classes):
        assert np.all(sess[idx] == s) and len(idx) == 50 and classes == sorted(set(pool.train_y[idx].tolist()))
    used = np.concatenate([st.initial_index] + st.event_index)
    assert len(np.unique(used)) == len(used)
    orders = {tuple(make_stream(pool, cfg, seed=k).event_sessions) for k in range(6)}
    assert len(orders) > 1  # the seed shuffles the sessions


def test_mixed_stream_units_are_one_class_of_one_session():
    pool = make_pool(imu_source(sessions=4, per_class=20), (8, 8, 6), test_per_class=4)
    cfg = resolve_protocol(pool, ProtocolConfig(data="imu", stream="mixed", initial_classes=(0, 1, 2),
                                                n_initial=60, events=None, event_size=None, test_per_class=4,
                                                size=None), default_events=30)
    st = make_stream(pool, cfg, seed=1)
    assert set(pool.train_y[st.initial_index]) <= {0, 1, 2}
    for s, idx in zip(st.event_sessions, st.event_index):
        assert len(set(pool.train_y[idx].tolist())) == 1 and np.all(pool.train_sessions[idx] == s)
    # new classes arrive during the stream, with new instances of the old ones
    first = st.describe()["new_class_first_event"]
    # units: sessions 0-1 (initial, 57 images of classes 0-2 each) x classes 3-5, sessions 2-3 x all 6:
    # 18 units, fewer than the 30 events asked for by default, so 18 events
    assert sorted(first) == ["3", "4", "5"] and len(st) == 18 and st.initial_sessions == [0, 1]


def test_session_stream_needs_sessions():
    pool = make_pool(source(20, 4), (4, 4, 1), test_per_class=2)
    with pytest.raises(QlrError, match="no 'sessions' field"):
        make_stream(pool, ProtocolConfig(data="toy", stream="session", size=None), 0)


def fix_values(msg: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r"--(event-size|events|n-initial) (\d+)", msg.split("Fix:")[1])}


def test_infeasible_class_stream_names_the_shortfall_and_fixes_that_work():
    pool = make_pool(source(60, 4), (4, 4, 1), test_per_class=5)  # 55 training images per class
    cfg = ProtocolConfig(data="toy", n_initial=100, events=8, event_size=20, test_per_class=5, size=None)
    with pytest.raises(QlrError) as info:
        make_stream(pool, cfg, seed=0)
    msg = str(info.value)
    # classes 0 and 1 give 50 images each to the initial batch: 5 left, 2 events of 20 need 40
    assert "class 0 has 5 images outside the initial batch, its 2 event(s) of 20 need 40 (short by 35)" in msg
    fixes = fix_values(msg)
    assert set(fixes) == {"event-size", "events", "n-initial"}
    assert fixes["event-size"] == 2 and fixes["n-initial"] == 30
    for opt, v in fixes.items():
        st = make_stream(pool, cfg.with_(**{opt.replace("-", "_"): v}), seed=0)  # each fix alone works
        assert len(st) == (v if opt == "events" else 8)
    bigger = {"event-size": fixes["event-size"] + 1, "n-initial": fixes["n-initial"] + 1}
    for opt, v in bigger.items():  # and each is the largest that does
        with pytest.raises(QlrError, match="infeasible"):
            make_stream(pool, cfg.with_(**{opt.replace("-", "_"): v}), seed=0)


def test_infeasible_initial_batch_and_session_stream():
    pool = make_pool(source(20, 4), (4, 4, 1), test_per_class=2)  # 18 per class
    with pytest.raises(QlrError, match=r"class 0 has 18 \(needs 25\).*--n-initial 36 or less"):
        make_stream(pool, ProtocolConfig(data="toy", n_initial=50, events=1, event_size=1, test_per_class=2,
                                         size=None), 0)
    ipool = make_pool(imu_source(sessions=3, per_class=10), (8, 8, 6), test_per_class=3)
    with pytest.raises(QlrError, match=r"has 2 session\(s\) outside the initial batch \(short by 3\)\. Fix: --events 2"):
        make_stream(ipool, ProtocolConfig(data="imu", stream="session", n_initial=20, events=5, event_size=10,
                                          test_per_class=3, size=None), 0)


def test_defaults_work_on_a_few_thousand_images():
    """3000 images in 10 classes: the nominal 3000-image initial batch, 300-image events and 100
    test images per class cannot all hold; the chosen values do, for every seed."""
    src = source(300, 10)
    pool = make_pool(src, (4, 4, 1), test_per_class=None)
    cfg = resolve_protocol(pool, ProtocolConfig(data="toy", n_initial=None, events=None, event_size=None,
                                                test_per_class=None, size=None), default_events=20)
    assert pool.test_per_class == 30 and cfg.n_initial == 675 and cfg.events == 20
    for seed in range(5):
        st = make_stream(pool, cfg, seed)
        assert len(st) == 20 and all(len(i) == cfg.event_size for i in st.event_index)
    assert cfg.event_size == 67  # classes 0-4: 270 - 135 initial = 135 left for 2 events

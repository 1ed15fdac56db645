"""Checkpoints of the CL state and the resume/restart decision (qlr.cl.state, qlr.cl.record):
round trip, corruption and configuration mismatch detected, never used silently."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from qlr.cl.record import RunRecord, checkpoint_path, prepare
from qlr.cl.state import CheckpointError, CLState, load_checkpoint, save_checkpoint
from qlr.errors import QlrError


def make_state(seed: int = 0) -> CLState:
    r = np.random.default_rng(seed)
    params = {"pw.weight": r.standard_normal((8, 4)).astype(np.float32), "fc.bias": r.standard_normal(3).astype(np.float32)}
    mom = {k: (0.1 * v).astype(np.float32) for k, v in params.items()}
    codes = r.integers(0, 64, size=(10, 1, 1, 4)).astype(np.uint8)
    return CLState(params, mom, codes, r.integers(0, 3, size=10), np.array([0.25], np.float32),
                   filled=7, updates=3, events=2, rng=(1, 2, 3, 4))


CONFIG = {"cl": {"n_lr": 10, "q_lr": 6}, "board": "golden"}


def equal(a: CLState, b: CLState) -> bool:
    aa, bb = a.arrays(), b.arrays()
    return aa.keys() == bb.keys() and all(np.array_equal(aa[k], bb[k]) and aa[k].dtype == bb[k].dtype for k in aa)


def test_round_trip(tmp_path):
    p = tmp_path / "c.npz"
    st = make_state()
    digest = save_checkpoint(p, st, CONFIG, {"events": [1, 2]})
    got, meta = load_checkpoint(p, CONFIG)
    assert equal(st, got) and got.rng == (1, 2, 3, 4) and (got.filled, got.updates, got.events) == (7, 3, 2)
    assert meta["digest"] == digest and meta["extra"] == {"events": [1, 2]}
    assert not os.path.exists(str(p) + ".tmp")


def test_flipped_byte_is_detected(tmp_path):
    p = tmp_path / "c.npz"
    save_checkpoint(p, make_state(), CONFIG)
    raw = bytearray(p.read_bytes())
    # flip one byte inside the LR codes' data (the npz is stored uncompressed)
    codes = make_state().lr_codes.tobytes()
    pos = bytes(raw).find(codes)
    assert pos > 0
    raw[pos + 5] ^= 0x10
    p.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(p, CONFIG)
    assert "corrupted" in str(e.value) and str(p) in str(e.value)


def test_truncated_file_and_foreign_npz(tmp_path):
    p = tmp_path / "c.npz"
    save_checkpoint(p, make_state(), CONFIG)
    p.write_bytes(p.read_bytes()[:-200])
    with pytest.raises(CheckpointError, match="corrupted"):
        load_checkpoint(p)
    q = tmp_path / "other.npz"
    np.savez(q, a=np.zeros(3))
    with pytest.raises(CheckpointError, match="no __meta__"):
        load_checkpoint(q)


def test_changed_array_with_stale_digest_is_detected(tmp_path):
    """Rewrite the file with one array changed but the old metadata: the digest no longer matches."""
    p = tmp_path / "c.npz"
    save_checkpoint(p, make_state(), CONFIG, {"x": 1})
    with np.load(p) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["param/pw.weight"] = arrays["param/pw.weight"] + np.float32(1e-3)
    np.savez(p, **arrays)
    with pytest.raises(CheckpointError, match="corrupted"):
        load_checkpoint(p, CONFIG)


def test_other_configuration_is_refused_naming_the_field(tmp_path):
    p = tmp_path / "c.npz"
    save_checkpoint(p, make_state(), CONFIG)
    with pytest.raises(CheckpointError, match="another configuration.*cl"):
        load_checkpoint(p, {**CONFIG, "cl": {"n_lr": 10, "q_lr": 7}})


def test_state_validation_names_the_field():
    st = make_state()
    st.lr_labels = st.lr_labels[:5]
    with pytest.raises(QlrError, match="lr_labels"):
        st.validate()
    st = make_state()
    st.filled = 11
    with pytest.raises(QlrError, match="filled"):
        st.validate()


def test_prepare_restarts_with_a_message_and_resumes_a_verified_state(tmp_path):
    path = str(tmp_path / "run.json")
    logs: list[str] = []
    assert prepare(path, CONFIG, resume=False, log=logs.append) is None and logs == []
    rec = RunRecord(path, CONFIG, {"protocol": {"events": 5}})
    st = make_state()
    rec.events.extend([{"event": 0}, {"event": 1}])
    rec.save(st)
    assert json.load(open(path))["checkpoint"]["events"] == 2
    # without --resume: a clear message, the old checkpoint removed, a fresh start
    assert prepare(path, CONFIG, resume=False, log=logs.append) is None
    assert "holds a running run (2/5 events)" in logs[-1] and "--resume" in logs[-1]
    assert not os.path.exists(checkpoint_path(path))
    # with --resume: the state and entries come back exactly
    rec.save(st)
    r = prepare(path, CONFIG, resume=True, log=logs.append)
    assert r is not None and equal(r.state, st) and [e["event"] for e in r.events] == [0, 1]
    assert "resuming" in logs[-1]
    # a corrupted checkpoint is an error that says how to start over
    ck = checkpoint_path(path)
    raw = bytearray(open(ck, "rb").read())
    i = bytes(raw).find(st.params["pw.weight"].tobytes())
    raw[i] ^= 1
    open(ck, "wb").write(bytes(raw))
    with pytest.raises(QlrError, match="corrupted.*without --resume"):
        prepare(path, CONFIG, resume=True, log=logs.append)
    # another configuration cannot be resumed
    rec.save(st)
    with pytest.raises(QlrError, match="another configuration"):
        prepare(path, {**CONFIG, "board": "qemu-rv32"}, resume=True, log=logs.append)


def test_entries_must_match_the_state(tmp_path):
    path = str(tmp_path / "run.json")
    rec = RunRecord(path, CONFIG, {})
    rec.events.append({"event": 0})  # the state says 2 events, the entries 1
    rec.save(make_state())
    with pytest.raises(QlrError, match="2 events but 1 event entries"):
        prepare(path, CONFIG, resume=True, log=lambda m: None)

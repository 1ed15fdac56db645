"""Mixing rule, replacement policy and the RNG consumption order of a learning event (qlr.cl.policy),
against REFERENCE.md's figures and a plain re-statement of docs/cl-protocol.md."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cl_rng import ref_sample, ref_seed  # a second reading of the RNG spec

from qlr.cl.policy import admitted, memory_update, mixing, plan_event
from qlr.cl.rng import Rng


def test_reference_mix_21_new_107_replayed():
    # REFERENCE.md: a mini-batch of 128 = 21 new + 107 replayed latents, cur = N // ((N + N_LR) // mb).
    m = mixing(300, 1500, 128)
    assert (m.cur, m.rep) == (21, 107)
    assert m.iterations == math.ceil(300 / 21) == 15


@pytest.mark.parametrize("n,f,mb,cur,rep", [
    (300, 0, 128, 128, 0),       # empty memory: all-new mini-batches
    (50, 0, 128, 50, 0),         # fewer new latents than a mini-batch
    (10, 3000, 128, 1, 127),     # N < (N + F) // mb: at least one new latent
    (100, 20, 128, 100, 28),     # N + F < mb: one "batch" worth
    (1000, 10, 128, 128, 0),     # N // nb > mb: capped at mb, nothing replayed
    (0, 500, 128, 0, 0),         # no new latents: no training
])
def test_mixing_guards(n, f, mb, cur, rep):
    m = mixing(n, f, mb)
    assert (m.cur, m.rep) == (cur, rep)
    assert m.iterations == (math.ceil(n / cur) if n else 0)


def test_every_new_latent_once_per_epoch_and_replay_wraps():
    rng = Rng(9)
    plan = plan_event(rng, 300, 1500, 1500, 1, epochs=4, mb=128)
    seen_epochs: dict[int, list[int]] = {}
    rep_epochs: dict[int, list[int]] = {}
    for e, t, new, rep in plan.batches():
        assert len(rep) == 107
        assert len(new) == (21 if t < 14 else 300 - 14 * 21)  # the last iteration takes the 6 left
        seen_epochs.setdefault(e, []).extend(new.tolist())
        rep_epochs.setdefault(e, []).extend(rep.tolist())
    assert sorted(seen_epochs) == [0, 1, 2, 3]
    for e in range(4):
        assert sorted(seen_epochs[e]) == list(range(300))
        r = rep_epochs[e]
        assert len(r) == 15 * 107 and all(0 <= s < 1500 for s in r)
        # the replay stream is one permutation of the 1500 slots, wrapping after 1500 draws
        assert sorted(r[:1500]) == list(range(1500))
        assert r[1500:] == r[: 15 * 107 - 1500]
    # the epochs draw different orders
    assert seen_epochs[0] != seen_epochs[1]


def ref_h(n_lr: int, i: int, n_new: int) -> int:
    """REFERENCE.md, full memory: h = min(rm_size // (i + 1), n_new)."""
    return min(n_lr // (i + 1), n_new)


def test_h_per_event_once_full_matches_reference():
    n_lr, filled = 1500, 1500
    for i in range(1, 40):
        h, fill = admitted(n_lr, filled, i, 300)
        assert (h, fill) == (ref_h(n_lr, i, 300), 0)
    # update 0 fills the memory
    assert admitted(1500, 0, 0, 3000) == (1500, 1500)


def test_filling_rule_small_first_batch():
    """N_LR = 1000, batches of 300: the memory keeps everything until it is full, then replaces."""
    rng = Rng(4)
    filled, contents = 0, np.full(1000, -1)
    hs = []
    for i in range(8):
        upd = memory_update(rng, 1000, filled, i, 300)
        hs.append((upd.h, upd.fill))
        # filling goes to the next empty slots in order, replacements hit only older slots
        assert upd.slots[: upd.fill].tolist() == list(range(filled, filled + upd.fill))
        assert all(s < filled for s in upd.slots[upd.fill :])
        assert len(set(upd.slots.tolist())) == upd.h and len(set(upd.new_index.tolist())) == upd.h
        contents[upd.slots] = 1000 * i + upd.new_index
        filled = upd.filled_after
    # i=0..2: 300 each (room for all); i=3: free 100, max(1000//4, 100) = 250 -> 100 fill + 150 replace;
    # i>=4: full, min(1000 // (i+1), 300)
    assert hs == [(300, 300), (300, 300), (300, 300), (250, 100), (200, 0), (166, 0), (142, 0), (125, 0)]
    assert filled == 1000 and (contents >= 0).all()


def test_no_memory_no_updates():
    rng = Rng(1)
    upd = memory_update(rng, 0, 0, 5, 300)
    assert upd.h == 0 and rng.draws == 0


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 200), f=st.integers(0, 300), extra=st.integers(0, 200),
       i=st.integers(0, 12), epochs=st.integers(1, 3), mb=st.integers(1, 64))
def test_consumption_order_restated(seed, n, f, extra, i, epochs, mb):
    """docs/cl-protocol.md's order: per epoch shuffle(N) then [shuffle(F) if rep > 0]; then
    sample(N, h) and [sample(F, h - fill) if h > fill] -- replayed here with raw Rng calls."""
    n_lr = f + extra
    plan = plan_event(Rng(seed), n, f, n_lr, i, epochs, mb)
    r = Rng(seed)
    if n == 0:
        cur, rep = 0, 0
    elif f == 0:
        cur, rep = min(n, mb), 0
    else:
        cur = min(mb, max(1, n // max(1, (n + f) // mb)))
        rep = mb - cur
    assert (plan.mix.cur, plan.mix.rep) == (cur, rep)
    for e in range(epochs):
        assert plan.epochs[e].new_perm.tolist() == r.shuffle(n).tolist()
        if rep > 0:
            assert plan.epochs[e].rep_perm.tolist() == r.shuffle(f).tolist()
        else:
            assert len(plan.epochs[e].rep_perm) == 0
    free = n_lr - f
    h = min(n, max(n_lr // (i + 1), free)) if n_lr else 0
    fill = min(free, h)
    assert plan.update.new_index.tolist() == r.sample(n, h).tolist()
    slots = list(range(f, f + fill)) + (r.sample(f, h - fill).tolist() if h > fill else [])
    assert plan.update.slots.tolist() == slots
    assert plan.rng_after == r.state


def test_documented_event_vector():
    """docs/cl-protocol.md section 2.5, recomputed with the plain RNG of test_cl_rng.py."""
    s = ref_seed(1)
    n, f, n_lr, i, epochs, mb = 10, 6, 8, 1, 2, 4
    cur = min(mb, max(1, n // max(1, (n + f) // mb)))
    assert (cur, mb - cur, math.ceil(n / cur)) == (2, 2, 5)
    perms = [(ref_sample(s, n, n), ref_sample(s, f, f)) for _ in range(epochs)]
    assert perms == [([5, 7, 9, 6, 3, 2, 1, 8, 4, 0], [3, 4, 1, 2, 0, 5]),
                     ([6, 0, 8, 3, 1, 9, 5, 2, 7, 4], [5, 4, 3, 0, 2, 1])]
    h = min(n, max(n_lr // (i + 1), n_lr - f))
    new = ref_sample(s, n, h)
    slots = [6, 7] + ref_sample(s, f, h - 2)
    assert (h, new, slots) == (4, [2, 9, 4, 0], [6, 7, 0, 2])
    assert s == [0x45E60B0F, 0xBDD68B8D, 0x66AA0807, 0xBF69E975]
    plan = plan_event(Rng(1), n, f, n_lr, i, epochs, mb)
    assert [(e.new_perm.tolist(), e.rep_perm.tolist()) for e in plan.epochs] == perms
    assert plan.update.new_index.tolist() == new and plan.update.slots.tolist() == slots
    assert list(plan.rng_after) == s

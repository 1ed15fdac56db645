"""The shared RNG (qlr.cl.rng) against a second, plain implementation of its spec and against the
test vectors of docs/cl-protocol.md (computed with a separate C program from the same spec)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qlr.cl.rng import Rng, seed_state

M = 2**32


# ---------------------------------------------------------------- a second reading of the spec
def ref_seed(seed: int) -> list[int]:
    s = []
    for i in range(4):
        z = (seed + 0x9E3779B9 * (i + 1)) % M
        z = ((z ^ (z >> 16)) * 0x85EBCA6B) % M
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) % M
        z = z ^ (z >> 16)
        s.append(z)
    if s == [0, 0, 0, 0]:
        s[0] = 1
    return s


def rotl(x: int, k: int) -> int:
    return ((x << k) % M) | (x >> (32 - k))


def ref_next(s: list[int]) -> int:
    result = (rotl((s[1] * 5) % M, 7) * 9) % M
    t = (s[1] << 9) % M
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl(s[3], 11)
    return result


def ref_sample(s: list[int], n: int, k: int) -> list[int]:
    a = list(range(n))
    for j in range(k):
        r = j + (ref_next(s) * (n - j) >> 32)
        a[j], a[r] = a[r], a[j]
    return a[:k]


# Test vectors of docs/cl-protocol.md: seed -> first four outputs of next().
VECTORS = {
    0: [0xE308DC58, 0x4392D0E4, 0x03318F97, 0xAC593A63],
    1: [0x9190299E, 0xC1017B27, 0xE3AF522F, 0x7D71FB05],
    42: [0xA91E1CAC, 0x207B36E9, 0x1C987FFA, 0xD09FDE9E],
    0xFFFFFFFF: [0x31D28326, 0x728481F8, 0x8C70D5D1, 0x7066BAF4],
}


@pytest.mark.parametrize("seed", sorted(VECTORS))
def test_documented_vectors(seed):
    r = Rng(seed)
    assert [r.next() for _ in range(4)] == VECTORS[seed]
    s = ref_seed(seed)
    assert [ref_next(s) for _ in range(4)] == VECTORS[seed]


def test_documented_sample_vector():
    # docs/cl-protocol.md: sample(10, 5) from seed 7 = [2, 5, 1, 4, 7]
    assert Rng(7).sample(10, 5).tolist() == [2, 5, 1, 4, 7]
    assert ref_sample(ref_seed(7), 10, 5) == [2, 5, 1, 4, 7]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, M - 1), count=st.integers(1, 40))
def test_next_matches_reference(seed, count):
    r = Rng(seed)
    s = ref_seed(seed)
    assert list(r.state) == s
    assert [r.next() for _ in range(count)] == [ref_next(s) for _ in range(count)]
    assert list(r.state) == s


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, M - 1), n=st.integers(0, 300), data=st.data())
def test_sample_matches_reference_distinct_in_range(seed, n, data):
    k = data.draw(st.integers(0, n))
    r = Rng(seed)
    s = ref_seed(seed)
    got = r.sample(n, k)
    assert got.tolist() == ref_sample(s, n, k)
    assert len(set(got.tolist())) == k
    assert all(0 <= v < n for v in got.tolist())
    assert r.draws == k  # exactly one output per index, none for k = 0
    assert list(r.state) == s


def test_below_and_shuffle():
    r = Rng(3)
    s = ref_seed(3)
    for n in (1, 2, 3, 7, 1000, M):
        v = r.below(n)
        assert v == (ref_next(s) * n) >> 32 and 0 <= v < n
    p = Rng(5).shuffle(1000)
    assert sorted(p.tolist()) == list(range(1000))
    assert p.tolist() == ref_sample(ref_seed(5), 1000, 1000)
    with pytest.raises(ValueError):
        r.below(0)
    with pytest.raises(ValueError):
        r.sample(3, 4)


def test_state_round_trip_and_seeding_rules():
    r = Rng(11)
    r.next()
    q = Rng(state=r.state)
    assert [q.next() for _ in range(5)] == [r.next() for _ in range(5)]
    assert seed_state(0) == tuple(ref_seed(0))
    with pytest.raises(ValueError):
        Rng(-1)
    with pytest.raises(ValueError):
        Rng(state=(0, 0, 0, 0))


def test_sample_is_fast_enough_for_the_experiments():
    # The experiments shuffle up to ~6e4 indices; ~0.07 s measured on an idle core. The budget of
    # 3 s tolerates a machine shared with other jobs and still fails a quadratic implementation.
    t0 = time.perf_counter()
    p = Rng(1).shuffle(60000)
    assert time.perf_counter() - t0 < 3.0
    assert np.array_equal(np.sort(p), np.arange(60000))

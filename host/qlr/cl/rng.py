"""The random number generator shared by the golden twin and the device (xoshiro128**).

Every random choice a learning event makes (the epoch shuffles of new latents and replay slots,
which new latents enter the LR memory and which slots they replace) comes from ONE stream of this
generator per run, so the firmware (`firmware/cl/`) can make exactly the same choices in C. The
spec below is normative; docs/cl-protocol.md repeats it with test vectors.

All arithmetic is on unsigned 32-bit integers (mod 2**32); ``rotl(x, k) = (x << k | x >> (32 - k))``.

Seeding from a u32 ``seed`` (splitmix-style finalizer, one word at a time)::

    for i in 0..3:
        z = seed + 0x9E3779B9 * (i + 1)
        z = (z ^ (z >> 16)) * 0x85EBCA6B
        z = (z ^ (z >> 13)) * 0xC2B2AE35
        z = z ^ (z >> 16)
        s[i] = z
    if s == [0, 0, 0, 0]: s[0] = 1

``next()`` (xoshiro128**)::

    result = rotl(s[1] * 5, 7) * 9
    t = s[1] << 9
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 11)
    return result

``below(n)`` for 1 <= n <= 2**32: ``(next() * n) >> 32`` with a 64-bit product. It consumes exactly
one output, even for n = 1. Its bias (some values are hit floor(2**32/n) times, others one more) is
at most n / 2**32 relative, below 1.4e-5 for the n used here (<= 60000), and accepted.

``sample(n, k)``: k distinct indices of range(n) by a partial Fisher-Yates shuffle of
a = [0, 1, ..., n-1]::

    for j in 0..k-1: r = j + below(n - j); swap(a[j], a[r])
    return a[0..k)                      # in this order

It consumes exactly k outputs (none for k = 0). ``shuffle(n) = sample(n, n)``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

MASK32 = 0xFFFFFFFF
GOLDEN_GAMMA = 0x9E3779B9


def seed_state(seed: int) -> tuple[int, int, int, int]:
    """The four state words for a u32 seed (see the module docstring)."""
    seed = int(seed)
    if not 0 <= seed <= MASK32:
        raise ValueError(f"RNG seed must be a u32 (0 .. 2**32-1), got {seed}")
    s = []
    for i in range(4):
        z = (seed + GOLDEN_GAMMA * (i + 1)) & MASK32
        z = ((z ^ (z >> 16)) * 0x85EBCA6B) & MASK32
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) & MASK32
        z ^= z >> 16
        s.append(z)
    if not any(s):
        s[0] = 1
    return (s[0], s[1], s[2], s[3])


class Rng:
    """xoshiro128** with the project's seeding, `below`, `sample` and `shuffle` (module docstring).

    `state` is the four u32 words; assigning it (e.g. from a device or a checkpoint) continues the
    stream from there. `draws` counts the outputs consumed since construction (a diagnostic only,
    not part of the state).
    """

    __slots__ = ("_s0", "_s1", "_s2", "_s3", "draws")

    def __init__(self, seed: int = 0, state: Iterable[int] | None = None) -> None:
        self.draws = 0
        self.state = seed_state(seed) if state is None else tuple(state)

    @property
    def state(self) -> tuple[int, int, int, int]:
        return (self._s0, self._s1, self._s2, self._s3)

    @state.setter
    def state(self, words: Iterable[int]) -> None:
        w = [int(x) for x in words]
        if len(w) != 4 or any(not 0 <= x <= MASK32 for x in w):
            raise ValueError(f"RNG state must be four u32 words, got {w}")
        if not any(w):
            raise ValueError("RNG state must not be all zero (xoshiro would output only zeros)")
        self._s0, self._s1, self._s2, self._s3 = w

    def copy(self) -> Rng:
        r = Rng(state=self.state)
        r.draws = self.draws
        return r

    def next(self) -> int:
        """One u32 output."""
        s0, s1, s2, s3 = self._s0, self._s1, self._s2, self._s3
        x = (s1 * 5) & MASK32
        result = (((x << 7) | (x >> 25)) * 9) & MASK32
        t = (s1 << 9) & MASK32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        self._s0, self._s1, self._s2, self._s3 = s0, s1, s2, ((s3 << 11) | (s3 >> 21)) & MASK32
        self.draws += 1
        return result

    def below(self, n: int) -> int:
        """An integer in [0, n): ``(next() * n) >> 32``."""
        if not 1 <= n <= 1 << 32:
            raise ValueError(f"below(n) needs 1 <= n <= 2**32, got {n}")
        return (self.next() * n) >> 32

    def sample(self, n: int, k: int) -> np.ndarray:
        """k distinct indices from range(n) (partial Fisher-Yates), as int64 in draw order."""
        n, k = int(n), int(k)
        if n < 0 or not 0 <= k <= n:
            raise ValueError(f"sample(n, k) needs 0 <= k <= n, got n={n}, k={k}")
        if n > 1 << 32:
            raise ValueError(f"sample(n, k) needs n <= 2**32, got {n}")
        a = list(range(n))
        # The generator is inlined: this loop runs ~1e5 times per experiment event.
        s0, s1, s2, s3 = self._s0, self._s1, self._s2, self._s3
        m = MASK32
        for j in range(k):
            x = (s1 * 5) & m
            out = (((x << 7) | (x >> 25)) * 9) & m
            t = (s1 << 9) & m
            s2 ^= s0
            s3 ^= s1
            s1 ^= s2
            s0 ^= s3
            s2 ^= t
            s3 = ((s3 << 11) | (s3 >> 21)) & m
            r = j + ((out * (n - j)) >> 32)
            a[j], a[r] = a[r], a[j]
        self._s0, self._s1, self._s2, self._s3 = s0, s1, s2, s3
        self.draws += k
        return np.array(a[:k], dtype=np.int64)

    def shuffle(self, n: int) -> np.ndarray:
        """A permutation of range(n): ``sample(n, n)``."""
        return self.sample(n, n)

    def __repr__(self) -> str:
        return "Rng(state=(" + ", ".join(f"0x{w:08X}" for w in self.state) + "))"

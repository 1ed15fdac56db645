"""Fault injection on a link: a `Transport` wrapper that corrupts the bytes both ways.

`NoisyTransport(inner, rate, seed)` flips one bit of, drops, or duplicates each byte with
probability `rate` (one third each), independently on the way out and on the way in, from a
seeded generator (so a failure can be replayed). The link must survive it: frames with a bad
header or CRC are dropped, the host retries, the firmware answers a repeat from its reply cache
(`qlr learn --link-noise RATE`, tests/host/test_link_faults.py, tests/board/test_cl_learn.py).
"""

from __future__ import annotations

import random

from qlr.link.transport import Transport


class NoisyTransport(Transport):
    def __init__(self, inner: Transport, rate: float, seed: int = 0) -> None:
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"noise rate {rate} is not in [0, 1)")
        self.inner = inner
        self.rate = rate
        self.url = inner.url
        self._rng = random.Random(seed)
        self.injected = {"flip": 0, "drop": 0, "dup": 0}

    def _corrupt(self, data: bytes) -> bytes:
        if not data or self.rate == 0.0:
            return data
        out = bytearray()
        rng = self._rng
        for b in data:
            if rng.random() >= self.rate:
                out.append(b)
                continue
            kind = rng.choice(("flip", "drop", "dup"))
            self.injected[kind] += 1
            if kind == "flip":
                out.append(b ^ (1 << rng.randrange(8)))
            elif kind == "dup":
                out += bytes((b, b))
        return bytes(out)

    def write(self, data: bytes) -> None:
        self.inner.write(self._corrupt(data))

    def read(self, timeout: float) -> bytes:
        return self._corrupt(self.inner.read(timeout))

    def close(self) -> None:
        self.inner.close()

    def console_lines(self) -> list[str]:
        return self.inner.console_lines()

"""The results folder of a sweep: one JSON file per finished run, so a sweep killed at any point
loses at most the runs that were in flight.

A run's file is named by a hash of its key and of the sweep's fingerprint (a JSON-able description
of everything a run's result depends on besides its key: data, network, hyper-parameters, code
version); it holds both, and a file whose fingerprint or key differs is ignored (a sweep with other
settings never reuses another's results). Files are written to a temporary name in the same folder,
flushed and renamed, so a reader sees a whole file or none. Floats keep their exact value (JSON
numbers printed with repr round-trip; NaN is written as NaN), so resumed results are bit-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from qlr.errors import QlrError

FORMAT = "qlr-sweep-run/1"


def fingerprint_of(description: Any) -> str:
    """A short stable hash of a JSON-able description (keys sorted)."""
    text = json.dumps(description, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class ResultStore:
    """Finished runs of one sweep in ``folder`` (created on first use)."""

    def __init__(self, folder: str | Path, fingerprint: str) -> None:
        self.folder = Path(folder)
        self.fingerprint = fingerprint

    def path(self, key: str) -> Path:
        name = hashlib.sha256(f"{self.fingerprint}\n{key}".encode()).hexdigest()[:32]
        return self.folder / f"run-{name}.json"

    def load(self, key: str) -> Any | None:
        """The saved result of run ``key``, or None when it has not finished (or was saved by a
        sweep with another fingerprint, or the file is unreadable)."""
        p = self.path(key)
        try:
            data = json.loads(p.read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("key") != key \
                or data.get("fingerprint") != self.fingerprint:
            return None
        return data.get("result")

    def save(self, key: str, result: Any) -> None:
        """Writes run ``key``'s result atomically (temporary file, fsync, rename)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise QlrError(f"results folder {self.folder}: cannot create it ({e})") from None
        p = self.path(key)
        tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
        text = json.dumps({"format": FORMAT, "key": key, "fingerprint": self.fingerprint, "result": result})
        with open(tmp, "w") as f:
            f.write(text + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)

    def finished(self, keys: list[str]) -> dict[str, Any]:
        """The saved results among ``keys``."""
        out = {}
        for k in keys:
            r = self.load(k)
            if r is not None:
                out[k] = r
        return out

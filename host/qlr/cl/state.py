"""The continual-learning state of a session, and checkpoints of it that detect corruption.

`CLState` is everything a learning event reads and writes: the back-end's FP32 parameters and SGD
momentum buffers, the LR memory (codes, labels, scale), how many slots are filled, how many memory
updates were made (the replacement policy's ``i``), the RNG's four words and the number of stream
events done. A device backend reports the same fields, so the golden twin can start an event from
a device's state and the checker can compare the two.

Parameter keys are ``"<layer>.<param>"`` (``"fc.weight"``, ``"pw13.bias"``) in back-end layer
order. LR codes are uint8 ``[N_LR, *latent_shape]`` (Q-bit values; unfilled slots hold 0), or
float32 in the host-only FP32 mode; labels int64 ``[N_LR]`` (0 in unfilled slots).

Checkpoint file (.npz, written atomically): the arrays ``param/<key>``, ``momentum/<key>``,
``lr_codes``, ``lr_labels``, ``lr_scale``, ``rng`` (uint32 [4]) and ``counters`` (int64 [3]:
filled, updates, events), ``__extra__`` (JSON bytes: what the caller keeps with the state, e.g.
the run record's per-event results), plus ``__meta__``: JSON with the run's configuration, its
hash and the SHA-256 of every other entry (name, dtype, shape and bytes, in sorted name order). `load_checkpoint`
recomputes the digest and compares the configuration, and raises `CheckpointError` naming the
file and what is wrong instead of returning a state that is not exactly what was saved.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np

from qlr.errors import QlrError
from qlr.npz import save_npz

CHECKPOINT_VERSION = 1
EXTRA_KEY = "__extra__"


class CheckpointError(QlrError):
    """A checkpoint is missing, corrupted or belongs to another configuration."""


@dataclass
class CLState:
    params: dict[str, np.ndarray]
    momentum: dict[str, np.ndarray]
    lr_codes: np.ndarray
    lr_labels: np.ndarray
    lr_scale: np.ndarray
    filled: int = 0
    updates: int = 0
    events: int = 0
    rng: tuple[int, int, int, int] = (1, 0, 0, 0)

    @property
    def n_lr(self) -> int:
        return int(self.lr_codes.shape[0])

    def copy(self) -> CLState:
        return CLState({k: v.copy() for k, v in self.params.items()},
                       {k: v.copy() for k, v in self.momentum.items()},
                       self.lr_codes.copy(), self.lr_labels.copy(), self.lr_scale.copy(),
                       self.filled, self.updates, self.events, self.rng)

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array of the state under its checkpoint name."""
        out: dict[str, np.ndarray] = {}
        for k, v in self.params.items():
            out[f"param/{k}"] = v
        for k, v in self.momentum.items():
            out[f"momentum/{k}"] = v
        out["lr_codes"] = self.lr_codes
        out["lr_labels"] = self.lr_labels
        out["lr_scale"] = self.lr_scale
        out["rng"] = np.array(self.rng, dtype=np.uint32)
        out["counters"] = np.array([self.filled, self.updates, self.events], dtype=np.int64)
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], where: str = "state") -> CLState:
        try:
            params = {k[len("param/"):]: v for k, v in arrays.items() if k.startswith("param/")}
            momentum = {k[len("momentum/"):]: v for k, v in arrays.items() if k.startswith("momentum/")}
            w = [int(x) for x in arrays["rng"]]
            if len(w) != 4:
                raise ValueError(f"'rng' holds {len(w)} words, not 4")
            filled, updates, events = (int(x) for x in arrays["counters"])
            st = cls(params, momentum, arrays["lr_codes"], arrays["lr_labels"], arrays["lr_scale"],
                     filled, updates, events, (w[0], w[1], w[2], w[3]))
        except (KeyError, ValueError, TypeError) as e:
            raise CheckpointError(f"{where}: missing or malformed entry ({e})") from None
        st.validate(where)
        return st

    def validate(self, where: str = "state") -> None:
        """Raise QlrError naming the field if the state is inconsistent."""
        if set(self.params) != set(self.momentum):
            raise QlrError(f"{where}: parameters and momentum buffers name different tensors")
        for k, v in self.params.items():
            m = self.momentum[k]
            if v.dtype != np.float32 or m.dtype != np.float32 or v.shape != m.shape:
                raise QlrError(f"{where}: parameter {k!r} and its momentum must be float32 of one shape")
            if not (np.all(np.isfinite(v)) and np.all(np.isfinite(m))):
                raise QlrError(f"{where}: parameter {k!r} or its momentum holds NaN or infinity")
        n = self.lr_codes.shape[0] if self.lr_codes.ndim else -1
        if self.lr_codes.dtype not in (np.uint8, np.float32) or n < 0:
            raise QlrError(f"{where}: lr_codes must be uint8 or float32 [N_LR, ...], got {self.lr_codes.dtype} {self.lr_codes.shape}")
        if self.lr_labels.shape != (n,) or self.lr_labels.dtype.kind not in "iu":
            raise QlrError(f"{where}: lr_labels must be integers [{n}], got {self.lr_labels.dtype} {self.lr_labels.shape}")
        if not 0 <= self.filled <= n:
            raise QlrError(f"{where}: filled = {self.filled} outside 0..N_LR = {n}")
        if self.updates < 0 or self.events < 0:
            raise QlrError(f"{where}: negative counters (updates {self.updates}, events {self.events})")
        if len(self.rng) != 4 or not any(self.rng) or any(not 0 <= w <= 0xFFFFFFFF for w in self.rng):
            raise QlrError(f"{where}: rng must be four u32 words, not all zero, got {self.rng}")


def digest(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over every array's name, dtype, shape and bytes, in sorted name order."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(name.encode() + b"\0" + a.dtype.str.encode() + b"\0" + repr(a.shape).encode() + b"\0")
        h.update(a.tobytes())
    return h.hexdigest()


def config_hash(config: dict[str, Any]) -> str:
    """A short stable hash of a JSON-able configuration."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def save_checkpoint(path: str | os.PathLike[str], state: CLState, config: dict[str, Any],
                    extra: dict[str, Any] | None = None) -> str:
    """Write the state atomically (tmp file + rename); returns the arrays' digest."""
    path = os.fspath(path)
    arrays = state.arrays()
    # `extra` (e.g. the run record's per-event results) is stored as an array so the digest covers it
    arrays[EXTRA_KEY] = np.frombuffer(json.dumps(extra or {}, sort_keys=True).encode(), dtype=np.uint8)
    digest_hex = digest(arrays)
    meta = {"version": CHECKPOINT_VERSION, "config": config, "config_hash": config_hash(config), "digest": digest_hex}
    blob = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        save_npz(f, {"__meta__": blob, **arrays})
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return digest_hex


def load_checkpoint(path: str | os.PathLike[str], config: dict[str, Any] | None = None
                    ) -> tuple[CLState, dict[str, Any]]:
    """Read and verify a checkpoint; returns (state, meta). With ``config``, it must match."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as e:
        raise CheckpointError(f"{path}: the checkpoint is corrupted or truncated, it cannot be read "
                              f"({e.__class__.__name__}: {e})") from None
    blob = arrays.pop("__meta__", None)
    if blob is None:
        raise CheckpointError(f"{path}: no __meta__ entry (not a qlr checkpoint)")
    try:
        meta = json.loads(blob.tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path}: __meta__ is not valid JSON ({e})") from None
    if not isinstance(meta, dict) or meta.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"{path}: checkpoint version {meta.get('version') if isinstance(meta, dict) else '?'}"
                              f" is not {CHECKPOINT_VERSION}")
    got = digest(arrays)
    if got != meta.get("digest"):
        raise CheckpointError(f"{path}: contents do not match their SHA-256 (stored {str(meta.get('digest'))[:16]}..., "
                              f"computed {got[:16]}...): the checkpoint is corrupted")
    if config_hash(meta.get("config", {})) != meta.get("config_hash"):
        raise CheckpointError(f"{path}: the stored configuration does not match its hash: corrupted")
    if config is not None and config_hash(config) != meta["config_hash"]:
        diff = sorted(k for k in set(config) | set(meta["config"]) if config.get(k) != meta["config"].get(k))
        raise CheckpointError(f"{path}: checkpoint is for another configuration (differs in: {', '.join(diff)})")
    try:
        meta["extra"] = json.loads(arrays.pop(EXTRA_KEY).tobytes().decode())
    except (KeyError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path}: the {EXTRA_KEY} entry is missing or not JSON ({e})") from None
    return CLState.from_arrays(arrays, path), meta

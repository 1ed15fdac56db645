"""Read PyTorch checkpoint files (``torch.save`` of a state dict or of a dict holding one) without
torch, and without ever running an arbitrary pickle.

Two layouts are read:

- **zip** (torch >= 1.6, the default): a zip archive whose ``<root>/data.pkl`` is the pickled
  object, with tensor storages as records ``<root>/data/<key>`` and an optional
  ``<root>/byteorder`` record (``little`` or ``big``).
- **legacy** (``_use_new_zipfile_serialization=False``, and files of torch < 1.6): five pickles in
  a row -- the magic number 0x1950a86a20f9469cfc6c, the protocol version 1001, a system-info dict
  (``little_endian``, type sizes), the object, the list of storage keys -- then every storage in
  that order as an int64 element count followed by its bytes.

In both, a tensor is pickled as a call of ``torch._utils._rebuild_tensor_v2(storage, offset,
size, stride, requires_grad, hooks[, metadata])`` whose storage is a *persistent id*
``('storage', <storage type>, key, location, numel[, view metadata])``.

Safety: the unpickler resolves only the globals in `ALLOWED` (containers, the tensor rebuild
functions, the storage types, argparse.Namespace and NumPy scalars that training scripts put in
checkpoints); any other global -- ``os.system``, ``builtins.eval``, a model class -- stops the
read with an error naming it. Nothing from the file is ever called except these functions, which
only record what to build. Storage bounds and tensor strides are checked before any array is
made.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from qlr.errors import QlrError

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001

# storage type name -> element dtype (bfloat16 is read as uint16 and widened to float32)
STORAGE_DTYPES: dict[str, str] = {
    "FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2", "BFloat16Storage": "<u2",
    "LongStorage": "<i8", "IntStorage": "<i4", "ShortStorage": "<i2", "CharStorage": "i1",
    "ByteStorage": "u1", "BoolStorage": "?", "UntypedStorage": "u1",
}


@dataclass(frozen=True)
class StorageType:
    name: str

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(STORAGE_DTYPES[self.name])


@dataclass(frozen=True)
class StorageRef:
    """A storage named by the pickle; its bytes are read afterwards."""

    type: StorageType
    key: str
    numel: int


@dataclass(frozen=True)
class TensorRef:
    """A tensor to be built: a strided view of a storage."""

    storage: StorageRef
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


class Namespace:
    """What an ``argparse.Namespace`` in a checkpoint becomes: its attributes, as a dict (the
    unpickler makes it without calling ``__init__``, then hands it its state)."""

    attrs: dict[str, Any]

    def __setstate__(self, state: Any) -> None:
        self.attrs = dict(state) if isinstance(state, dict) else {}


def _rebuild_tensor_v2(storage: Any, offset: Any, size: Any, stride: Any, *rest: Any) -> TensorRef:
    if not isinstance(storage, StorageRef):
        raise QlrError("a tensor's storage is not a storage record")
    try:
        return TensorRef(storage, int(offset), tuple(int(s) for s in size), tuple(int(s) for s in stride))
    except (TypeError, ValueError):
        raise QlrError(f"a tensor has a malformed size or stride ({size!r}, {stride!r})") from None


def _rebuild_tensor(storage: Any, offset: Any, size: Any, stride: Any) -> TensorRef:
    return _rebuild_tensor_v2(storage, offset, size, stride)


def _rebuild_parameter(data: Any, requires_grad: Any = False, hooks: Any = None, *rest: Any) -> Any:
    return data


def _numpy_scalar(dtype: Any, data: Any = b"") -> Any:
    if not isinstance(dtype, np.dtype) or dtype.kind not in "biuf" or not isinstance(data, bytes):
        raise QlrError("a NumPy scalar in the checkpoint has an unsupported type")
    return np.frombuffer(data, dtype)[0].item()


def _numpy_dtype(name: Any, *rest: Any) -> np.dtype:
    dt = np.dtype(str(name))
    if dt.kind not in "biuf":
        raise QlrError(f"a NumPy dtype {name!r} in the checkpoint is not a plain number type")
    return dt


def _storage_type(name: str) -> Callable[[], StorageType]:
    return lambda: StorageType(name)


# (module, name) -> what the unpickler returns for it. Nothing else resolves.
ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): OrderedDict,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("argparse", "Namespace"): Namespace,
    ("numpy.core.multiarray", "scalar"): _numpy_scalar,
    ("numpy._core.multiarray", "scalar"): _numpy_scalar,
    ("numpy", "dtype"): _numpy_dtype,
    **{("torch", name): StorageType(name) for name in STORAGE_DTYPES},
    **{("torch.storage", name): StorageType(name) for name in ("UntypedStorage",)},
}


class _Unpickler(pickle.Unpickler):
    def __init__(self, f: io.BufferedIOBase | io.BytesIO, where: str) -> None:
        super().__init__(f)
        self.where = where
        self.storages: dict[str, StorageRef] = {}

    def find_class(self, module: str, name: str) -> Any:
        try:
            return ALLOWED[(module, name)]
        except KeyError:
            raise QlrError(f"{self.where}: refuses to load {module}.{name} (only tensors, containers and plain "
                           "values are read from a checkpoint; a pickled model object cannot be: save its "
                           "state_dict())") from None

    def persistent_load(self, pid: Any) -> Any:
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage":
            raise QlrError(f"{self.where}: unknown persistent record {str(pid)[:60]!r}")
        stype, key, numel = pid[1], str(pid[2]), pid[4]
        if not isinstance(stype, StorageType) or not isinstance(numel, int) or numel < 0:
            raise QlrError(f"{self.where}: malformed storage record for key {key!r}")
        if len(pid) > 5 and pid[5] is not None:
            raise QlrError(f"{self.where}: storage views (legacy view metadata) are not supported (key {key!r})")
        ref = StorageRef(stype, key, numel)
        self.storages.setdefault(key, ref)
        return ref


def _unpickle(data: bytes | io.BytesIO, where: str) -> tuple[Any, dict[str, StorageRef]]:
    f = io.BytesIO(data) if isinstance(data, bytes) else data
    u = _Unpickler(f, where)
    try:
        obj = u.load()
    except QlrError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            struct.error, RecursionError) as e:
        raise QlrError(f"{where}: corrupt pickle ({type(e).__name__}: {e})") from None
    return obj, u.storages


def _tensor(ref: TensorRef, raw: np.ndarray, where: str) -> np.ndarray:
    """A copy of the strided view ``ref`` of a storage's elements ``raw`` (bounds checked)."""
    if any(s < 0 for s in ref.size) or any(s < 0 for s in ref.stride) or ref.offset < 0:
        raise QlrError(f"{where}: negative size, stride or offset")
    if len(ref.size) != len(ref.stride):
        raise QlrError(f"{where}: size {ref.size} and stride {ref.stride} differ in rank")
    n = int(np.prod(ref.size)) if ref.size else 1
    if n:
        last = ref.offset + sum((d - 1) * s for d, s in zip(ref.size, ref.stride))
        if last >= len(raw):
            raise QlrError(f"{where}: a tensor reaches element {last} of a storage of {len(raw)}")
    view = np.lib.stride_tricks.as_strided(raw[ref.offset :] if n else raw, shape=ref.size,
                                           strides=tuple(s * raw.itemsize for s in ref.stride), writeable=False)
    out = np.array(view)
    if ref.storage.type.name == "BFloat16Storage":
        out = (out.astype(np.uint32) << 16).view(np.float32)
    return out.astype(out.dtype.newbyteorder("="))


def _resolve(obj: Any, arrays: Mapping[str, np.ndarray], where: str) -> Any:
    """Replace every TensorRef in nested containers with its NumPy array."""
    if isinstance(obj, TensorRef):
        return _tensor(obj, arrays[obj.storage.key], where)
    if isinstance(obj, dict):
        return type(obj)((k, _resolve(v, arrays, where)) for k, v in obj.items()) if isinstance(obj, OrderedDict) \
            else {k: _resolve(v, arrays, where) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_resolve(v, arrays, where) for v in obj)
    if isinstance(obj, Namespace):
        return {k: _resolve(v, arrays, where) for k, v in getattr(obj, "attrs", {}).items()}
    return obj


def _storage_array(ref: StorageRef, data: bytes, big_endian: bool, where: str) -> np.ndarray:
    dt = ref.type.dtype.newbyteorder(">" if big_endian else "<") if ref.type.dtype.itemsize > 1 else ref.type.dtype
    need = ref.numel * dt.itemsize
    if len(data) < need:
        raise QlrError(f"{where}: storage {ref.key!r} has {len(data)} bytes, its {ref.numel} elements need {need}")
    return np.frombuffer(data, dt, count=ref.numel)


def _read_zip(path: str, z: zipfile.ZipFile) -> Any:
    names = z.namelist()
    pkl = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1] or \
          [n for n in names if n == "data.pkl"]
    if len(pkl) != 1:
        raise QlrError(f"{path}: a zip archive without one <root>/data.pkl record: not a PyTorch file")
    root = pkl[0][: -len("data.pkl")]
    obj, storages = _unpickle(z.read(pkl[0]), path)
    order = z.read(root + "byteorder").decode().strip() if root + "byteorder" in names else "little"
    if order not in ("little", "big"):
        raise QlrError(f"{path}: unknown byteorder record {order!r}")
    arrays = {}
    for key, ref in storages.items():
        rec = f"{root}data/{key}"
        if rec not in names:
            raise QlrError(f"{path}: storage record {rec!r} is missing")
        arrays[key] = _storage_array(ref, z.read(rec), order == "big", f"{path}: {rec}")
    return _resolve(obj, arrays, path)


def _read_legacy(path: str, raw: bytes) -> Any:
    f = io.BytesIO(raw)
    magic, _ = _unpickle(f, path)
    if magic != LEGACY_MAGIC:
        raise QlrError(f"{path}: not a PyTorch file (neither a zip archive nor the legacy magic number)")
    proto, _ = _unpickle(f, path)
    if proto != LEGACY_PROTOCOL:
        raise QlrError(f"{path}: legacy protocol version {proto}, this reader knows {LEGACY_PROTOCOL}")
    info, _ = _unpickle(f, path)
    little = bool(info.get("little_endian", True)) if isinstance(info, dict) else True
    obj, storages = _unpickle(f, path)
    keys, _ = _unpickle(f, path)
    if not isinstance(keys, list) or set(map(str, keys)) != set(storages):
        raise QlrError(f"{path}: the storage key list does not match the storages the object uses")
    arrays = {}
    for key in map(str, keys):
        ref = storages[key]
        head = f.read(8)
        if len(head) != 8:
            raise QlrError(f"{path}: truncated before storage {key!r}")
        (numel,) = struct.unpack("<q" if little else ">q", head)
        if numel != ref.numel:
            raise QlrError(f"{path}: storage {key!r} holds {numel} elements, the object says {ref.numel}")
        data = f.read(numel * ref.type.dtype.itemsize)
        arrays[key] = _storage_array(ref, data, not little, f"{path}: storage {key!r}")
    return _resolve(obj, arrays, path)


@dataclass
class TorchFile:
    """A read checkpoint: ``obj`` as pickled (tensors as NumPy arrays) and its layout."""

    path: str
    layout: str  # zip or legacy
    obj: Any


def read_torch_file(path: str | os.PathLike[str]) -> TorchFile:
    """Read a ``.pt``/``.pth`` file (either layout); raises QlrError naming the file and the problem."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as e:
        raise QlrError(f"{path}: cannot read ({e.strerror})") from None
    if raw[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as z:
                return TorchFile(path, "zip", _read_zip(path, z))
        except (zipfile.BadZipFile, KeyError, UnicodeDecodeError) as e:
            raise QlrError(f"{path}: corrupt zip archive ({e})") from None
    if raw[:1] != b"\x80":
        raise QlrError(f"{path}: not a PyTorch file (neither a zip archive nor a pickle)")
    return TorchFile(path, "legacy", _read_legacy(path, raw))


STATE_DICT_KEYS = ("state_dict", "model_state_dict", "model", "net", "network", "params")


def _is_state_dict(obj: Any) -> bool:
    return isinstance(obj, dict) and bool(obj) and all(
        isinstance(k, str) and isinstance(v, np.ndarray) for k, v in obj.items())


def state_dict_of(tf: TorchFile) -> tuple[dict[str, np.ndarray], str]:
    """The state dict in a checkpoint and where it was found: the object itself, or its entry
    ``state_dict``/``model_state_dict``/``model``/``net``/``network``/``params``. A ``module.``
    prefix on every key (DataParallel) is removed."""
    obj, where = tf.obj, "the file's object"
    if not _is_state_dict(obj):
        found = None
        if isinstance(obj, dict):
            found = next((k for k in STATE_DICT_KEYS if _is_state_dict(obj.get(k))), None)
        if found is None:
            what = sorted(map(str, obj))[:8] if isinstance(obj, dict) else type(obj).__name__
            raise QlrError(f"{tf.path}: no state dict (a mapping of names to tensors) in the file's object {what}; "
                           f"looked at the object and its entries {', '.join(STATE_DICT_KEYS)}")
        obj, where = obj[found], f"entry {found!r}"
    sd = dict(obj)
    if all(k.startswith("module.") for k in sd):
        sd = {k[len("module."):]: v for k, v in sd.items()}
    return sd, where

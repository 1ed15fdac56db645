"""Save and load a `Network` as one .npz file.

Layout: entry ``__network__`` is a 0-d unicode array holding JSON::

    {"format": "qlr-network", "version": 1, "input_shape": [H, W, C], "meta": {...},
     "layers": [{"name", "kind", "index", "inputs", "attrs", "params": [names]}, ...]}

and every parameter is an array entry ``<layer name>/<param name>``. Loading never unpickles
(allow_pickle=False) and checks everything: JSON structure, kinds, attributes, shapes, dtypes,
missing or unexpected arrays; errors name the file, the layer and the field.
"""

from __future__ import annotations

import json
import os
import zipfile
from typing import Any

import numpy as np

from qlr.errors import QlrError
from qlr.model.graph import Layer, Network
from qlr.npz import open_npz, save_npz

FORMAT = "qlr-network"
VERSION = 1
DESC_KEY = "__network__"


def _jsonable(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, np.generic):
        return v.item()
    return v


def describe(net: Network) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "input_shape": list(net.input_shape),
        "meta": _jsonable(net.meta),
        "layers": [
            {
                "name": lay.name,
                "kind": lay.kind,
                "index": lay.index,
                "inputs": list(lay.inputs),
                "attrs": _jsonable(lay.attrs),
                "params": sorted(lay.params),
            }
            for lay in net.layers
        ],
    }


def save_network(net: Network, path: str | os.PathLike[str]) -> None:
    arrays: dict[str, np.ndarray] = {DESC_KEY: np.array(json.dumps(describe(net)))}
    for lay in net.layers:
        for pname, arr in lay.params.items():
            arrays[f"{lay.name}/{pname}"] = np.ascontiguousarray(arr)
    path = os.fspath(path)
    tmp = path + ".tmp.npz"
    save_npz(tmp, arrays)
    os.replace(tmp, path)


def load_network(path: str | os.PathLike[str]) -> Network:
    path = os.fspath(path)
    npz = open_npz(path)
    with npz:
        if DESC_KEY not in npz.files:
            raise QlrError(f"{path}: no '{DESC_KEY}' entry: not a qlr network file")
        try:
            desc = json.loads(str(npz[DESC_KEY][()]))
        except (ValueError, TypeError) as e:
            raise QlrError(f"{path}: '{DESC_KEY}' is not valid JSON ({e})") from None
        try:
            arrays = {k: npz[k] for k in npz.files if k != DESC_KEY}
        except (ValueError, OSError, zipfile.BadZipFile) as e:
            raise QlrError(f"{path}: a parameter array cannot be read ({e})") from None
    return from_description(desc, arrays, path)


def _field(d: Any, key: str, typ: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(d, dict) or key not in d:
        raise QlrError(f"{where}: missing field {key!r}")
    v = d[key]
    if not isinstance(v, typ) or (isinstance(v, bool) and typ is int):
        raise QlrError(f"{where}: field {key!r} has the wrong type ({type(v).__name__})")
    return v


def from_description(desc: Any, arrays: dict[str, np.ndarray], path: str = "<network>") -> Network:
    """Rebuild a Network from its JSON description and 'layer/param' arrays, validating both."""
    if not isinstance(desc, dict):
        raise QlrError(f"{path}: the description must be a JSON object")
    fmt = _field(desc, "format", str, path)
    if fmt != FORMAT:
        raise QlrError(f"{path}: field 'format' is {fmt!r}, expected {FORMAT!r}")
    version = _field(desc, "version", int, path)
    if version != VERSION:
        raise QlrError(f"{path}: unsupported version {version} (this reader knows {VERSION})")
    input_shape = _field(desc, "input_shape", list, path)
    if not input_shape or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in input_shape):
        raise QlrError(f"{path}: field 'input_shape' must be a list of positive ints, got {input_shape!r}")
    meta = desc.get("meta", {})
    if not isinstance(meta, dict):
        raise QlrError(f"{path}: field 'meta' must be an object")
    ldescs = _field(desc, "layers", list, path)
    used: set[str] = set()
    layers: list[Layer] = []
    for i, ld in enumerate(ldescs):
        where = f"{path}: layers[{i}]"
        name = _field(ld, "name", str, where)
        where = f"{path}: layer {name!r}"
        kind = _field(ld, "kind", str, where)
        index = ld.get("index")
        if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
            raise QlrError(f"{where}: field 'index' must be an int or null")
        inputs = _field(ld, "inputs", list, where)
        if not all(isinstance(s, str) for s in inputs):
            raise QlrError(f"{where}: field 'inputs' must be a list of names")
        attrs = _field(ld, "attrs", dict, where)
        pnames = _field(ld, "params", list, where)
        params: dict[str, np.ndarray] = {}
        for pname in pnames:
            if not isinstance(pname, str):
                raise QlrError(f"{where}: field 'params' must be a list of names")
            key = f"{name}/{pname}"
            if key not in arrays:
                raise QlrError(f"{where}: parameter {pname!r} is listed but array {key!r} is missing")
            params[pname] = arrays[key]
            used.add(key)
        try:
            layers.append(Layer(name, kind, attrs=attrs, inputs=inputs, params=params, index=index))
        except QlrError as e:
            raise QlrError(f"{path}: {e}") from None
        except (TypeError, ValueError) as e:
            raise QlrError(f"{where}: bad attribute ({e})") from None
    extra = sorted(set(arrays) - used)
    if extra:
        raise QlrError(f"{path}: array(s) not described by any layer: {', '.join(extra[:5])}")
    try:
        return Network(input_shape, layers, meta=meta)
    except QlrError as e:
        raise QlrError(f"{path}: {e}") from None

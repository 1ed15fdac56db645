"""`qlr image pack / inspect / verify` end to end on a small network and data set file."""

from __future__ import annotations

import json
import math
import struct
import zlib

import numpy as np
import pytest

from qlr.cli import main as qlr_main
from qlr.data import Dataset, save_dataset
from qlr.image import read_image
from qlr.image.execute import run_front_end
from qlr.image.sample import SAMPLE_LR_LAYER, sample_network
from qlr.model import save_network


@pytest.fixture()
def files(tmp_path):
    net = sample_network(seed=8)
    model = tmp_path / "m.npz"
    save_network(net, model)
    r = np.random.default_rng(9)
    data = tmp_path / "d.npz"
    save_dataset(data, Dataset(r.integers(0, 256, size=(120,) + net.input_shape, dtype=np.uint8), r.integers(0, 5, 120)))
    return net, model, data, tmp_path


def test_pack_inspect_verify(files, capsys) -> None:
    net, model, data, tmp = files
    out = tmp / "a.qlr"
    rc = qlr_main(["image", "pack", "--model", str(model), "--data", str(data), "--lr-layer", str(SAMPLE_LR_LAYER),
                   "--out", str(out), "--calib", "50", "--lr-count", "40", "--lr-bits", "7", "--batches", "2",
                   "--batch-size", "16", "--scheme", "per_layer", "--json", "--quiet"])
    summary = json.loads(capsys.readouterr().out)
    assert rc == 0 and summary["bytes"] == out.stat().st_size and summary["front_layers"] == 9
    content = read_image(out)
    # the LR memory holds the int8 front-end's latents requantized to 7 bits (per tensor)
    assert content.lr.bits == 7 and content.lr.codes.shape == (40, 1, 1, 12) and content.lr.codes.max() <= 127
    assert math.isclose(float(content.lr.scale[0]), content.layers[8].out_scale * 255 / 127, rel_tol=1e-6)
    assert [b.images.shape for b in content.batches.values()] == [(16, 9, 7, 2)] * 2
    lat = run_front_end(content, content.batches[0].images)
    assert lat.shape == (16, 1, 1, 12)
    assert content.meta["generator"] == "qlr image pack" and content.meta["scheme"] == "per_layer"

    assert qlr_main(["image", "inspect", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["valid"] and info["lr"]["bits"] == 7 and len(info["layers"]) == 11
    assert {s["type"] for s in info["sections"]} >= {"NETWORK", "FE_WEIGHT", "BE_WEIGHT", "LR_LATENTS", "DATA_IMAGES"}
    assert qlr_main(["image", "inspect", str(out)]) == 0
    text = capsys.readouterr().out
    assert "LR memory: 40 latents of 1x1x12 at 7 bits" in text and text.rstrip().endswith("valid")
    assert qlr_main(["image", "verify", str(out)]) == 0
    assert "valid" in capsys.readouterr().out

    # one flipped byte in the weights of layer 0: verify fails naming the section and field
    raw = bytearray(out.read_bytes())
    off = next(s["offset"] for s in info["sections"] if s["name"] == "fe.0.weight")
    raw[off] ^= 1
    bad = tmp / "bad.qlr"
    bad.write_bytes(bytes(raw))
    assert qlr_main(["image", "verify", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.qlr" in err and "'fe.0.weight'" in err and "crc32" in err and "Traceback" not in err
    assert qlr_main(["image", "inspect", str(bad)]) == 1
    assert "'fe.0.weight'" in capsys.readouterr().err
    # a forged but well-formed container: inspect shows the table, then why the content is invalid
    raw = bytearray(out.read_bytes())
    idx = next(s["index"] for s in info["sections"] if s["name"] == "lr.labels")
    struct.pack_into("<H", raw, 64 + 128 * idx + 4, 3)  # group 3: belongs to nothing
    struct.pack_into("<I", raw, 36, zlib.crc32(bytes(raw[64 : 64 + 128 * len(info["sections"])])))
    struct.pack_into("<I", raw, 60, zlib.crc32(bytes(raw[:60])))
    bad.write_bytes(bytes(raw))
    assert qlr_main(["image", "inspect", str(bad)]) == 1
    text = capsys.readouterr().out
    assert "lr.labels" in text and "INVALID" in text and "LR_LABELS" in text


def test_pack_errors_are_one_line(files, capsys) -> None:
    net, model, data, tmp = files
    args = ["image", "pack", "--model", str(model), "--data", str(data), "--out", str(tmp / "x.qlr"), "--quiet"]
    assert qlr_main(args + ["--lr-layer", "99"]) == 1
    assert "no layer has index 99" in capsys.readouterr().err
    assert qlr_main(args + ["--lr-layer", "7", "--lr-bits", "0"]) == 1
    assert "--lr-bits" in capsys.readouterr().err
    assert qlr_main(args + ["--lr-layer", "7", "--lr-count", "500"]) == 1
    assert "need" in capsys.readouterr().err
    # splitting inside the residual block would let a second tensor cross the split
    assert qlr_main(args + ["--lr-layer", "2", "--lr-count", "4"]) == 1
    assert "only the latent" in capsys.readouterr().err
    assert qlr_main(["image", "verify", str(tmp / "missing.qlr")]) == 1
    assert "missing.qlr" in capsys.readouterr().err

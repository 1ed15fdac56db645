"""qlr bench: the layer set against the model builder, op choice and slicing rules, the JSON of a
quick run on the host board (MACs equal the op specs' analytical counts, counters > 0, speedup
present), and the CLI's errors (unknown board, op, layer, cores)."""

from __future__ import annotations

import json

import pytest

from qlr.bench import layers as L
from qlr.bench.run import choose_op, slices_for
from qlr.cli import main as qlr_main
from qlr.errors import QlrError
from qlr.kernels.registry import get_op
from qlr.kernels.run import layout


def test_paper_layers_match_reference_shapes():
    """REFERENCE.md: l19 DW 8x8x512, l20/l22 PW 8x8x512, l23 DW (stride 2) to 4x4x512, l24 PW
    4x4 512->1024, l25 DW 4x4x1024, l26 PW 4x4x1024; the head 1024 -> 50 classes."""
    got = {b.index: (b.name, b.describe()) for b in L.paper_layers()}
    assert got == {
        19: ("dw10", "DW 8x8x512 3x3 s1"), 20: ("pw10", "PW 8x8x512->512"), 21: ("dw11", "DW 8x8x512 3x3 s1"),
        22: ("pw11", "PW 8x8x512->512"), 23: ("dw12", "DW 8x8x512 3x3 s2"), 24: ("pw12", "PW 4x4x512->1024"),
        25: ("dw13", "DW 4x4x1024 3x3 s1"), 26: ("pw13", "PW 4x4x1024->1024"), 28: ("fc", "linear 1024->50 x128"),
    }
    dw12 = next(b for b in L.paper_layers() if b.index == 23)
    assert get_op("dwconv2d_f32_fw").tensors[3].shape_for(dw12.op_params("fw")) == (1, 4, 4, 512)


def test_layer_filter_by_index_and_name():
    layers = L.paper_layers()
    assert [b.index for b in L.select(layers, "l20,fc,23")] == [20, 28, 23]
    with pytest.raises(QlrError, match="--layer '27'.*19 \\(dw10\\)"):
        L.select(layers, "27")


def test_op_choice_tiled_only_with_dma_and_big_tensors():
    pw = next(b for b in L.paper_layers() if b.index == 20)
    spec, variant, _ = choose_op(pw, "fw", dma=True, l1_size=57_000)
    assert (spec.name, variant) == ("pwconv_f32_fw_tiled", "tiled")
    spec, variant, _ = choose_op(pw, "fw", dma=False, l1_size=57_000)
    assert (spec.name, variant) == ("pwconv_f32_fw", "plain")
    spec, variant, _ = choose_op(pw, "fw", dma=True, l1_size=1 << 24)  # fits L1: no tiling
    assert variant == "plain"
    dw = next(b for b in L.paper_layers() if b.index == 19)
    spec, variant, note = choose_op(dw, "bw_input", dma=True, l1_size=57_000)  # no tiled twin
    assert (spec.name, variant) == ("dwconv2d_f32_bw_input", "plain") and "no tiled op" in note


def test_slices_cover_the_layer_and_fit():
    pw = next(b for b in L.paper_layers() if b.index == 26)  # 4x4x1024 -> 1024: 4 MiB of weights
    spec = get_op("pwconv_f32_fw_tiled")
    params = pw.params_for(spec, "fw")
    window = 1_300_000
    parts = slices_for(spec, params, window)
    assert not isinstance(parts, str)
    assert len(parts) == 4 and all(layout(spec, p).total <= window for p in parts)
    assert sum(p["cout"] for p in parts) == 1024
    assert sum(spec.mac_count(p) for p in parts) == spec.mac_count(params)
    assert "1/16" in slices_for(spec, params, 100_000)  # cannot fit: the reason says so


@pytest.mark.parametrize("device", ["host"], indirect=True)
def test_bench_quick_json_on_host(device, capsys, tmp_path):
    device.build_dir()  # the server, built once per session
    rc = qlr_main(["bench", "--board", "host", "--quick", "--json", "--no-build"])
    out = capsys.readouterr().out
    assert rc == 0
    data = json.loads(out)
    assert data["board"] == "host" and data["unit"] == "ns" and data["cores"] == [1, 2]
    assert data["skipped"] == []
    by_layer = {b.index: b for b in L.paper_layers()}
    seen = set()
    for r in data["results"]:
        spec = get_op(r["op"])
        bl = by_layer[r["layer"]]
        params = bl.params_for(spec, r["pass"])
        assert r["macs"] == r["expected_macs"] == spec.mac_count(params), r
        assert r["counter"] > 0 and r["macs_per_unit"] > 0, r
        assert "speedup" in r and (r["speedup"] == pytest.approx(1.0) if r["cores"] == 1 else r["speedup"] > 0)
        seen.add((r["layer"], r["pass"], r["cores"]))
    assert seen == {(i, p, c) for i in L.QUICK for p in L.PASSES for c in (1, 2)}
    # a saved run re-prints as Markdown and plots without measuring again
    saved = tmp_path / "bench.json"
    saved.write_text(out)
    assert qlr_main(["bench", "--from-json", str(saved), "--markdown", "--plot", str(tmp_path / "b.png")]) == 0
    md = capsys.readouterr().out
    assert "| l20 pw10 | PW 8x8x512->512 | FW | pwconv_f32_fw (plain) | 16777216 |" in md
    assert (tmp_path / "b.png").stat().st_size > 1000


def test_bench_cli_errors(capsys, tmp_path):
    assert qlr_main(["bench", "--board", "no-such-board"]) == 1
    assert "unknown board 'no-such-board'" in capsys.readouterr().err
    assert qlr_main(["bench", "--board", "host", "--op", "fwd"]) == 1
    err = capsys.readouterr().err
    assert "--op fwd: unknown" in err and "bw_input" in err
    assert qlr_main(["bench", "--board", "host", "--layer", "99"]) == 1
    assert "--layer '99'" in capsys.readouterr().err
    assert qlr_main(["bench", "--board", "qemu-m4", "--cores", "1,2"]) == 1
    assert "--cores '1,2': each must be 1..1" in capsys.readouterr().err
    assert qlr_main(["bench", "--board", "host", "--op", "dw", "--layer", "fc"]) == 1
    assert "leave no layer" in capsys.readouterr().err
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    assert qlr_main(["bench", "--from-json", str(bad)]) == 1
    assert "not a saved qlr bench JSON" in capsys.readouterr().err
    assert qlr_main(["bench"]) == 1
    assert "--board is required" in capsys.readouterr().err

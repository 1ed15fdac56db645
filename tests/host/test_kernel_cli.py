"""`qlr kernel`: run on the golden model and on the host board, errors that name the array or
parameter at fault, and docs/kernels.md kept in step with the op specs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qlr.cli import main as qlr_main
from qlr.kernels.registry import all_ops

REPO = Path(__file__).resolve().parents[2]


def _matmul_inputs(tmp_path: Path, m: int = 5, n: int = 3, k: int = 7) -> Path:
    rng = np.random.default_rng(3)
    path = tmp_path / "in.npz"
    np.savez(path, a=rng.standard_normal((m, k)).astype(np.float32),
             b=rng.standard_normal((n, k)).astype(np.float32),
             bias=rng.standard_normal(n).astype(np.float32), c=np.zeros((m, n), np.float32))
    return path


def test_golden_run_writes_outputs(tmp_path, capsys):
    inp = _matmul_inputs(tmp_path)
    out = tmp_path / "out.npz"
    assert qlr_main(["kernel", "run", "--board", "golden", "--op", "matmul_f32_nt", "--in", str(inp),
                     "--out", str(out), "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["macs"] == 5 * 3 * 7 and rec["params"]["m"] == 5
    with np.load(inp) as z, np.load(out) as o:
        expect = z["a"].astype(np.float64) @ z["b"].astype(np.float64).T + z["bias"]
        np.testing.assert_allclose(o["c"], expect, rtol=1e-6, atol=1e-6)


def test_host_board_run_with_check(tmp_path, capsys):
    inp = _matmul_inputs(tmp_path, 9, 4, 6)
    out = tmp_path / "out.npz"
    assert qlr_main(["kernel", "run", "--board", "host", "--op", "matmul_f32_nt", "--in", str(inp),
                     "--out", str(out), "--cores", "3", "--check", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["board"] == "host" and rec["cores"] == 3 and rec["counter"] > 0
    assert rec["check"]["c"]["nan"] == 0 and rec["check"]["c"]["max_abs_diff"] < 1e-5


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(zz=np.zeros(2)), "'zz' is neither a tensor nor a parameter"),
    (lambda d: d.pop("b"), "missing input array(s) b"),
    (lambda d: d.update(b=d["b"].astype(np.float64)), "array 'b' is float64"),
    (lambda d: d.update(c=np.zeros((2, 2), np.float32)), "array 'c' has shape (2, 2)"),
    (lambda d: d.update(m=np.array(4)), "parameter m=4 contradicts the arrays"),
])
def test_bad_inputs_name_the_field(tmp_path, capsys, change, message):
    inp = _matmul_inputs(tmp_path)
    with np.load(inp) as z:
        d = dict(z)
    change(d)
    bad = tmp_path / "bad.npz"
    np.savez(bad, **d)
    assert qlr_main(["kernel", "run", "--board", "golden", "--op", "matmul_f32_nt", "--in", str(bad)]) == 1
    assert message in capsys.readouterr().err


def test_unknown_op_lists_known_ones(tmp_path, capsys):
    inp = _matmul_inputs(tmp_path)
    assert qlr_main(["kernel", "run", "--board", "golden", "--op", "nope", "--in", str(inp)]) == 1
    assert "matmul_f32_nt" in capsys.readouterr().err


def test_docs_are_up_to_date(capsys):
    rc = qlr_main(["kernel", "docs", "--check", str(REPO / "docs" / "kernels.md")])
    assert rc == 0, capsys.readouterr().err


def test_list_json_covers_every_spec(capsys):
    assert qlr_main(["kernel", "list", "--json"]) == 0
    names = {o["name"] for o in json.loads(capsys.readouterr().out)}
    assert names == set(all_ops())

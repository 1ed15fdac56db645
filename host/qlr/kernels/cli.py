"""qlr kernel: run one kernel op on a board (or the golden model) on your own tensors, list the
ops, and write the op reference (docs/kernels.md).

  qlr kernel run --board qemu-rv32 --op pwconv_u8s8 --in in.npz --out out.npz [--cores 8] [--check]
  qlr kernel list [--board qemu-rv32] [--json]
  qlr kernel docs [--write docs/kernels.md | --check docs/kernels.md]

IN.npz holds the op's input arrays under their names, and may hold parameters as 0-d arrays
under the parameter names; `--param name=value` overrides those. Parameters implied by the
array shapes are derived. OUT.npz receives the output arrays under their names.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from qlr.boards.runner import GVSOC_OPTION_HELP
from qlr.boards.session import board_session
from qlr.errors import QlrError
from qlr.kernels.docs import render
from qlr.kernels.registry import all_ops, get_op
from qlr.kernels.run import DeviceKernels, run_golden
from qlr.kernels.spec import Arrays, OpSpec, Params
from qlr.npz import open_npz, save_npz


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    r = sub.add_parser("run", help="run one op on a board or on the golden model")
    r.add_argument("--board", required=True, help="a board name (qlr boards) or 'golden'")
    r.add_argument("--op", required=True, help="op name (qlr kernel list)")
    r.add_argument("--in", dest="inp", required=True, metavar="IN.npz", help="input arrays (+ 0-d parameters)")
    r.add_argument("--out", metavar="OUT.npz", help="where to write the output arrays")
    r.add_argument("--cores", type=int, default=None, help="team size (default: all the board has)")
    r.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="set a parameter")
    r.add_argument("--check", action="store_true",
                   help="also run the golden model and report the largest difference (exit 1 on a mismatch "
                        "for integer ops)")
    r.add_argument("--gvsoc", default=None, help=GVSOC_OPTION_HELP)
    r.add_argument("--json", action="store_true", help="print a JSON record")
    ls = sub.add_parser("list", help="list the ops (of the host specs, or of a board's firmware)")
    ls.add_argument("--board", default=None, help="ask this board's firmware which ops it has")
    ls.add_argument("--gvsoc", default=None, help=GVSOC_OPTION_HELP)
    ls.add_argument("--json", action="store_true")
    d = sub.add_parser("docs", help="write or check the op reference (docs/kernels.md)")
    g = d.add_mutually_exclusive_group()
    g.add_argument("--write", metavar="PATH", help="write the reference to PATH")
    g.add_argument("--check", metavar="PATH", help="exit 1 when PATH is not up to date")


def _parse_value(text: str) -> int | float:
    try:
        return int(text, 0)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise QlrError(f"parameter value {text!r} is not a number") from None


def load_inputs(spec: OpSpec, path: str, overrides: list[str]) -> tuple[Arrays, Params]:
    """Arrays and parameters of a call from an .npz file and NAME=VALUE overrides."""
    pnames = {p.name for p in spec.params}
    tnames = {t.name for t in spec.tensors}
    arrays, params = {}, {}
    with open_npz(path) as z:
        for key in z.files:
            a = z[key]
            if key in pnames:
                if a.ndim != 0:
                    raise QlrError(f"{path}: parameter {key!r} must be a 0-d array, got shape {a.shape}")
                params[key] = a.item()
            elif key in tnames:
                arrays[key] = a
            else:
                raise QlrError(f"{path}: array {key!r} is neither a tensor nor a parameter of op {spec.name} "
                               f"(tensors: {', '.join(sorted(tnames))}; parameters: {', '.join(sorted(pnames))})")
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep:
            raise QlrError(f"--param {item!r}: expected NAME=VALUE")
        params[name.strip()] = _parse_value(value.strip())
    return arrays, params


def _compare(spec: OpSpec, got: Arrays, ref: Arrays) -> dict[str, dict[str, int | float]]:
    report: dict[str, dict[str, int | float]] = {}
    for t in spec.outputs():
        a, b = got[t.name], ref[t.name]
        if np.issubdtype(a.dtype, np.integer):
            report[t.name] = {"mismatches": int((a != b).sum()), "elements": int(a.size)}
        else:
            diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
            report[t.name] = {"max_abs_diff": float(np.nanmax(diff)) if diff.size else 0.0,
                              "nan": int(np.isnan(a).sum()), "elements": int(a.size)}
    return report


def cmd_run(args: argparse.Namespace) -> int:
    spec = get_op(args.op)
    arrays, params = load_inputs(spec, args.inp, args.param)
    golden = run_golden(spec, arrays, params)
    if args.board == "golden":
        res = golden
    else:
        with board_session(args.board, gvsoc=args.gvsoc) as session:
            dk = DeviceKernels(session.link)
            res = dk.run(spec, arrays, params, cores=args.cores or dk.team_max)
    if args.out:
        save_npz(args.out, res.outputs)
    record = {"op": spec.name, "board": res.board, "cores": res.cores, "params": res.params,
              "macs": res.macs, "counter": res.counter, "unit": res.unit,
              "macs_per_unit": None if not res.counter else res.macs / res.counter,
              "outputs": {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in res.outputs.items()}}
    bad = False
    check: dict[str, dict[str, int | float]] = {}
    if args.check and args.board != "golden":
        check = record["check"] = _compare(spec, res.outputs, golden.outputs)
        bad = any(v.get("mismatches", 0) or v.get("nan", 0) for v in check.values())
    if args.json:
        print(json.dumps(record, indent=2))
    else:
        line = f"{spec.name} on {res.board}"
        if res.counter:
            line += (f" with {res.cores} core(s): {res.macs} MACs in {res.counter} {res.unit} "
                     f"({res.macs / res.counter:.3f} MAC/{res.unit.rstrip('s') or 'unit'})")
        print(line)
        for k, v in res.outputs.items():
            print(f"  {k}: {v.dtype} {tuple(v.shape)}" + (f" -> {args.out}" if args.out else ""))
        for name, verdict in check.items():
            print(f"  check {name}: {verdict}")
    return 1 if bad else 0


def cmd_list(args: argparse.Namespace) -> int:
    if args.board:
        with board_session(args.board, gvsoc=args.gvsoc) as session:
            ops = DeviceKernels(session.link).list_ops()
    else:
        ops = [{"name": s.name, "family": s.family, "nparam": len(s.params), "params": [p.name for p in s.params],
                "tensors": [t.name for t in s.tensors], "doc": s.doc} for s in all_ops().values()]
    if args.json:
        print(json.dumps(ops, indent=2))
    else:
        for o in ops:
            print(f"{o['name']:<32} {', '.join(o['tensors'])}" + (f"   {o['doc']}" if o.get("doc") else ""))
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    text = render()
    if args.write:
        Path(args.write).write_text(text)
        return 0
    if args.check:
        path = Path(args.check)
        if not path.is_file() or path.read_text() != text:
            print(f"qlr kernel docs: {path} is not up to date; run `qlr kernel docs --write {path}`", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0


def main(args: argparse.Namespace) -> int:
    return {"run": cmd_run, "list": cmd_list, "docs": cmd_docs}[args.action](args)

"""`qlr data`: make and describe data sets (.npz, `qlr.data.Dataset`).

    qlr data imu --out imu.npz [--sessions 16] [--per-class 60] [--size 8] [--seed 0]
    qlr data info FILE.npz|fashion-mnist [--json]
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from qlr.cl.source import load_source
from qlr.data import save_dataset
from qlr.data.synthetic import imu_dataset


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("imu", help="write the synthetic 6-axis IMU data set with sessions (qlr.data.synthetic)")
    p.add_argument("--out", required=True, help="the .npz to write")
    p.add_argument("--sessions", type=int, default=16, help="sessions (users) (default 16)")
    p.add_argument("--per-class", type=int, default=60, help="windows per class and session (default 60)")
    p.add_argument("--size", type=int, default=8, help="window of SIZE x SIZE time steps (default 8: 64 steps)")
    p.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    q = sub.add_parser("info", help="shape, classes, sessions and value range of a data set")
    q.add_argument("data", help="a data set .npz or fashion-mnist")
    q.add_argument("--json", action="store_true", help="print JSON")


def summary(name: str, x: np.ndarray, y: np.ndarray, sessions: np.ndarray | None,
            class_names: list[str] | None) -> dict[str, Any]:
    classes = sorted(int(c) for c in np.unique(y))
    out: dict[str, Any] = {"data": name, "images": int(len(y)), "image_shape": [int(d) for d in x.shape[1:]],
                           "classes": len(classes), "per_class": {str(c): int(np.sum(y == c)) for c in classes},
                           "class_names": class_names, "min": int(x.min()) if x.size else None,
                           "max": int(x.max()) if x.size else None}
    if sessions is not None:
        ids = np.unique(sessions)
        out["sessions"] = int(len(ids))
        out["per_session"] = {str(int(s)): int(np.sum(sessions == s)) for s in ids}
    return out


def format_summary(s: dict[str, Any]) -> str:
    shape = "x".join(str(d) for d in s["image_shape"])
    lines = [f"{s['data']}: {s['images']} images of {shape} (uint8 {s['min']}..{s['max']}), {s['classes']} classes"
             + (f", {s['sessions']} sessions" if "sessions" in s else "")]
    names = s.get("class_names") or []
    lines.append("per class: " + ", ".join(
        f"{c}{' ' + names[int(c)] if int(c) < len(names) else ''} {n}" for c, n in s["per_class"].items()))
    if "per_session" in s:
        counts = sorted(set(s["per_session"].values()))
        lines.append(f"per session: {counts[0]}..{counts[-1]} images")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    if args.action == "imu":
        ds = imu_dataset(args.sessions, args.per_class, (args.size, args.size), args.seed)
        save_dataset(args.out, ds)
        s = summary(args.out, ds.x, ds.y, ds.sessions, ds.classes)
    else:
        src = load_source(args.data)
        if src.test_x is not None and src.test_y is not None:
            s = summary(src.name, np.concatenate([src.x, src.test_x]), np.concatenate([src.y, src.test_y]), None,
                        src.class_names)
        else:
            s = summary(src.name, src.x, src.y, src.sessions, src.class_names)
    if args.json:
        print(json.dumps(s, indent=1))
    else:
        print(format_summary(s))
    return 0


__all__ = ["add_arguments", "format_summary", "main", "summary"]

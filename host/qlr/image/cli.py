"""`qlr image`: build, show and check binary images (spec: docs/image-format.md).

    qlr image pack --model M.npz --lr-layer L --out IMG [--data fashion-mnist|D.npz] [--scheme ...]
                   [--lr-count N --lr-bits Q [--lr-per-channel]] [--batches K --batch-size B] [--json]
    qlr image inspect IMG [--json]
    qlr image verify IMG [--json]
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

import numpy as np

from qlr.errors import QlrError
from qlr.image import DataBatch, LRMemory, decode_image, parse_container, read_image, write_image
from qlr.image.format import DType, Kind, QlrImageError, SectionType, Stage
from qlr.image.pack import build_content
from qlr.model import load_network
from qlr.quant.cli import add_quant_options, calibration_from_args, load_images_for
from qlr.quant.latent import requantize_u8_latent
from qlr.quant.ptq import quantize_front_end


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("pack", help="quantize a network's front-end and write an image")
    add_quant_options(p)
    p.add_argument("--out", required=True, help="image file to write")
    p.add_argument("--lr-count", type=int, default=0, help="latents in the LR memory (default 0: no LR memory)")
    p.add_argument("--lr-bits", type=int, default=8, help="bits per LR latent element, 1..8 (default 8)")
    p.add_argument("--lr-per-channel", action="store_true", help="one LR scale per channel instead of per tensor")
    p.add_argument("--batches", type=int, default=0, help="data batches to include (default 0)")
    p.add_argument("--batch-size", type=int, default=32, help="images per data batch (default 32)")
    p.add_argument("--seed", type=int, default=0, help="seed for choosing LR and batch samples (default 0)")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    for name, text in (("inspect", "print the section table, the layer table and the LR memory"),
                       ("verify", "check every rule of the format; exit 1 with the first violation")):
        q = sub.add_parser(name, help=text)
        q.add_argument("image", help="image file")
        q.add_argument("--json", action="store_true", help="print JSON")


# ----------------------------------------------------------------------------- pack


def pack(args: argparse.Namespace) -> dict[str, Any]:
    if args.calib < 1 or args.lr_count < 0 or args.batches < 0 or args.batch_size < 1:
        raise QlrError("--calib and --batch-size must be >= 1, --lr-count and --batches >= 0")
    if not 1 <= args.lr_bits <= 8:
        raise QlrError(f"--lr-bits must be in 1..8, got {args.lr_bits}")
    net = load_network(args.model)
    folded = net.fold_batchnorm()
    front, back = folded.split(args.lr_layer)
    need = args.lr_count + args.batches * args.batch_size
    x, y = load_images_for(net, args.data, "train", max(args.calib, need) if need else args.calib)
    qfe = quantize_front_end(front, x[: args.calib], args.scheme, progress=not args.quiet,
                             calibration=calibration_from_args(args), equalize=args.equalize)
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(x))
    if need > len(x):
        raise QlrError(f"{args.data}: {len(x)} images, --lr-count and --batches need {need}")
    lr = None
    if args.lr_count:
        idx = np.sort(order[: args.lr_count])
        lat = qfe.run(x[idx])
        assert isinstance(lat, np.ndarray)
        if qfe.output.out_zp != 0:
            raise QlrError(f"LR layer {args.lr_layer}: the latent has zero point {qfe.output.out_zp}; LR memory needs a ReLU output")
        if lat.ndim == 2:
            lat = lat.reshape(lat.shape[0], 1, 1, lat.shape[1])
        codes, scale = requantize_u8_latent(lat, args.lr_bits, qfe.output.out_scale, args.lr_per_channel)
        if args.lr_per_channel:
            cmax = lat.reshape(-1, lat.shape[-1]).max(axis=0).clip(1, 255).astype(np.uint8)
        else:
            cmax = np.array([255], np.uint8)
        lr = LRMemory(codes, y[idx], args.lr_bits, scale, cmax)
    batches = {}
    for g in range(args.batches):
        idx = order[args.lr_count + g * args.batch_size : args.lr_count + (g + 1) * args.batch_size]
        batches[g] = DataBatch(x[idx], y[idx])
    meta = {
        "generator": "qlr image pack", "model": os.path.basename(args.model), "lr_layer": args.lr_layer,
        "scheme": args.scheme, "percentile": qfe.percentile, "calibration": qfe.calibration,
        "calibration_images": int(args.calib),
        "data": args.data, "layers": [q.name for q in qfe.layers] + [l.name for l in back.layers],
        "input_scale": qfe.input_scale, "lr_bits": args.lr_bits if lr is not None else None,
        "seed": args.seed, "class_names": net.meta.get("class_names"),
    }
    content = build_content(qfe, back, lr, batches, meta)
    size = write_image(args.out, content)
    return {"out": args.out, "bytes": size, "layers": len(content.layers),
            "front_layers": len(qfe.layers), "lr_count": args.lr_count, "lr_bits": args.lr_bits if lr else None,
            "batches": args.batches, "batch_size": args.batch_size}


# ----------------------------------------------------------------------------- inspect / verify


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise QlrError(f"{path}: cannot read ({e.strerror})") from None


def _dtype_name(d: int) -> str:
    try:
        return DType(d).name.lower()
    except ValueError:
        return str(d)


def inspect(path: str) -> tuple[dict[str, Any], str | None]:
    data = _read(path)
    try:
        sections = parse_container(data)
    except QlrImageError as e:
        raise QlrImageError(f"{path}: {e}") from None
    info: dict[str, Any] = {"file": path, "bytes": len(data), "sections": [
        {"index": s.index, "type": SectionType(s.type).name, "name": s.name, "group": s.group,
         "dtype": _dtype_name(s.dtype), "bits": s.bits, "shape": list(s.shape), "offset": s.offset,
         "size": s.size, "align": s.align, "crc32": f"{s.crc:08x}"} for s in sections]}
    error = None
    try:
        content = decode_image(data)
    except QlrImageError as e:
        error = str(e)
        content = None
    info["valid"] = error is None
    info["error"] = error
    if content is not None:
        info["layers"] = [
            {"pos": i, "kind": Kind(r.kind).name.lower(), "stage": Stage(r.stage).name.lower(), "index": r.index,
             "in": list(r.in_shape), "out": list(r.out_shape), "act": ["none", "relu", "relu6"][r.act],
             "input0": r.input0, "input1": r.input1, "out_scale": r.out_scale, "out_zp": r.out_zp}
            for i, r in enumerate(content.layers)]
        if content.lr is not None:
            lr = content.lr
            info["lr"] = {"count": int(lr.codes.shape[0]), "latent_shape": list(lr.codes.shape[1:]), "bits": lr.bits,
                          "scales": [float(v) for v in lr.scale[:8]], "scale_count": int(lr.scale.size)}
        info["batches"] = {str(g): int(b.images.shape[0]) for g, b in sorted(content.batches.items())}
        info["meta"] = content.meta
    return info, error


def format_inspect(info: dict[str, Any]) -> str:
    out = [f"{info['file']}: {info['bytes']:,} bytes, {len(info['sections'])} sections"]
    out.append(f"{'#':>3} {'type':<12} {'name':<18} {'grp':>4} {'dtype':<7} {'shape':<18} {'offset':>10} {'size':>10} {'crc32':>9}")
    for s in info["sections"]:
        dt = s["dtype"] + (f"/{s['bits']}" if s["dtype"] == "packed" else "")
        out.append(f"{s['index']:>3} {s['type']:<12} {s['name']:<18} {s['group']:>4} {dt:<7} "
                   f"{'x'.join(map(str, s['shape'])):<18} {s['offset']:>10} {s['size']:>10} {s['crc32']:>9}")
    if "layers" in info:
        out.append("")
        out.append(f"{'pos':>3} {'stage':<5} {'idx':>3} {'kind':<15} {'act':<5} {'in':<12} {'out':<12} {'scale':>10} {'zp':>4}")
        for r in info["layers"]:
            q = f"{r['out_scale']:10.4g} {r['out_zp']:4d}" if r["stage"] == "front" else ""
            out.append(f"{r['pos']:>3} {r['stage']:<5} {r['index']:>3} {r['kind']:<15} {r['act']:<5} "
                       f"{'x'.join(map(str, r['in'])):<12} {'x'.join(map(str, r['out'])):<12} {q}")
    if "lr" in info:
        lr = info["lr"]
        out.append(f"LR memory: {lr['count']} latents of {'x'.join(map(str, lr['latent_shape']))} at {lr['bits']} bits, "
                   f"{lr['scale_count']} scale(s)")
    if info.get("batches"):
        out.append(f"data batches: {', '.join(f'{g}: {n} images' for g, n in info['batches'].items())}")
    out.append("valid" if info["valid"] else f"INVALID: {info['error']}")
    return "\n".join(out)


def main(args: argparse.Namespace) -> int:
    if args.action == "pack":
        summary = pack(args)
        if args.json:
            print(json.dumps(summary, indent=1))
        else:
            print(f"wrote {summary['out']}: {summary['bytes']:,} bytes, {summary['layers']} layers "
                  f"({summary['front_layers']} int8 front-end), LR memory {summary['lr_count']}, "
                  f"{summary['batches']} batch(es)")
        return 0
    if args.action == "inspect":
        info, error = inspect(args.image)
        print(json.dumps(info, indent=1) if args.json else format_inspect(info))
        return 0 if error is None else 1
    if args.action == "verify":
        content = read_image(args.image)
        summary = {"file": args.image, "valid": True, "bytes": os.path.getsize(args.image),
                   "layers": len(content.layers), "lr_count": 0 if content.lr is None else int(content.lr.codes.shape[0]),
                   "batches": len(content.batches)}
        print(json.dumps(summary) if args.json else
              f"{args.image}: valid ({summary['bytes']:,} bytes, {summary['layers']} layers, "
              f"{summary['lr_count']} LR latents, {summary['batches']} batches)")
        return 0
    raise QlrError(f"unknown action {args.action!r}")

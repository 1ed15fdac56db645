"""`qlr import`: a network from a PyTorch checkpoint or an ONNX file, as a network .npz.

    qlr import FILE.pt|.pth|.onnx --out NET.npz [--arch mobilenet_v2|mobilenet_v1] [--width W]
               [--size H[xW]] [--classes K] [--normalize auto|imagenet|none] [--seed S] [--json]

PyTorch files (zip or legacy layout) are read without torch (`qlr.model.torchfile`) and mapped
onto a builder of this project (`qlr.model.importer`); ONNX files node by node
(`qlr.model.onnx_import`, needs the onnx package). BatchNorm stays in the file's network (as
trained); every consumer folds it (`Network.fold_batchnorm`) before quantizing. The report names
the architecture found and every tensor or node that could not be used, with the reason; then the
import fails (exit 1) without writing anything.
"""

from __future__ import annotations

import argparse
import json
import os

from qlr.cl.cli_learn import parse_size
from qlr.cl.session import lr_layers
from qlr.errors import QlrError
from qlr.model import Network, save_network
from qlr.model.importer import IMAGENET_MEAN, IMAGENET_STD, import_state_dict, normalize_input
from qlr.model.onnx_import import import_onnx
from qlr.model.torchfile import read_torch_file, state_dict_of

TORCH_SUFFIXES = (".pt", ".pth", ".pth.tar", ".bin", ".ckpt", ".tar")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="a PyTorch checkpoint (.pt, .pth: a state dict, or a dict holding one) or an ONNX file")
    p.add_argument("--out", required=True, help="the network .npz to write")
    p.add_argument("--arch", choices=["mobilenet_v2", "mobilenet_v1"], help="architecture of a PyTorch state dict "
                   "(default: recognised from the tensors' shapes)")
    p.add_argument("--width", type=float, help="width multiplier (default: recognised)")
    p.add_argument("--size", help="input size H or HxW (default: 224 for a state dict, the ONNX file's own)")
    p.add_argument("--classes", type=int, help="outputs of a new classifier when the file has none (a feature "
                   "extractor)")
    p.add_argument("--normalize", choices=["auto", "imagenet", "none"], default="auto",
                   help="input normalisation the network was trained with, added as a first layer: imagenet "
                   "(mean 0.485/0.456/0.406, std 0.229/0.224/0.225) or none; auto: imagenet for a 3-channel "
                   "MobileNetV2 state dict, none otherwise (default auto)")
    p.add_argument("--seed", type=int, default=0, help="seed of a new classifier (default 0)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def main(args: argparse.Namespace) -> int:
    size = parse_size(args.size)
    if args.file.lower().endswith(".onnx"):
        if args.arch or args.width or args.classes:
            raise QlrError("--arch, --width and --classes apply to PyTorch state dicts; an ONNX file has its graph")
        net, rep = import_onnx(args.file, size)
    else:
        tf = read_torch_file(args.file)
        sd, where = state_dict_of(tf)
        net, rep = import_state_dict(sd, args.file, tf.layout, args.arch, args.width, size or (224, 224),
                                     args.classes, args.seed)
        if where != "the file's object":
            rep.notes.append(f"state dict taken from the checkpoint's {where}")
    if net is not None:
        norm = args.normalize
        if norm == "auto":
            norm = "imagenet" if rep.arch == "mobilenet_v2" and net.input_shape[-1] == 3 else "none"
        if norm == "imagenet":
            net = normalize_input(net, IMAGENET_MEAN, IMAGENET_STD)
            rep.notes.append("input normalised as for ImageNet ((x - mean) / std) by a first layer 'input_norm'")
        net.meta["normalize"] = norm
        tmp = args.out + ".tmp.npz"
        save_network(net, tmp)
        os.replace(tmp, args.out)
        rep.notes.append(f"written: {args.out} ({net.param_count():,} parameters, LR layers with an unsigned latent "
                         f"and a trainable back-end: {', '.join(map(str, _lr_layers(net))) or 'none'})")
    if args.json:
        print(json.dumps(rep.to_dict(), indent=1))
    else:
        print(rep.format())
    if not rep.ok:
        raise QlrError(f"{args.file}: {len(rep.unsupported)} unsupported item(s), nothing written "
                       f"(first: {rep.unsupported[0].layer}: {rep.unsupported[0].reason})")
    return 0


def _lr_layers(net: Network) -> list[int]:
    """LR layers whose latent is unsigned (the output of a ReLU/ReLU6, or a pool of one: zero point
    0, what LR codes need) and whose back-end (BatchNorm folded) the device can train."""
    folded = net.fold_batchnorm()
    kinds = {lay.name: lay for lay in folded.layers}

    def unsigned(name: str) -> bool:
        lay = kinds[name]
        if lay.kind in ("global_avgpool", "avgpool") and lay.inputs[0] in kinds:
            return unsigned(lay.inputs[0])
        return lay.kind in ("relu", "relu6")

    return [l for l in lr_layers(folded) if unsigned(folded.index_output(l))]

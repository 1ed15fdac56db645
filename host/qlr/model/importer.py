"""Networks from PyTorch state dicts: recognise the architecture, map every tensor, report the rest.

A state dict names tensors but holds no graph, so the graph comes from a builder of this project
(`ARCHS`: MobileNet-V1, `qlr.model.mobilenet`; MobileNetV2, `qlr.model.mobilenet_v2`) and the
tensors are matched to its layers **in order**: the dict's modules (keys grouped by their prefix
before the last dot, in file order) are classified -- convolution (a 4-D ``weight``), BatchNorm
(``running_mean``), linear (a 2-D ``weight``) -- and consumed one by one by the builder's conv,
BatchNorm and linear layers, each shape checked. This reads any naming of the same network:
torchvision's MobileNetV2 (``features.1.conv.0.0.weight``), the older layout its ImageNet weights
were first published in (``features.1.conv.0.weight``), and the common MobileNet-V1 layout
(``model.1.0.weight``).

Detection: every architecture and width in `CANDIDATE_WIDTHS` (plus the width the first
convolution implies) is tried; the first whose layer shapes match every module wins. A file
without a classifier (a feature extractor) gets a new linear head, initialised from ``seed``, with
``classes`` outputs; the report says so.

Conversions (PyTorch is NCHW): conv ``[Cout][Cin][Kh][Kw]`` -> ``[Cout][Kh][Kw][Cin]``, depthwise
``[C][1][Kh][Kw]`` -> ``[Kh][Kw][C]``, pointwise ``[Cout][Cin][1][1]`` -> ``[Cout][Cin]``; BatchNorm
``weight/bias/running_mean/running_var`` -> ``gamma/beta/mean/var`` (``num_batches_tracked`` is
not needed); float16/float64 become float32.

Input normalisation: networks trained on ``(x - mean) / std`` inputs (ImageNet: mean 0.485,
0.456, 0.406, std 0.229, 0.224, 0.225 on x in [0, 1]) get a first depthwise 1x1 layer that computes
it (`normalize_input`), since this project's input is ``x / 255``. Folding it into the first
convolution instead would be wrong at the borders: PyTorch zero-pads the *normalised* image, so
the padding must come after the normalisation (measured: folding changes MobileNetV2's pooled
features by 14-17 % (relative L2) on Fashion-MNIST at 64-128 px; the extra layer matches PyTorch
to float32 rounding). In int8 the layer's output has a zero point, and the next convolution pads
with it: exact there too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from qlr.errors import QlrError
from qlr.model.graph import INPUT, Layer, Network
from qlr.model.mobilenet import mobilenet_v1
from qlr.model.mobilenet_v2 import make_divisible, mobilenet_v2

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CANDIDATE_WIDTHS = (1.0, 0.75, 0.5, 0.35, 0.25, 1.3, 1.4, 0.125)


@dataclass
class Module:
    """The tensors of one PyTorch module (keys sharing a prefix), in file order."""

    prefix: str
    params: dict[str, np.ndarray]

    @property
    def kind(self) -> str:
        w = self.params.get("weight")
        if "running_mean" in self.params:
            return "bn"
        if w is not None and w.ndim == 4:
            return "conv"
        if w is not None and w.ndim == 2:
            return "linear"
        return "other"


@dataclass
class Issue:
    layer: str
    reason: str


@dataclass
class ImportReport:
    """What an import did: the source, the network found, and everything it could not use."""

    source: str
    layout: str
    arch: str = ""
    width: float = 0.0
    input_shape: tuple[int, ...] = ()
    classes: int = 0
    mapped: int = 0  # layers that received tensors
    tensors: int = 0  # tensors used
    unsupported: list[Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.unsupported

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["input_shape"] = list(self.input_shape)
        return d

    def format(self) -> str:
        shape = "x".join(map(str, self.input_shape))
        width = f" width {self.width:g}" if self.width else ""
        if self.ok:
            head = (f"{self.arch}{width}, input {shape}, {self.classes} classes; {self.mapped} layers from "
                    f"{self.tensors} tensors")
        else:
            head = f"cannot import ({len(self.unsupported)} problem{'s' if len(self.unsupported) > 1 else ''})"
        lines = [f"{self.source} ({self.layout}): {head}"]
        lines += [f"note: {n}" for n in self.notes]
        lines += [f"unsupported: {i.layer}: {i.reason}" for i in self.unsupported]
        return "\n".join(lines)


def modules_of(sd: dict[str, np.ndarray]) -> list[Module]:
    mods: dict[str, Module] = {}
    for key, arr in sd.items():
        prefix, _, name = key.rpartition(".")
        mods.setdefault(prefix, Module(prefix, {})).params[name] = arr
    return [m for m in mods.values() if m.kind != "other" or any(v.size > 1 for v in m.params.values())]


Builder = Callable[..., Network]
ARCHS: dict[str, Builder] = {"mobilenet_v2": mobilenet_v2, "mobilenet_v1": mobilenet_v1}


def _torch_shape(kind: str, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The PyTorch shape of a project parameter."""
    if kind == "conv2d":
        return (shape[0], shape[3], shape[1], shape[2])
    if kind == "dwconv2d":
        return (shape[2], 1, shape[0], shape[1])
    if kind == "pwconv":
        return (shape[0], shape[1], 1, 1)
    return shape


def _to_project(kind: str, w: np.ndarray) -> np.ndarray:
    w = np.asarray(w, dtype=np.float32)
    if kind == "conv2d":
        return np.ascontiguousarray(w.transpose(0, 2, 3, 1))
    if kind == "dwconv2d":
        return np.ascontiguousarray(w[:, 0].transpose(1, 2, 0))
    if kind == "pwconv":
        return np.ascontiguousarray(w[:, :, 0, 0])
    return np.ascontiguousarray(w)


def _match(net: Network, mods: list[Module]) -> tuple[list[tuple[str, Module]], list[Issue], bool]:
    """Pair the network's parameter layers with the modules in order: (pairs, issues, head missing)."""
    pairs: list[tuple[str, Module]] = []
    issues: list[Issue] = []
    j = 0
    head_missing = False
    for lay in net.layers:
        if lay.kind not in ("conv2d", "dwconv2d", "pwconv", "linear", "batchnorm"):
            continue
        if j >= len(mods):
            if lay.kind == "linear" and lay is net.layers[-1]:
                head_missing = True
                continue
            issues.append(Issue(lay.name, f"the file ends before this {lay.kind} layer"))
            break
        m = mods[j]
        want = {"conv2d": "conv", "dwconv2d": "conv", "pwconv": "conv", "linear": "linear", "batchnorm": "bn"}[lay.kind]
        if m.kind != want:
            issues.append(Issue(m.prefix, f"a {m.kind} module where the architecture has {lay.kind} {lay.name!r}"))
            break
        expect = {k: v.shape for k, v in lay.params.items()}
        if lay.kind == "batchnorm":
            c = expect["gamma"][0]
            bad = [k for k in ("weight", "bias", "running_mean", "running_var") if k in m.params
                   and m.params[k].shape != (c,)] + [k for k in ("running_mean", "running_var") if k not in m.params]
            if bad:
                issues.append(Issue(m.prefix, f"BatchNorm of {c} channels expected for {lay.name!r}, got "
                                    f"{ {k: tuple(v.shape) for k, v in m.params.items()} }"))
                break
        else:
            got = tuple(m.params["weight"].shape)
            need = _torch_shape(lay.kind, tuple(expect["weight"]))
            if got != need:
                issues.append(Issue(m.prefix, f"weight {got} where {lay.name!r} ({lay.kind}) needs {need}"))
                break
        pairs.append((lay.name, m))
        j += 1
    for m in mods[len(pairs):] if not issues else []:
        issues.append(Issue(m.prefix, f"a {m.kind} module the architecture has no layer for"))
    return pairs, issues, head_missing


def _candidates(mods: list[Module], arch: str | None, width: float | None) -> list[tuple[str, float]]:
    convs = [m for m in mods if m.kind == "conv"]
    c0 = int(convs[0].params["weight"].shape[0]) if convs else 32
    # the widths the channel counts imply: the first conv (32 w), the last conv's input (MobileNetV2: 320 w)
    implied = [c0 / 32] + ([int(convs[-1].params["weight"].shape[1]) / 320] if convs else [])
    archs = [arch] if arch else list(ARCHS)
    out = []
    for a in archs:
        widths = [width] if width else list(dict.fromkeys([*CANDIDATE_WIDTHS, *implied]))
        for w in widths:
            if a == "mobilenet_v2" and make_divisible(32 * w) != c0:
                continue
            if a == "mobilenet_v1" and max(1, int(round(32 * w))) != c0:
                continue
            out.append((a, w))
    return out


def import_state_dict(sd: dict[str, np.ndarray], source: str = "<state dict>", layout: str = "state dict",
                      arch: str | None = None, width: float | None = None, input_size: tuple[int, int] = (224, 224),
                      classes: int | None = None, seed: int = 0) -> tuple[Network | None, ImportReport]:
    """The network of a state dict and the import report (the network is None when anything is
    unsupported; the report lists every problem of the best-matching architecture)."""
    rep = ImportReport(source, layout)
    if arch is not None and arch not in ARCHS:
        raise QlrError(f"--arch {arch!r}: known architectures are {', '.join(ARCHS)}")
    mods = modules_of(sd)
    convs = [m for m in mods if m.kind == "conv"]
    if not convs:
        rep.unsupported.append(Issue(source, "no convolution weights: not a convolutional network's state dict"))
        return None, rep
    in_ch = int(convs[0].params["weight"].shape[1])
    lin = [m for m in mods if m.kind == "linear"]
    n_cls = int(lin[-1].params["weight"].shape[0]) if lin else classes
    best: tuple[int, str, float, list[Issue]] | None = None
    for a, w in _candidates(mods, arch, width):
        net = ARCHS[a](width=w, input_size=input_size, num_classes=n_cls or 1, in_channels=in_ch, seed=seed)
        pairs, issues, head_missing = _match(net, mods)
        if not issues:
            return _fill(net, pairs, head_missing, classes, rep, a, w, seed)
        if best is None or len(pairs) > best[0]:
            best = (len(pairs), a, w, issues)
    if best is None:
        rep.unsupported.append(Issue(convs[0].prefix, f"first convolution has {convs[0].params['weight'].shape[0]} "
                                     f"outputs: no width of {arch or ' or '.join(ARCHS)} gives that"))
    else:
        rep.arch, rep.width = best[1], best[2]
        rep.notes.append(f"closest: {best[1]} width {best[2]:g}, {best[0]} layers matched before the first problem")
        rep.unsupported.extend(best[3])
    return None, rep


def _fill(net: Network, pairs: list[tuple[str, Module]], head_missing: bool, classes: int | None, rep: ImportReport,
          arch: str, width: float, seed: int) -> tuple[Network | None, ImportReport]:
    used = 0
    for name, m in pairs:
        lay = net.layer(name)
        if lay.kind == "batchnorm":
            p = m.params
            c = lay.params["gamma"].shape[0]
            lay.params = {"gamma": np.asarray(p.get("weight", np.ones(c)), np.float32),
                          "beta": np.asarray(p.get("bias", np.zeros(c)), np.float32),
                          "mean": np.asarray(p["running_mean"], np.float32),
                          "var": np.asarray(p["running_var"], np.float32)}
            used += sum(1 for k in ("weight", "bias", "running_mean", "running_var") if k in p)
            continue
        lay.params["weight"] = _to_project(lay.kind, m.params["weight"])
        used += 1
        if "bias" in m.params:
            lay.params["bias"] = np.asarray(m.params["bias"], np.float32)
            used += 1
    rep.arch, rep.width, rep.input_shape = arch, width, tuple(net.input_shape)
    rep.mapped, rep.tensors = len(pairs), used
    if head_missing:
        if not classes:
            rep.unsupported.append(Issue("classifier", "the file has no classifier (a feature extractor): give the "
                                         "number of classes for a new head (--classes K)"))
            return None, rep
        rep.notes.append(f"the file has no classifier: a new linear head of {classes} outputs (seed {seed})")
    rep.classes = int(net.output_shape[-1])
    net.meta.update({"source": rep.source, "imported_from": rep.layout})
    try:
        net.validate()
    except QlrError as e:
        rep.unsupported.append(Issue("network", str(e)))
        return None, rep
    return net, rep


def normalize_input(net: Network, mean: tuple[float, ...], std: tuple[float, ...]) -> Network:
    """A copy that takes ``x`` (this project's input, x / 255 of the image) where ``net`` took
    ``(x - mean) / std`` per channel: a first depthwise 1x1 layer ``input_norm`` with weight
    ``1 / std`` and bias ``-mean / std`` (module docstring: exact, padding included)."""
    c = net.input_shape[-1]
    if len(mean) != c or len(std) != c or min(std) <= 0:
        raise QlrError(f"normalisation needs {c} means and {c} positive stds, got {mean}, {std}")
    out = net.copy()
    if any(lay.name == "input_norm" for lay in out.layers):
        raise QlrError("the network already has an input_norm layer")
    s = np.asarray(std, np.float64)
    norm = Layer("input_norm", "dwconv2d", {"kernel": 1, "stride": 1, "padding": 0}, [INPUT],
                 {"weight": (1.0 / s).reshape(1, 1, c).astype(np.float32),
                  "bias": (-np.asarray(mean, np.float64) / s).astype(np.float32)}, index=out.layers[0].index)
    for lay in out.layers:
        lay.inputs = ["input_norm" if src == INPUT else src for src in lay.inputs]
    meta = dict(out.meta, input_normalization={"mean": list(mean), "std": list(std), "layer": "input_norm"})
    return Network(out.input_shape, [norm, *out.layers], meta)

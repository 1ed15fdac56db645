"""The network as the plan sees it: the layer table of an image split into front-end and
back-end, every parameter tensor with its size and its streaming unit (one output row), and the
activation buffers a learning event needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from qlr.errors import QlrError

# Layer kinds and stages of the image format (qlr.image.format), repeated as plain ints so this
# module only needs the records' fields.
CONV2D, DWCONV2D, PWCONV, LINEAR, AVGPOOL, GAVGPOOL, ADD, FLATTEN = 1, 2, 3, 4, 5, 6, 7, 8
PARAM_KINDS = (CONV2D, DWCONV2D, PWCONV, LINEAR)
# Kinds whose weight is [out][...] with each output's weights contiguous: a chunk of output rows
# is a contiguous slice, so the tensor can live in L3 and be streamed through L2 row by row.
ROW_KINDS = (CONV2D, PWCONV, LINEAR)
FRONT, BACK = 0, 1
NO_INPUT = 0xFFFF


def prod(shape: Iterable[int]) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


@dataclass(frozen=True)
class Tensor:
    """A parameter tensor: ``name`` as in the image (`fe.3.weight`, `be.24.bias`), ``size`` in
    bytes, ``row`` the bytes of one output row (the streaming unit; 0 when it cannot stream)."""

    name: str
    size: int
    row: int
    layer: int


@dataclass(frozen=True)
class Geometry:
    input_shape: tuple[int, int, int]
    latent_shape: tuple[int, int, int]
    front: tuple[int, ...]
    back: tuple[int, ...]
    fe_params: tuple[Tensor, ...]
    be_params: tuple[Tensor, ...]  # FP32 weights and biases
    be_outputs: tuple[tuple[int, int], ...]  # (layer, elements) of back-end outputs kept for backward
    be_max_elems: int
    be_branch: tuple[tuple[int, int], ...]  # (layer, elements) of back-end tensors read by > 1 layer

    @property
    def latent_elems(self) -> int:
        return prod(self.latent_shape)

    @property
    def image_elems(self) -> int:
        return prod(self.input_shape)


def weight_elems(r: Any) -> int:
    cin, cout = int(r.in_shape[2]), int(r.out_shape[2])
    if r.kind == CONV2D:
        return cout * int(r.kernel[0]) * int(r.kernel[1]) * cin
    if r.kind == DWCONV2D:
        return int(r.kernel[0]) * int(r.kernel[1]) * cin
    if r.kind == LINEAR:
        return cout * prod(r.in_shape)
    return cout * cin


def _front_tensors(i: int, r: Any, fp: Any) -> list[Tensor]:
    """The int8 front-end sections of layer i; sizes from the image's arrays when present."""
    cout = int(r.out_shape[2])
    out: list[Tensor] = []
    if r.kind in PARAM_KINDS:
        w = int(fp.weight.size) if fp is not None and fp.weight is not None else weight_elems(r)
        out.append(Tensor(f"fe.{i}.weight", w, w // cout if r.kind in ROW_KINDS else 0, i))
        if r.flags & 1:
            nb = int(fp.bias.size) if fp is not None and fp.bias is not None else cout
            out.append(Tensor(f"fe.{i}.bias", 4 * nb, 0, i))
        n_mult = int(fp.mult.size) if fp is not None else cout
        n_shift = int(fp.shift.size) if fp is not None else cout
    elif r.kind in (AVGPOOL, GAVGPOOL):
        n_mult = n_shift = 1
    elif r.kind == ADD:
        n_mult, n_shift = 2, 1
    else:
        return out
    out.append(Tensor(f"fe.{i}.mult", 4 * n_mult, 0, i))
    out.append(Tensor(f"fe.{i}.shift", n_shift, 0, i))
    return out


def storage_of(layers: list[Any], i: int) -> int:
    """The layer whose buffer holds layer i's output (a flatten is a view of its input)."""
    while i != NO_INPUT and layers[i].kind == FLATTEN:
        i = layers[i].input0
    return i


def geometry(content: Any) -> Geometry:
    layers = list(getattr(content, "layers", None) or [])
    if not layers:
        raise QlrError("image: no NETWORK section (layer table): the memory plan needs the network")
    front = [i for i, r in enumerate(layers) if r.stage == FRONT]
    back = [i for i, r in enumerate(layers) if r.stage == BACK]
    if not back:
        raise QlrError("image: NETWORK has no back-end (stage BACK) layer: nothing to train")
    input_shape = tuple(int(d) for d in layers[0].in_shape)
    latent_shape = tuple(int(d) for d in (layers[front[-1]].out_shape if front else layers[0].in_shape))
    fparams = getattr(content, "front", {}) or {}
    fe: list[Tensor] = []
    for i in front:
        fe += _front_tensors(i, layers[i], fparams.get(i))
    be: list[Tensor] = []
    for i in back:
        r = layers[i]
        if r.kind in PARAM_KINDS:
            n = weight_elems(r)
            cout = int(r.out_shape[2])
            be.append(Tensor(f"be.{i}.weight", 4 * n, 4 * n // cout if r.kind in ROW_KINDS else 0, i))
            if r.flags & 1:
                be.append(Tensor(f"be.{i}.bias", 4 * cout, 0, i))
    outs = tuple((i, prod(layers[i].out_shape)) for i in back if layers[i].kind != FLATTEN)
    latent_elems = prod(latent_shape)
    be_max = max([latent_elems] + [n for _, n in outs])
    consumers: dict[int, int] = {}
    for i in back:
        r = layers[i]
        for s in ((r.input0, r.input1) if r.kind == ADD else (r.input0,)):
            st = storage_of(layers, s)
            if st != NO_INPUT and layers[st].stage == BACK:  # the latent needs no gradient
                consumers[st] = consumers.get(st, 0) + 1
    branch = tuple((s, prod(layers[s].out_shape)) for s in sorted(consumers) if consumers[s] > 1)
    return Geometry((input_shape[0], input_shape[1], input_shape[2]), (latent_shape[0], latent_shape[1], latent_shape[2]),
                    tuple(front), tuple(back), tuple(fe), tuple(be), outs, be_max, branch)


def content_for_network(net: Any, lr_layer: int) -> Any:
    """An `ImageContent` with only the layer table of ``net`` split at LR layer ``lr_layer``
    (BatchNorm folded, activations fused as `qlr image pack` does), for planning a network before
    it is quantized. Front-end requantization is taken as per channel (one multiplier and shift
    per output channel), the upper bound of the two schemes."""
    from qlr.image.content import ImageContent
    from qlr.image.pack import back_records

    front, back = net.fold_batchnorm().split(lr_layer)
    frecs, _ = back_records(front, 0, NO_INPUT)
    for r in frecs:
        r.stage = FRONT
    brecs, _ = back_records(back, len(frecs), len(frecs) - 1)
    return ImageContent(layers=frecs + brecs)

"""The meaning of a qlr image: layer table, front-end int8 parameters, back-end FP32 parameters,
LR memory and data batches (spec: docs/image-format.md).

`encode_image(ImageContent) -> bytes` and `decode_image(bytes) -> ImageContent`. The decoder checks
every rule of the spec on top of the container checks (`qlr.image.container`) and raises
`QlrImageError` naming the section or layer and the field; the encoder runs the decoder on what
it wrote, so it never produces an image the reader would reject.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qlr.golden.int8_add import ADD_MULT_LIMIT, ADD_SHIFT_MAX
from qlr.golden.int8_common import accumulator_bound
from qlr.golden.requant import SHIFT_MAX, SHIFT_MIN
from qlr.image.container import Section, array_section, parse_container, write_container
from qlr.image.format import (
    LAYER_HAS_BIAS,
    LAYER_SIZE,
    NO_INPUT,
    PARAM_KINDS,
    Act,
    DType,
    Kind,
    LayerRecord,
    QlrImageError,
    SectionType,
    Stage,
)
from qlr.quant.latent import pack_latents, unpack_latents

ST = SectionType
INT32_MAX = 2**31 - 1


@dataclass
class FrontParams:
    """int8 parameters of one front-end layer (`group` = its position in the layer table).

    conv-like layers: ``weight`` int8, optional ``bias`` int32 [Cout], ``mult`` int32 and ``shift``
    uint8 of length Cout or 1. avgpool / global_avgpool: ``mult`` [1], ``shift`` [1]. add: ``mult``
    [2] = (m_a, m_b), ``shift`` [1].
    """

    mult: np.ndarray
    shift: np.ndarray
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None


@dataclass
class BackParams:
    """FP32 parameters of one back-end layer: ``weight`` and optional ``bias``."""

    weight: np.ndarray
    bias: np.ndarray | None = None


@dataclass
class LRMemory:
    """N latents of Q-bit codes (unpacked here, packed in the image), their labels and scale(s)."""

    codes: np.ndarray  # uint8 [N, H, W, C], values < 2**bits
    labels: np.ndarray  # int [N]
    bits: int
    scale: np.ndarray  # float32 [1] or [C]
    code_max: np.ndarray | None = None  # uint8 [1] or [C]


@dataclass
class DataBatch:
    images: np.ndarray  # uint8 [N, H, W, C]
    labels: np.ndarray  # int [N]


@dataclass
class ImageContent:
    layers: list[LayerRecord] = field(default_factory=list)
    front: dict[int, FrontParams] = field(default_factory=dict)
    back: dict[int, BackParams] = field(default_factory=dict)
    lr: LRMemory | None = None
    batches: dict[int, DataBatch] = field(default_factory=dict)
    meta: dict[str, Any] | None = None


# ----------------------------------------------------------------------------- encoder


def encode_image(content: ImageContent, align: int = 64) -> bytes:
    """Serialise ``content``; raises QlrImageError if the result would not pass `decode_image`."""
    try:
        secs = _sections(content, align)
    except (ValueError, TypeError) as e:
        raise QlrImageError(f"cannot write image: {e}") from None
    try:
        out = write_container(secs)
    except ValueError as e:
        raise QlrImageError(f"cannot write image: {e}") from None
    decode_image(out)  # the writer must never emit what the reader rejects
    return out


def _sections(content: ImageContent, align: int) -> list[Section]:
    secs: list[Section] = []
    if content.layers:
        try:
            raw = b"".join(r.pack() for r in content.layers)
        except (struct.error, OverflowError) as e:
            raise QlrImageError(f"cannot write image: a layer record field is out of range ({e})") from None
        secs.append(Section(int(ST.NETWORK), "network", int(DType.LAYER), (len(content.layers),), raw, 0, 0, align))
    if content.meta is not None:
        text = json.dumps(content.meta, sort_keys=True).encode("utf-8")
        secs.append(array_section(ST.META, "meta", np.frombuffer(text, np.uint8), 0, align))
    for i in sorted(content.front):
        p = content.front[i]
        if p.weight is not None:
            secs.append(array_section(ST.FE_WEIGHT, f"fe.{i}.weight", p.weight, i, align))
        if p.bias is not None:
            secs.append(array_section(ST.FE_BIAS, f"fe.{i}.bias", p.bias, i, align))
        secs.append(array_section(ST.FE_MULT, f"fe.{i}.mult", p.mult, i, align))
        secs.append(array_section(ST.FE_SHIFT, f"fe.{i}.shift", p.shift, i, align))
    for i in sorted(content.back):
        bp = content.back[i]
        secs.append(array_section(ST.BE_WEIGHT, f"be.{i}.weight", bp.weight, i, align))
        if bp.bias is not None:
            secs.append(array_section(ST.BE_BIAS, f"be.{i}.bias", bp.bias, i, align))
    if content.lr is not None:
        lr = content.lr
        codes = np.asarray(lr.codes)
        packed = pack_latents(codes, lr.bits)
        secs.append(Section(int(ST.LR_LATENTS), "lr.latents", int(DType.PACKED), tuple(int(d) for d in codes.shape),
                            packed.tobytes(), 0, int(lr.bits), align))
        secs.append(array_section(ST.LR_LABELS, "lr.labels", lr.labels, 0, align))
        secs.append(array_section(ST.LR_SCALE, "lr.scale", np.atleast_1d(lr.scale), 0, align))
        if lr.code_max is not None:
            secs.append(array_section(ST.LR_CODE_MAX, "lr.code_max", np.atleast_1d(lr.code_max), 0, align))
    for g in sorted(content.batches):
        b = content.batches[g]
        secs.append(array_section(ST.DATA_IMAGES, f"data.{g}.images", b.images, g, align))
        secs.append(array_section(ST.DATA_LABELS, f"data.{g}.labels", b.labels, g, align))
    return secs


# ----------------------------------------------------------------------------- decoder


def _kind_name(k: int) -> str:
    try:
        return Kind(k).name.lower()
    except ValueError:
        return f"kind {k}"


def _finite_pos(v: float) -> bool:
    return math.isfinite(v) and v > 0


def expected_out_shape(r: LayerRecord) -> tuple[int, int, int] | str:
    """The output shape a layer record implies, or a message saying why it is impossible."""
    h, w, c = r.in_shape
    k = Kind(r.kind)
    if k in (Kind.CONV2D, Kind.DWCONV2D, Kind.AVGPOOL):
        (kh, kw), (sh, sw), (pt, pb, pl, pr) = r.kernel, r.stride, r.padding
        if min(kh, kw, sh, sw) < 1:
            return "field 'kernel'/'stride' must be >= 1"
        if h + pt + pb < kh or w + pl + pr < kw:
            return f"field 'kernel' {r.kernel} does not fit the padded input {r.in_shape}"
        if k == Kind.AVGPOOL and (max(pt, pb) >= kh or max(pl, pr) >= kw):
            return "field 'padding' must be smaller than the kernel"
        oc = r.out_shape[2] if k == Kind.CONV2D else c
        return ((h + pt + pb - kh) // sh + 1, (w + pl + pr - kw) // sw + 1, oc)
    if any(r.kernel) or any(r.stride) or any(r.padding):
        return "fields 'kernel', 'stride', 'padding' must be 0 for this kind"
    if k == Kind.PWCONV:
        return (h, w, r.out_shape[2])
    if k == Kind.LINEAR:
        if (h, w) != (1, 1):
            return f"field 'in_shape' {r.in_shape}: a linear layer takes a flat (1, 1, F) input"
        return (1, 1, r.out_shape[2])
    if k == Kind.GLOBAL_AVGPOOL:
        return (1, 1, c)
    if k == Kind.FLATTEN:
        return (1, 1, h * w * c)
    return (h, w, c)  # add, relu, relu6


def weight_shape(r: LayerRecord) -> tuple[int, ...]:
    k = Kind(r.kind)
    cin, cout = r.in_shape[2], r.out_shape[2]
    if k == Kind.CONV2D:
        return (cout, r.kernel[0], r.kernel[1], cin)
    if k == Kind.DWCONV2D:
        return (r.kernel[0], r.kernel[1], cin)
    return (cout, cin)  # pwconv, linear


def validate_layers(layers: list[LayerRecord], reserved: list[bytes] | None = None) -> None:
    """Check a layer table: kinds, links, shapes, stage order and per-stage fields."""
    n = len(layers)
    if n >= NO_INPUT:
        raise QlrImageError(f"NETWORK: {n} layers, at most {NO_INPUT - 1}")
    seen_back = False
    last_front = -1
    for i, r in enumerate(layers):
        where = f"NETWORK layer {i}"
        try:
            k = Kind(r.kind)
        except ValueError:
            raise QlrImageError(f"{where}: field 'kind' {r.kind} is not a known layer kind") from None
        where = f"NETWORK layer {i} ({k.name.lower()})"
        if reserved is not None and any(reserved[i]):
            raise QlrImageError(f"{where}: field 'reserved' is not all zero")
        if r.act not in tuple(Act):
            raise QlrImageError(f"{where}: field 'act' {r.act} is not a known activation")
        if r.act != Act.NONE and k not in PARAM_KINDS + (Kind.ADD,):
            raise QlrImageError(f"{where}: field 'act' must be NONE for this kind")
        if r.stage not in tuple(Stage):
            raise QlrImageError(f"{where}: field 'stage' {r.stage} is not FRONT (0) or BACK (1)")
        if r.flags & ~LAYER_HAS_BIAS:
            raise QlrImageError(f"{where}: field 'flags' {r.flags:#x} has unknown bits")
        if r.flags & LAYER_HAS_BIAS and k not in PARAM_KINDS:
            raise QlrImageError(f"{where}: field 'flags' says bias but the kind has no parameters")
        if r.stage == Stage.BACK:
            seen_back = True
        elif seen_back:
            raise QlrImageError(f"{where}: field 'stage' FRONT after a BACK layer (front-end layers come first)")
        else:
            last_front = i
        if min(r.in_shape) < 1 or min(r.out_shape) < 1:
            raise QlrImageError(f"{where}: fields 'in_shape' {r.in_shape} / 'out_shape' {r.out_shape} need dims >= 1")
        # links
        srcs = [r.input0] + ([r.input1] if k == Kind.ADD else [])
        if k != Kind.ADD and r.input1 != NO_INPUT:
            raise QlrImageError(f"{where}: field 'input1' must be {NO_INPUT:#x} (only add takes two inputs)")
        if i == 0 and r.input0 != NO_INPUT:
            raise QlrImageError(f"{where}: field 'input0' must be the network input ({NO_INPUT:#x})")
        for fname, s in zip(("input0", "input1"), srcs):
            if s == NO_INPUT:
                if r.in_shape != layers[0].in_shape:
                    raise QlrImageError(f"{where}: field '{fname}' is the network input but 'in_shape' {r.in_shape} "
                                        f"differs from it {layers[0].in_shape}")
                if r.stage == Stage.BACK and last_front >= 0:
                    raise QlrImageError(f"{where}: field '{fname}': a back-end layer cannot read the network input")
                continue
            if s >= i:
                raise QlrImageError(f"{where}: field '{fname}' {s} is not an earlier layer")
            if r.stage == Stage.BACK and layers[s].stage == Stage.FRONT and s != last_front:
                raise QlrImageError(f"{where}: field '{fname}' {s}: only the latent (layer {last_front}) may cross into the back-end")
            if layers[s].out_shape != r.in_shape:
                raise QlrImageError(f"{where}: field 'in_shape' {r.in_shape} differs from layer {s}'s 'out_shape' {layers[s].out_shape}")
        want = expected_out_shape(r)
        if isinstance(want, str):
            raise QlrImageError(f"{where}: {want}")
        if tuple(r.out_shape) != want:
            raise QlrImageError(f"{where}: field 'out_shape' {r.out_shape} should be {want}")
        if k in (Kind.DWCONV2D,) and r.out_shape[2] != r.in_shape[2]:
            raise QlrImageError(f"{where}: field 'out_shape' channels must equal the input's")
        # per-stage fields
        if r.stage == Stage.FRONT:
            if not (_finite_pos(r.in_scale) and _finite_pos(r.out_scale)):
                raise QlrImageError(f"{where}: fields 'in_scale' {r.in_scale} / 'out_scale' {r.out_scale} must be finite and > 0")
            if not r.act_min <= r.act_max:
                raise QlrImageError(f"{where}: field 'act_min' {r.act_min} > 'act_max' {r.act_max}")
            if k == Kind.ADD:
                if not _finite_pos(r.in_scale_b):
                    raise QlrImageError(f"{where}: field 'in_scale_b' {r.in_scale_b} must be finite and > 0")
            elif r.in_zp_b != 0 or r.in_scale_b != 0:
                raise QlrImageError(f"{where}: fields 'in_zp_b'/'in_scale_b' are for add layers only (must be 0)")
            if k not in PARAM_KINDS and r.w_zp != 0:
                raise QlrImageError(f"{where}: field 'w_zp' must be 0 for a layer without weights")
            for (zp_field, sc_field), s in zip((("in_zp", "in_scale"), ("in_zp_b", "in_scale_b")), srcs):
                want_q = (layers[0].in_zp, layers[0].in_scale) if s == NO_INPUT else (layers[s].out_zp, layers[s].out_scale)
                if (getattr(r, zp_field), getattr(r, sc_field)) != want_q:
                    src_name = "the network input" if s == NO_INPUT else f"layer {s}'s output"
                    raise QlrImageError(f"{where}: fields '{zp_field}'/'{sc_field}' differ from {src_name} quantization")
            if k in (Kind.FLATTEN, Kind.RELU, Kind.RELU6) and (r.in_zp, r.in_scale) != (r.out_zp, r.out_scale):
                raise QlrImageError(f"{where}: a {k.name.lower()} layer must keep its input's scale and zero point")
        else:
            if (r.in_zp, r.out_zp, r.act_min, r.act_max, r.w_zp, r.in_zp_b) != (0, 0, 0, 0, 0, 0) or (
                r.in_scale, r.out_scale, r.in_scale_b) != (0.0, 0.0, 0.0):
                raise QlrImageError(f"{where}: quantization fields must be 0 in a back-end (FP32) layer")


def _unique(sections: list[Section]) -> dict[tuple[int, int], Section]:
    out: dict[tuple[int, int], Section] = {}
    for s in sections:
        key = (s.type, s.group)
        if key in out:
            raise QlrImageError(f"{s.label}: field 'group' {s.group} repeats {out[key].label}")
        if s.type in (ST.NETWORK, ST.META) or s.type in (ST.LR_LATENTS, ST.LR_LABELS, ST.LR_SCALE, ST.LR_CODE_MAX):
            if s.group != 0:
                raise QlrImageError(f"{s.label}: field 'group' must be 0 for this section type")
        out[key] = s
    return out


def _shape_is(s: Section, shape: tuple[int, ...], what: str = "") -> None:
    if tuple(s.shape) != tuple(shape):
        raise QlrImageError(f"{s.label}: field 'shape' {list(s.shape)} should be {list(shape)}{what}")


def _finite(s: Section) -> np.ndarray:
    a = s.array()
    if not np.all(np.isfinite(a)):
        raise QlrImageError(f"{s.label}: contains NaN or infinity")
    return a


def decode_image(buf: bytes | bytearray | memoryview, *, skip_meta: bool = False) -> ImageContent:
    """Parse and fully validate an image; return its content (arrays are copies).

    skip_meta: leave META's contents unread (content.meta stays None), as the firmware reader
    does (docs/image-format.md: a device may skip it); its entry, bounds, CRC and ndim are still
    checked. The default checks that META is a UTF-8 JSON object, which is what the host writes."""
    sections = parse_container(buf)
    by = _unique(sections)
    content = ImageContent()
    used: set[int] = set()

    net = by.get((ST.NETWORK, 0))
    if net is not None:
        used.add(net.index)
        if len(net.shape) != 1:
            raise QlrImageError(f"{net.label}: field 'ndim' must be 1 ([layers])")
        recs, res = [], []
        raw = bytes(net.data)
        for i in range(net.shape[0]):
            r, rv = LayerRecord.unpack(raw[i * LAYER_SIZE : (i + 1) * LAYER_SIZE])
            recs.append(r)
            res.append(rv)
        validate_layers(recs, res)
        content.layers = recs

    meta = by.get((ST.META, 0))
    if meta is not None:
        used.add(meta.index)
        if len(meta.shape) != 1:
            raise QlrImageError(f"{meta.label}: field 'ndim' must be 1")
    if meta is not None and not skip_meta:
        try:
            m = json.loads(bytes(meta.data).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise QlrImageError(f"{meta.label}: not UTF-8 JSON ({e})") from None
        if not isinstance(m, dict):
            raise QlrImageError(f"{meta.label}: the JSON must be an object")
        content.meta = m

    # layer parameters
    for i, r in enumerate(content.layers):
        k = Kind(r.kind)
        where = f"NETWORK layer {i} ({k.name.lower()})"
        if r.stage == Stage.FRONT and (k in PARAM_KINDS or k in (Kind.AVGPOOL, Kind.GLOBAL_AVGPOOL, Kind.ADD)):
            content.front[i] = _front_params(i, r, by, used, where)
        elif r.stage == Stage.BACK and k in PARAM_KINDS:
            w = _need(by, ST.BE_WEIGHT, i, where)
            used.add(w.index)
            _shape_is(w, weight_shape(r))
            bias = None
            if r.has_bias:
                b = _need(by, ST.BE_BIAS, i, where)
                used.add(b.index)
                _shape_is(b, (r.out_shape[2],))
                bias = _finite(b).copy()
            content.back[i] = BackParams(_finite(w).copy(), bias)

    num_classes = None
    if content.layers:
        last = content.layers[-1]
        if last.out_shape[:2] == (1, 1):
            num_classes = last.out_shape[2]

    # LR memory
    lr_secs = [by.get((t, 0)) for t in (ST.LR_LATENTS, ST.LR_LABELS, ST.LR_SCALE, ST.LR_CODE_MAX)]
    if any(s is not None for s in lr_secs):
        lat, lab, sca, cmax = lr_secs
        for s, t in zip(lr_secs[:3], ("LR_LATENTS", "LR_LABELS", "LR_SCALE")):
            if s is None:
                raise QlrImageError(f"LR memory: section {t} is missing")
        assert lat is not None and lab is not None and sca is not None
        for s in (lat, lab, sca, cmax):
            if s is not None:
                used.add(s.index)
        nlr = lat.shape[0]
        if content.layers:
            front = [r for r in content.layers if r.stage == Stage.FRONT]
            if front:
                _shape_is(lat, (nlr,) + tuple(front[-1].out_shape), " (latent = output of the last front-end layer)")
        _shape_is(lab, (nlr,), " (one label per latent)")
        c = lat.shape[-1]
        if sca.shape not in ((1,), (c,)):
            raise QlrImageError(f"{sca.label}: field 'shape' {list(sca.shape)} should be [1] or [{c}]")
        scale = _finite(sca).copy()
        if np.any(scale <= 0):
            raise QlrImageError(f"{sca.label}: scales must be > 0")
        code_max = None
        if cmax is not None:
            if cmax.shape != sca.shape:
                raise QlrImageError(f"{cmax.label}: field 'shape' {list(cmax.shape)} should equal LR_SCALE's {list(sca.shape)}")
            code_max = cmax.array().copy()
            if np.any(code_max == 0):
                raise QlrImageError(f"{cmax.label}: code maxima must be >= 1")
        elements = int(np.prod(lat.shape[1:]))
        try:
            codes = unpack_latents(lat.array(), lat.bits, elements).reshape(lat.shape)
        except ValueError as err:
            raise QlrImageError(f"{lat.label}: {err}") from None
        labels = lab.array().copy()
        _check_labels(lab, labels, num_classes)
        content.lr = LRMemory(codes, labels, lat.bits, scale, code_max)

    # data batches
    for s in sections:
        if s.type == ST.DATA_IMAGES:
            lab = by.get((ST.DATA_LABELS, s.group))
            if lab is None:
                raise QlrImageError(f"{s.label}: no DATA_LABELS section with group {s.group}")
            used.update((s.index, lab.index))
            if len(s.shape) != 4:
                raise QlrImageError(f"{s.label}: field 'ndim' {len(s.shape)} should be 4 ([N, H, W, C])")
            if content.layers:
                _shape_is(s, (s.shape[0],) + tuple(content.layers[0].in_shape), " (network input)")
            _shape_is(lab, (s.shape[0],), " (one label per image)")
            labels = lab.array().copy()
            _check_labels(lab, labels, num_classes)
            content.batches[s.group] = DataBatch(s.array().copy(), labels)

    for s in sections:
        if s.index not in used:
            raise QlrImageError(f"{s.label}: field 'group' {s.group} belongs to nothing (no layer, LR memory or batch uses it)")
    return content


def _check_labels(s: Section, labels: np.ndarray, num_classes: int | None) -> None:
    if num_classes is not None and labels.size and int(labels.max()) >= num_classes:
        raise QlrImageError(f"{s.label}: label {int(labels.max())} >= the network's {num_classes} classes")


def _need(by: dict[tuple[int, int], Section], t: SectionType, i: int, where: str) -> Section:
    s = by.get((t, i))
    if s is None:
        raise QlrImageError(f"{where}: section {t.name} with group {i} is missing")
    return s


def _front_params(i: int, r: LayerRecord, by: dict[tuple[int, int], Section], used: set[int], where: str) -> FrontParams:
    k = Kind(r.kind)
    mult_s = _need(by, ST.FE_MULT, i, where)
    shift_s = _need(by, ST.FE_SHIFT, i, where)
    used.update((mult_s.index, shift_s.index))
    mult = mult_s.array().astype(np.int64)
    shift = shift_s.array().astype(np.int64)
    if k == Kind.ADD:
        _shape_is(mult_s, (2,), " ((m_a, m_b) of an add)")
        _shape_is(shift_s, (1,))
        if np.any(mult < 0) or np.any(mult >= ADD_MULT_LIMIT):
            raise QlrImageError(f"{mult_s.label}: add multipliers must be in [0, 2**21)")
        if not SHIFT_MIN <= int(shift[0]) <= ADD_SHIFT_MAX:
            raise QlrImageError(f"{shift_s.label}: add shift {int(shift[0])} must be in [1, {ADD_SHIFT_MAX}]")
        return FrontParams(mult_s.array().copy(), shift_s.array().copy())
    cout = r.out_shape[2]
    allowed = ((1,),) if k in (Kind.AVGPOOL, Kind.GLOBAL_AVGPOOL) else ((1,), (cout,))
    if mult_s.shape not in allowed:
        raise QlrImageError(f"{mult_s.label}: field 'shape' {list(mult_s.shape)} should be one of {[list(a) for a in allowed]}")
    _shape_is(shift_s, mult_s.shape, " (one shift per multiplier)")
    if np.any(mult < 0):
        raise QlrImageError(f"{mult_s.label}: multipliers must be in [0, 2**31 - 1]")
    if np.any(shift < SHIFT_MIN) or np.any(shift > SHIFT_MAX):
        raise QlrImageError(f"{shift_s.label}: shifts must be in [{SHIFT_MIN}, {SHIFT_MAX}]")
    if k not in PARAM_KINDS:
        taps = r.kernel[0] * r.kernel[1] if k == Kind.AVGPOOL else r.in_shape[0] * r.in_shape[1]
        if 255 * taps > INT32_MAX:
            raise QlrImageError(f"{where}: pooling window of {taps} taps could overflow int32")
        return FrontParams(mult_s.array().copy(), shift_s.array().copy())
    w_s = _need(by, ST.FE_WEIGHT, i, where)
    used.add(w_s.index)
    _shape_is(w_s, weight_shape(r))
    w = w_s.array()
    bias = None
    if r.has_bias:
        b_s = _need(by, ST.FE_BIAS, i, where)
        used.add(b_s.index)
        _shape_is(b_s, (cout,))
        bias = b_s.array().copy()
    wc = w.astype(np.int64) - r.w_zp
    per_out = np.abs(wc).reshape(-1, cout).max(axis=0) if k == Kind.DWCONV2D else np.abs(wc).reshape(cout, -1).max(axis=1)
    taps = int(np.prod(w.shape)) // cout
    bound = accumulator_bound(per_out, taps, r.in_zp, np.zeros(cout) if bias is None else bias)
    if int(bound.max()) > INT32_MAX:
        c = int(np.argmax(bound))
        raise QlrImageError(f"{where}: int32 accumulator could overflow in output channel {c} (worst case {int(bound[c])})")
    return FrontParams(mult_s.array().copy(), shift_s.array().copy(), w.copy(), bias)

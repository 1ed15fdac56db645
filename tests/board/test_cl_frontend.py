"""CL_FRONTEND on every board: the image's int8 front-end run by the firmware (firmware/cl/frontend.c
over the int8 kernels) is bit-exact to the golden run from the image (qlr.image.execute), on 1
core, an uneven split and the whole team, for three networks at odd sizes:
  - the sample network (every layer kind: conv2d, dwconv2d, pwconv, add, avgpool, a standalone
    ReLU, global pooling, flatten, linear; fused ReLU/ReLU6; per-channel weights);
  - a small MobileNet-V1 (its first three blocks, per-layer weights with a zero point);
  - a residual graph (an add reading the network input, three outputs alive at once, a
    depthwise (3, 1) kernel, average pooling with padding, a standalone ReLU6, a flatten as the
    latent) whose latent has E = 60 codes, so E * Q is not a multiple of 8 for odd Q.
The Q-bit codes (Q = 1..8, one byte per code and packed) equal qlr.quant.latent's
requantize_u8_latent / pack_latents, per channel (LR_CODE_MAX of the image) and per tensor; the
firmware's pack / unpack / dequantize equal pack_latents / unpack_latents / dequantize_latent."""

from __future__ import annotations

import numpy as np
import pytest
from cl_device import CLBoard, cl_board, small_mobilenet
from conftest import TARGETS

from qlr.cl.device.image_frontend import (
    FRONTEND,
    device_dequantize,
    device_pack,
    device_unpack,
    open_image,
    run_frontend,
)
from qlr.errors import QlrError
from qlr.image import decode_image, encode_image
from qlr.image.content import DataBatch, LRMemory
from qlr.image.execute import run_front_end
from qlr.image.pack import build_content
from qlr.image.sample import SAMPLE_LR_LAYER, sample_network
from qlr.link import LinkDeviceError
from qlr.model.graph import Layer, Network
from qlr.quant.latent import dequantize_latent, pack_latents, requantize_u8_latent, unpack_latents
from qlr.quant.ptq import quantize_front_end


@pytest.fixture(scope="module", params=list(TARGETS))
def cl(request):
    with cl_board(request) as b:
        yield b


def residual_net(seed: int = 7) -> Network:
    r = np.random.default_rng(seed)

    def n(*shape: int, s: float = 0.5) -> np.ndarray:
        return (r.standard_normal(shape) * s).astype(np.float32)

    layers = [
        Layer("c1", "conv2d", {"out_channels": 3, "kernel": 3, "padding": 1}, params={"weight": n(3, 3, 3, 3), "bias": n(3)}, index=0),
        Layer("c1_relu", "relu", index=0),
        Layer("r0", "add", inputs=["input", "c1_relu"], index=1),
        Layer("x1", "pwconv", {"out_channels": 5}, params={"weight": n(5, 3), "bias": n(5)}, index=2),
        Layer("x2", "dwconv2d", {"kernel": (3, 1), "padding": (1, 1, 0, 0)}, params={"weight": n(3, 1, 5), "bias": n(5)}, index=3),
        Layer("x2_relu6", "relu6", index=3),
        Layer("x3", "add", inputs=["x1", "x2_relu6"], index=4),
        Layer("x4", "add", inputs=["x3", "x1"], index=5),
        Layer("x4_relu", "relu", index=5),
        Layer("pool", "avgpool", {"kernel": 2, "stride": 2, "padding": (0, 1, 0, 1)}, index=6),
        Layer("pool_relu6", "relu6", index=6),
        Layer("c2", "conv2d", {"out_channels": 5, "kernel": (2, 3), "stride": 1, "padding": (0, 1, 1, 1)},
              params={"weight": n(5, 2, 3, 5), "bias": n(5)}, index=7),
        Layer("c2_relu", "relu", index=7),
        Layer("flat", "flatten", index=8),
        Layer("fc", "linear", {"out_features": 3}, params={"weight": n(3, 60), "bias": n(3)}, index=9),
    ]
    return Network((7, 5, 3), layers, meta={"test": "residual"})


def network_image(net: Network, lr_layer: int, scheme: str, x: np.ndarray, per_channel_lr: bool | None = None) -> bytes:
    """The image of `net` split at `lr_layer`; with an LR memory of the latents of `x` when
    per_channel_lr is not None (its LR_CODE_MAX: the per-channel maxima of those latents, or 255)."""
    calib = np.random.default_rng(11).integers(0, 256, size=(12,) + net.input_shape, dtype=np.uint8)
    front, back = net.fold_batchnorm().split(lr_layer)
    qfe = quantize_front_end(front, calib, scheme=scheme)
    content = build_content(qfe, back, None, {0: DataBatch(x[:1], np.array([0]))})
    if per_channel_lr is not None:
        lat = run_front_end(content, x)
        codes, scale = requantize_u8_latent(lat, 4, float(np.float32(qfe.output.out_scale)), per_channel_lr)
        cmax = (np.maximum(lat.reshape(-1, lat.shape[-1]).max(axis=0), 1).astype(np.uint8) if per_channel_lr
                else np.array([255], np.uint8))
        content.lr = LRMemory(codes, np.zeros(len(x), np.int64), 4, scale, cmax)
    return encode_image(content)


def inputs(shape: tuple[int, ...], count: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(count,) + tuple(shape), dtype=np.uint8)


NETS = {
    "sample (every kind)": (lambda: sample_network(seed=1), SAMPLE_LR_LAYER, "per_channel"),
    "small MobileNet-V1, per-layer weights": (small_mobilenet, 5, "per_layer"),
    "residual graph": (residual_net, 8, "per_channel"),
}


@pytest.mark.parametrize("name", list(NETS))
def test_latents_bit_exact_on_every_core_count(cl: CLBoard, name: str) -> None:
    build, lr_layer, scheme = NETS[name]
    net = build()
    count = {"pulp-open": 1, "host": 4, "host-asan": 3}.get(cl.target, 2)
    x = inputs(net.input_shape, count, seed=len(name))
    image = network_image(net, lr_layer, scheme, x)
    want = run_front_end(decode_image(image), x)
    summary = open_image(cl.link, image)
    cores = [1, cl.team_max] if cl.target == "pulp-open" else cl.cores_to_test()
    for c in cores:
        got, counter = run_frontend(cl.link, x, image=summary, cores=c)
        assert got.shape == want.shape and got.dtype == np.uint8
        bad = got != want
        assert not bad.any(), (f"{name}, {c} cores: {int(bad.sum())} of {bad.size} latent values differ, first at "
                               f"{tuple(np.argwhere(bad)[0])}: device {got[bad][0]}, golden {want[bad][0]}")
        assert counter > 0


@pytest.mark.parametrize("per_channel", [True, False], ids=["per-channel", "per-tensor"])
def test_q_bit_codes_and_packed_rows_match_the_golden_latent_codes(cl: CLBoard, per_channel: bool) -> None:
    net = residual_net()
    x = inputs(net.input_shape, 1 if cl.target == "pulp-open" else 3, seed=5)
    image = network_image(net, 8, "per_channel", x, per_channel_lr=per_channel)
    content = decode_image(image)
    lat = run_front_end(content, x)
    assert lat.shape[1:] == (1, 1, 60)
    summary = open_image(cl.link, image)
    assert summary["lr_code_max_count"] == (60 if per_channel else 1)
    cores = cl.team_max
    qs = [1, 3, 8] if cl.target == "pulp-open" else range(1, 9)
    for q in qs:
        codes, _ = requantize_u8_latent(lat, q, 1.0, per_channel)  # m = the latents' maxima = LR_CODE_MAX
        got, _ = run_frontend(cl.link, x, image=summary, cores=cores, q_bits=q)
        assert np.array_equal(got, codes), f"Q={q}: codes differ at {np.argwhere(got != codes)[:3].tolist()}"
        rows, _ = run_frontend(cl.link, x, image=summary, cores=cores, q_bits=q, pack=True)
        want_rows = pack_latents(codes, q)
        assert rows.shape == want_rows.shape == (len(x), -(-60 * q // 8))
        assert np.array_equal(rows, want_rows), f"Q={q}: packed rows differ"
    raw, _ = run_frontend(cl.link, x, image=summary, cores=cores, q_bits=0)
    assert np.array_equal(raw, lat)


def test_pack_unpack_and_dequantize_match_the_golden(cl: CLBoard) -> None:
    rng = np.random.default_rng(9)
    shapes = [(3, 13), (2, 1), (2, 64)] if not cl.slow else [(2, 13), (1, 7)]
    for q in range(1, 9):
        for rows, e in shapes:
            codes = rng.integers(0, 1 << q, size=(rows, e), dtype=np.uint8)
            packed = device_pack(cl.link, codes, q)
            assert np.array_equal(packed, pack_latents(codes, q)), f"pack Q={q} E={e}"
            assert np.array_equal(device_unpack(cl.link, packed, q, e), unpack_latents(packed, q, e)), f"unpack Q={q} E={e}"
    # dequantization, per tensor and per channel (channels last), of a tile [first, first + count):
    # one float32 multiply of an exact small integer on both sides, so the results are identical.
    for q, channels, per_channel in [(5, 4, True), (7, 3, False), (8, 6, True)]:
        e = 6 * channels
        codes = rng.integers(0, 1 << q, size=(2, e), dtype=np.uint8)
        scale = rng.uniform(0.01, 2.0, channels if per_channel else 1).astype(np.float32)
        packed = pack_latents(codes, q)
        full = dequantize_latent(codes.reshape(2, 6, channels), scale).reshape(2, e)
        first, count = channels + 1, e - channels - 3
        got = device_dequantize(cl.link, packed, q, e, scale, channels, first=first, count=count)
        np.testing.assert_array_equal(got, full[:, first:first + count])


def _frontend(images: int, out: int, scratch: int, scratch_size: int, cores: int, q_bits: int, pack: int) -> bytes:
    return FRONTEND.request.pack(images=images, count=1, out=out, scratch=scratch, scratch_size=scratch_size,
                                 cores=cores, q_bits=q_bits, pack=pack)


def test_bad_front_end_requests_are_refused(cl: CLBoard) -> None:
    net = residual_net()
    x = inputs(net.input_shape, 1, seed=1)
    summary = open_image(cl.link, network_image(net, 8, "per_channel", x))
    # the whole team needs exactly the reported scratch: 64 bytes less is refused
    with pytest.raises(QlrError, match="scratch smaller"):
        run_frontend(cl.link, x, image=summary, cores=cl.team_max, scratch_size=summary["frontend_scratch"] - 64)
    off = (summary["size"] + 63) // 64 * 64
    with pytest.raises(LinkDeviceError, match="must not overlap"):  # the scratch over the image
        cl.link.request(FRONTEND.code, _frontend(off, off + 4096, 0, summary["frontend_scratch"], 1, 0, 0))
    with pytest.raises(LinkDeviceError, match="cores must be"):
        cl.link.request(FRONTEND.code, _frontend(off, off + 4096, off + 8192, 1 << 16, 0, 0, 0))
    with pytest.raises(LinkDeviceError, match="pack needs q_bits"):
        cl.link.request(FRONTEND.code, _frontend(off, off + 4096, off + 8192, 1 << 16, 1, 0, 1))
    with pytest.raises(QlrError, match="padding bits"):
        bad = np.array([[0x07, 0x80]], np.uint8)  # Q=3, E=3: 9 bits used, bit 15 set
        device_unpack(cl.link, bad, 3, 3)
    with pytest.raises(QlrError, match="does not fit"):
        device_pack(cl.link, np.array([[1, 2, 9]], np.uint8), 3)


@pytest.mark.parametrize("name", list(NETS))
def test_the_plan_computes_the_front_end_scratch_the_firmware_needs(cl: CLBoard, name: str) -> None:
    """The memory plan sizes the executor's scratch before any firmware runs
    (qlr.cl.plan.frontend); the firmware must need exactly that on the board's whole team."""
    from qlr.cl.plan.frontend import frontend_scratch

    build, lr_layer, scheme = NETS[name]
    net = build()
    image = network_image(net, lr_layer, scheme, inputs(net.input_shape, 1, seed=3))
    summary = open_image(cl.link, image)
    assert summary["frontend_scratch"] == frontend_scratch(decode_image(image).layers, cl.team_max) > 0

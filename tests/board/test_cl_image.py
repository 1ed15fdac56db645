"""CL_IMAGE_OPEN on every board: the firmware's image reader (firmware/cl/image*.c) accepts valid
images with the summary the host decodes, and rejects broken ones with the host reader's diagnosis
(same section index, same layer index, a field the host names too) - one broken region at a time
(header, section table, a section's bytes, padding, truncation, trailing bytes, version 2, content
rules) and seeded random mutations (more of them under ASan/UBSan) - without ever crashing: the
server answers a valid image after every rejection. Images are edited in place on the device (only
the differing bytes travel), so the slow UARTs stay cheap."""

from __future__ import annotations

import re
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
from cl_device import CLBoard, cl_board, open_raw, small_mobilenet, write_diff
from conftest import TARGETS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qlr.cl.device.image_frontend import FRONTEND, IMAGE_OPEN, open_image
from qlr.image import QlrImageError, decode_image, encode_image
from qlr.image.content import DataBatch
from qlr.image.format import Stage
from qlr.image.pack import build_content
from qlr.image.sample import sample_content
from qlr.link import LinkDeviceError
from qlr.quant.ptq import quantize_front_end

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "host"))
import zlib

from test_image_format import CASES

from qlr.link.link import info_int

# One case per region of the file, plus content rules the firmware checks on its own.
REGIONS = ["unknown version", "wrong magic", "header crc", "truncated", "truncated in header", "trailing bytes",
           "table crc", "section crc", "nonzero padding", "misaligned", "duplicate name", "layer out_shape",
           "layer zero point chain", "shift 0", "accumulator overflow", "packed padding bits", "label out of range",
           "orphan section"]
SLOW_REGIONS = ["unknown version", "header crc", "table crc", "section crc", "nonzero padding", "truncated",
                "layer out_shape", "accumulator overflow"]  # QEMU (UART ~15 kB/s)
GVSOC_REGIONS = ["unknown version", "section crc", "nonzero padding", "accumulator overflow"]  # ~60 MIPS


@pytest.fixture(scope="module", params=list(TARGETS))
def cl(request):
    with cl_board(request) as b:
        yield b


@pytest.fixture(scope="module")
def base() -> bytes:
    return encode_image(sample_content(seed=0))


def host_diagnosis(data: bytes) -> str | None:
    """The host's diagnosis of what a device checks (everything but META's contents, which the
    firmware does not read)."""
    try:
        decode_image(data, skip_meta=True)
    except QlrImageError as e:
        return str(e)
    return None


def assert_same_diagnosis(device_msg: str, host: str, what: str) -> None:
    """The device names the same section and layer as the host (or neither) and a field the host names."""
    for pat in (r"section (\d+)", r"layer (\d+)"):
        d, h = re.search(pat, device_msg), re.search(pat, host)
        assert (d and d.group(1)) == (h and h.group(1)), f"{what}: {pat} differs\n  host:   {host}\n  device: {device_msg}"
    m = re.search(r"field '([^']+)'", device_msg)
    if m:
        assert f"'{m.group(1)}'" in host, f"{what}: field differs\n  host:   {host}\n  device: {device_msg}"


def summary_from_host(data: bytes) -> dict[str, int]:
    c = decode_image(data)
    front = [r for r in c.layers if r.stage == Stage.FRONT]
    lat = front[-1].out_shape if front else (0, 0, 0)
    return {
        "layers": len(c.layers), "front": len(front), "back": len(c.layers) - len(front),
        "in_h": c.layers[0].in_shape[0], "in_w": c.layers[0].in_shape[1], "in_c": c.layers[0].in_shape[2],
        "latent_h": lat[0], "latent_w": lat[1], "latent_c": lat[2], "latent_elements": int(np.prod(lat)),
        "classes": c.layers[-1].out_shape[2], "lr_count": 0 if c.lr is None else c.lr.codes.shape[0],
        "lr_bits": 0 if c.lr is None else c.lr.bits, "lr_scale_count": 0 if c.lr is None else c.lr.scale.shape[0],
        "lr_code_max_count": 0 if c.lr is None or c.lr.code_max is None else c.lr.code_max.shape[0],
        "lr_row_bytes": 0 if c.lr is None else -(-int(np.prod(lat)) * c.lr.bits // 8),
        "batches": len(c.batches), "size": len(data),
    }


def mobilenet_image() -> bytes:
    net = small_mobilenet()
    x = np.random.default_rng(3).integers(0, 256, size=(8, 13, 11, 3), dtype=np.uint8)
    front, back = net.fold_batchnorm().split(5)
    qfe = quantize_front_end(front, x, scheme="per_layer")
    return encode_image(build_content(qfe, back, None, {0: DataBatch(x[:2], np.array([1, 3]))}))


def test_opens_valid_images_with_the_host_summary(cl: CLBoard, base: bytes) -> None:
    images = [base, mobilenet_image()]
    if cl.target != "pulp-open":
        images.append(encode_image(sample_content(seed=3, lr_bits=8, per_channel=False)))
    for data in images:
        got = open_image(cl.link, data, offset=0)
        want = summary_from_host(data)
        assert {k: got[k] for k in want} == want
        assert got["sections"] > 0 and got["frontend_scratch"] > 0


def test_rejects_each_region_like_the_host_and_keeps_serving(cl: CLBoard, base: bytes) -> None:
    assert open_image(cl.link, base)["size"] == len(base)
    cases = GVSOC_REGIONS if cl.target == "pulp-open" else SLOW_REGIONS if cl.slow else REGIONS
    for case in cases:
        bad = CASES[case][0](base)
        host = host_diagnosis(bad)
        assert host is not None, case
        write_diff(cl.link, 0, base, bad)
        ok, msg = open_raw(cl.link, 0, len(bad))
        assert not ok, f"{case}: the device accepted an image the host rejects ({host})"
        assert_same_diagnosis(msg, host, case)
        # no current image after a rejection
        with pytest.raises(LinkDeviceError, match="no image open"):
            cl.link.request(FRONTEND.code, FRONTEND.request.pack(images=0, count=1, out=0, scratch=0, scratch_size=0,
                                                                  cores=1, q_bits=0, pack=0))
        write_diff(cl.link, 0, bad, base)
        ok, msg = open_raw(cl.link, 0, len(base))
        assert ok, f"after {case}: the original image no longer opens: {msg}"


def test_meta_contents_are_not_read(cl: CLBoard, base: bytes) -> None:
    """META is for the host: the device opens an image whose META is not JSON (its CRC right),
    which the host's full check rejects."""
    bad = CASES["bad meta"][0](base)
    with pytest.raises(QlrImageError, match="JSON"):
        decode_image(bad)
    write_diff(cl.link, 0, base, bad)
    assert open_raw(cl.link, 0, len(bad)) == (True, "")
    write_diff(cl.link, 0, bad, base)
    assert open_raw(cl.link, 0, len(base)) == (True, "")


def test_bad_requests_are_refused(cl: CLBoard, base: bytes) -> None:
    cl.link.mem_write("L2", 64, base)
    with pytest.raises(LinkDeviceError, match="multiple of 64"):
        cl.link.request(IMAGE_OPEN.code, IMAGE_OPEN.request.pack(offset=32, size=len(base)))
    window = info_int(cl.link.info(), "l2_window")
    with pytest.raises(LinkDeviceError, match="outside the L2 window"):
        cl.link.request(IMAGE_OPEN.code, IMAGE_OPEN.request.pack(offset=window - 64, size=128))
    with pytest.raises(LinkDeviceError, match="CL_IMAGE_OPEN takes 8 bytes"):
        cl.link.request(IMAGE_OPEN.code, b"\0" * 7)
    with pytest.raises(QlrImageError, match="field 'version' is 2"):
        open_image(cl.link, CASES["unknown version"][0](base), offset=0)
    cl.link.mem_write("L2", 64, base)
    assert open_raw(cl.link, 64, len(base)) == (True, "")


# ---- seeded random mutations (the most under the sanitizers) ---------------------------------

def _reseal(b: bytearray) -> None:
    count = struct.unpack_from("<I", b, 20)[0]
    if 64 + 128 * count <= len(b):
        struct.pack_into("<I", b, 36, zlib.crc32(bytes(b[64:64 + 128 * count])))
    struct.pack_into("<I", b, 60, zlib.crc32(bytes(b[:60])))


@st.composite
def mutation(draw, base: bytes) -> bytes:
    """A forged edit (CRCs fixed, so the content rules are reached) or a raw flip/truncation."""
    b = bytearray(base)
    count = struct.unpack_from("<I", b, 20)[0]
    kind = draw(st.sampled_from(["section", "section", "network", "entry", "flip", "truncate"]))
    if kind in ("section", "network"):
        i = 0 if kind == "network" else draw(st.integers(0, count - 1))
        off, size = struct.unpack_from("<II", b, 64 + 128 * i + 8)
        for _ in range(draw(st.integers(1, 3))):
            b[off + draw(st.integers(0, size - 1))] = draw(st.integers(0, 255))
        struct.pack_into("<I", b, 64 + 128 * i + 20, zlib.crc32(bytes(b[off:off + size])))
        _reseal(b)
    elif kind == "entry":
        i = draw(st.integers(0, count - 1))
        pos = 64 + 128 * i + draw(st.sampled_from([0, 2, 3, 4, 6, 8, 12, 16, 24, 28, 48, 60]))
        b[pos] = draw(st.integers(0, 255))
        _reseal(b)
    elif kind == "flip":
        b[draw(st.integers(0, len(b) - 1))] ^= draw(st.integers(1, 255))
    else:
        del b[draw(st.integers(1, len(b) - 1)):]
    return bytes(b)


def _has_newline_name(b: bytes) -> bool:
    """The host accepts a name ending in a newline (its regex's `$`); the spec does not."""
    count = struct.unpack_from("<I", b, 20)[0] if len(b) >= 24 else 0
    return any(b"\n" in b[64 + 128 * i + 48:64 + 128 * i + 80] for i in range(min(count, 64)))


def test_random_mutations_agree_with_the_host(cl: CLBoard, base: bytes) -> None:
    examples = {"host-asan": 150, "host": 40, "pulp-open": 2}.get(cl.target, 10)
    open_image(cl.link, base)
    seen = {"accepted": 0, "rejected": 0}

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def check(data) -> None:
        bad = data.draw(mutation(base))
        if _has_newline_name(bad):
            return
        host = host_diagnosis(bad)
        write_diff(cl.link, 0, base, bad)
        try:
            ok, msg = open_raw(cl.link, 0, len(bad))
        finally:
            write_diff(cl.link, 0, bad, base)
        if host is None:
            assert ok, f"the device rejects an image the host accepts: {msg}"
            seen["accepted"] += 1
        else:
            assert not ok, f"the device accepts an image the host rejects: {host}"
            assert_same_diagnosis(msg, host, "mutation")
            seen["rejected"] += 1

    check()
    assert seen["rejected"] > 0
    assert open_raw(cl.link, 0, len(base)) == (True, ""), "the server no longer opens the original image"

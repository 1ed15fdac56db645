"""The emulators' bulk path (MEM_LOAD, docs/commands.md): `Link.mem_write` of 4 KiB or more goes
through a file in the emulator's working directory that the firmware reads by semihosting, on
every board that has the channel (qemu-rv32, qemu-m4, pulp-open); boards without it (the host
board, real boards) answer E_UNSUPPORTED and the same call falls back to MEM_WRITE frames. The
bytes land exactly (CRC and read-back, with fences), and every bad request is refused."""

from __future__ import annotations

import random
import struct
import time
import zlib

import pytest

from qlr.link import Command, LinkDeviceError, Status

HOST_FILES = {"qemu-rv32", "qemu-m4", "pulp-open"}  # boards whose emulator reads host files


@pytest.fixture
def session(device):
    with device.session("server") as s:
        yield s.link


def pattern(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


@pytest.mark.parametrize("level", ["L2", "L3"])
def test_bulk_writes_land_exactly(device, session, level):
    link = session
    window = link.info()[f"{level.lower()}_window"]
    n = min(window // 2, 300_001)  # odd: no multiple of any chunk
    off = 13
    fence = pattern(16, 7)
    link.mem_write(level, off - 8, fence[:8])
    link.mem_write(level, off + n, fence[8:])
    data = pattern(n, n)
    assert link.bulk_ready() == (device.board in HOST_FILES)  # the one-time probe, not counted below
    before = link.stats.requests
    t0 = time.perf_counter()
    link.mem_write(level, off, data)
    seconds = time.perf_counter() - t0
    requests = link.stats.requests - before
    print(f"{device.board} {level}: {n} bytes in {seconds:.3f} s ({n / seconds / 1e6:.2f} MB/s), "
          f"{requests} request(s)")
    if device.board in HOST_FILES:
        assert link.bulk_dir is not None and requests == 1, "the emulator's bulk path was not used"
        assert not list(link.bulk_dir.glob("bulk-*")), "the bulk file was left behind"
    else:
        assert link.bulk_dir is None and requests >= n // 1016, "a board without host files must use frames"
    assert link.mem_crc(level, off, n) == zlib.crc32(data)
    assert link.mem_read(level, off - 8, 8) == fence[:8] and link.mem_read(level, off + n, 8) == fence[8:]
    assert link.mem_read(level, off + n - 2000, 2000) == data[-2000:]


def load(link, level: int, off: int, length: int, name: bytes, position: int = 0) -> bytes:
    head = struct.pack("<B3xIII", level, off, length, position)
    return link.request(Command.MEM_LOAD, head + name).payload


def test_mem_load_requests_are_checked(device, session):
    link = session
    if device.board not in HOST_FILES:
        with pytest.raises(LinkDeviceError) as e:
            load(link, 1, 0, 16, b"any.bin")
        assert e.value.status == Status.E_UNSUPPORTED
        return
    d = link.bulk_dir
    data = pattern(5000, 3)
    (d / "part.bin").write_bytes(data)
    # a slice from a position: the CRC is the slice's, and so are the bytes
    reply = load(link, 1, 64, 1234, b"part.bin", position=777)
    assert struct.unpack("<I", reply)[0] == zlib.crc32(data[777:777 + 1234])
    assert link.mem_read(1, 64, 1234) == data[777:777 + 1234]
    window = link.info()["l2_window"]
    bad = [
        ({"name": b"../part.bin"}, Status.E_ARGUMENT), ({"name": b".part"}, Status.E_ARGUMENT),
        ({"name": b"a/b"}, Status.E_ARGUMENT), ({"name": b""}, Status.E_ARGUMENT),
        ({"name": b"x" * 64}, Status.E_ARGUMENT), ({"name": b"p\x00rt"}, Status.E_ARGUMENT),
        # GVSoC ends the simulation on a semihosting open that fails (docs/commands.md, MEM_LOAD)
        *([] if device.board == "pulp-open" else [({"name": b"missing.bin"}, Status.E_NOT_FOUND)]),
        ({"name": b"part.bin", "length": 5001}, Status.E_NOT_FOUND),          # the file ends early
        ({"name": b"part.bin", "position": 4000, "length": 1001}, Status.E_NOT_FOUND),
        ({"name": b"part.bin", "off": window - 10}, Status.E_RANGE),
        ({"name": b"part.bin", "level": 3}, Status.E_LEVEL),
    ]
    for kw, status in bad:
        args = {"level": 1, "off": 0, "length": 16, "position": 0} | kw
        with pytest.raises(LinkDeviceError) as e:
            load(link, args["level"], args["off"], args["length"], args["name"], args["position"])
        assert e.value.status == status, kw
    with pytest.raises(LinkDeviceError) as e:
        link.request(Command.MEM_LOAD, b"\x01\x00\x00")  # shorter than the fixed part
    assert e.value.status == Status.E_LENGTH
    link.ping(b"still serving")


@pytest.mark.parametrize("level", ["L2", "L3"])
def test_bulk_reads_return_exactly_the_window(device, session, level):
    """`Link.mem_read` of 4 KiB or more comes back through MEM_STORE and a file on the emulators,
    through frames elsewhere; either way the bytes are the window's."""
    link = session
    window = link.info()[f"{level.lower()}_window"]
    n = min(window // 2, 200_003)
    data = pattern(n, 11)
    link.mem_write(level, 5, data)
    assert link.bulk_ready() == (device.board in HOST_FILES)
    before = link.stats.requests
    t0 = time.perf_counter()
    got = link.mem_read(level, 5, n)
    seconds = time.perf_counter() - t0
    requests = link.stats.requests - before
    print(f"{device.board} {level}: read {n} bytes in {seconds:.3f} s, {requests} request(s)")
    assert got == data
    if device.board in HOST_FILES:
        assert requests == 1 and not list(link.bulk_dir.glob("bulk-*")), "the emulator's bulk path was not used"
    else:
        assert requests >= n // 1024


def test_mem_store_requests_are_checked(device, session):
    link = session
    head = struct.pack("<B3xII", 1, 0, 16)
    if device.board not in HOST_FILES:
        with pytest.raises(LinkDeviceError) as e:
            link.request(Command.MEM_STORE, head + b"out.bin")
        assert e.value.status == Status.E_UNSUPPORTED
        return
    window = link.info()["l2_window"]
    link.mem_write(1, 0, b"0123456789abcdef")
    reply = link.request(Command.MEM_STORE, head + b"out.bin").payload
    assert (link.bulk_dir / "out.bin").read_bytes() == b"0123456789abcdef"
    assert struct.unpack("<I", reply)[0] == zlib.crc32(b"0123456789abcdef")
    for payload, status in [(head + b"../out.bin", Status.E_ARGUMENT), (head + b"", Status.E_ARGUMENT),
                            (struct.pack("<B3xII", 1, window - 8, 16) + b"o.bin", Status.E_RANGE),
                            (struct.pack("<B3xII", 7, 0, 16) + b"o.bin", Status.E_LEVEL), (b"\x01", Status.E_LENGTH)]:
        with pytest.raises(LinkDeviceError) as e:
            link.request(Command.MEM_STORE, payload)
        assert e.value.status == status, payload
    assert not (link.bulk_dir / "o.bin").exists()


def test_a_bulk_folder_the_emulator_does_not_see_falls_back_to_frames(device, session, tmp_path):
    """An emulator whose working directory is not the link's bulk folder (one started by labgrid)
    fails the probe, and transfers go through frames. Not on GVSoC: a semihosting open that fails
    ends its simulation, and its runner always starts it in the bulk folder."""
    if device.board not in HOST_FILES - {"pulp-open"}:
        pytest.skip("only the QEMU boards can be pointed at a folder they do not see")
    link = session
    link.bulk_dir, link._bulk_checked = tmp_path, False
    data = pattern(6000, 5)
    link.mem_write("L2", 0, data)
    assert link.bulk_dir is None and link.mem_read("L2", 0, 6000) == data
    assert list(tmp_path.iterdir()) == []

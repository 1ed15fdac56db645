"""The device's integer side of a learning event (firmware/cl: RNG, mixing, replacement policy,
LR codes) against the golden twin's Python (qlr.cl.rng, qlr.cl.policy, qlr.quant.latent): the C
is built for the host into a shared library (`scons board=host tests`: firmware/cl/rng.c,
policy.c and latent_quant.c with the firmware's flags) and called through ctypes, so every rule is
checked bit for bit on thousands of random cases in a second (the codes through the firmware's
qlr/cl_latent.h, which the event uses)."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest
from conftest import c_test_program

from qlr.cl.policy import admitted, memory_update, mixing
from qlr.cl.rng import Rng
from qlr.quant.latent import dequantize_latent, pack_bits, requantize_u8_latent


class Mix(ctypes.Structure):
    _fields_ = [("cur", ctypes.c_uint32), ("rep", ctypes.c_uint32), ("iterations", ctypes.c_uint32)]


@pytest.fixture(scope="module")
def lib():
    so = ctypes.CDLL(str(c_test_program("host", "libclpolicy.so")))
    u32, p = ctypes.c_uint32, ctypes.POINTER
    so.qlr_rng_seed.argtypes = [p(u32 * 4), u32]
    so.qlr_rng_next.argtypes = [p(u32 * 4)]
    so.qlr_rng_next.restype = u32
    so.qlr_rng_sample.argtypes = [p(u32 * 4), u32, u32, p(u32), p(u32)]
    so.qlr_cl_mixing.argtypes = [u32, u32, u32]
    so.qlr_cl_mixing.restype = Mix
    so.qlr_cl_admitted.argtypes = [u32, u32, u32, u32, p(u32), p(u32)]
    so.qlr_cl_memory_update.argtypes = [p(u32 * 4), u32, u32, u32, u32, p(u32), p(u32), p(u32)]
    so.qlr_cl_memory_update.restype = u32
    u8p = p(ctypes.c_uint8)
    so.qlr_latent_requantize_u8.argtypes = [u8p, u8p, u32, u32, u32, ctypes.c_uint, u8p, u32]
    so.qlr_latent_pack.argtypes = [u8p, u32, ctypes.c_uint, u8p, p(u32)]
    so.qlr_latent_pack.restype = ctypes.c_int
    so.qlr_latent_dequantize.argtypes = [u8p, u32, u32, ctypes.c_uint, u32, p(ctypes.c_float), u32, p(ctypes.c_float)]
    return so


def _state(words) -> ctypes.Array:
    return (ctypes.c_uint32 * 4)(*words)


def _u32(n: int) -> ctypes.Array:
    return (ctypes.c_uint32 * max(n, 1))()


@pytest.mark.parametrize("seed", [0, 1, 42, 0xFFFFFFFF, 123456789])
def test_rng_stream_matches_python(lib, seed):
    s = _state([0, 0, 0, 0])
    lib.qlr_rng_seed(ctypes.byref(s), seed)
    r = Rng(seed)
    assert tuple(s) == r.state
    got = [lib.qlr_rng_next(ctypes.byref(s)) for _ in range(200)]
    assert got == [r.next() for _ in range(200)]


def test_sample_matches_python(lib):
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(1, 400))
        k = int(rng.integers(0, n + 1))
        seed = int(rng.integers(0, 2**32))
        s = _state(Rng(seed).state)
        work, out = _u32(n), _u32(k)
        lib.qlr_rng_sample(ctypes.byref(s), n, k, work, out)
        r = Rng(seed)
        assert list(out[:k]) == r.sample(n, k).tolist()
        assert tuple(s) == r.state


def test_mixing_and_admission_match_python(lib):
    rng = np.random.default_rng(1)
    cases = [(300, 1500, 128), (300, 0, 128), (1, 1, 1), (5, 3000, 128), (128, 0, 128), (7, 11, 3)]
    cases += [tuple(int(v) for v in rng.integers(0, 3000, 3)) for _ in range(2000)]
    for n, f, mb in cases:
        if mb == 0:
            continue
        m = lib.qlr_cl_mixing(n, f, mb)
        ref = mixing(n, f, mb)
        assert (m.cur, m.rep, m.iterations) == (ref.cur, ref.rep, ref.iterations), (n, f, mb)
    assert (lambda m: (m.cur, m.rep))(lib.qlr_cl_mixing(300, 1500, 128)) == (21, 107)
    for _ in range(2000):
        n_lr = int(rng.integers(0, 2000))
        f = int(rng.integers(0, n_lr + 1))
        i = int(rng.integers(0, 50))
        n = int(rng.integers(0, 600))
        h, fill = ctypes.c_uint32(), ctypes.c_uint32()
        lib.qlr_cl_admitted(n_lr, f, i, n, ctypes.byref(h), ctypes.byref(fill))
        assert (h.value, fill.value) == admitted(n_lr, f, i, n), (n_lr, f, i, n)


def test_memory_update_matches_python(lib):
    rng = np.random.default_rng(2)
    for _ in range(300):
        n_lr = int(rng.integers(1, 500))
        f = int(rng.integers(0, n_lr + 1))
        i = int(rng.integers(0, 20))
        n = int(rng.integers(1, 300))
        seed = int(rng.integers(0, 2**32))
        s = _state(Rng(seed).state)
        work, new, slots = _u32(max(n, f)), _u32(n), _u32(n)
        h = lib.qlr_cl_memory_update(ctypes.byref(s), n_lr, f, i, n, work, new, slots)
        r = Rng(seed)
        upd = memory_update(r, n_lr, f, i, n)
        assert h == upd.h
        assert list(new[:h]) == upd.new_index.tolist() and list(slots[:h]) == upd.slots.tolist()
        assert tuple(s) == r.state


@pytest.mark.parametrize("bits", range(1, 9))
def test_codes_pack_and_dequantize_match_python(lib, bits):
    rng = np.random.default_rng(bits)
    a = rng.integers(0, 256, 4096, dtype=np.uint8)
    codes_ref, scale = requantize_u8_latent(a, bits, 0.0371)
    u8p = ctypes.POINTER(ctypes.c_uint8)
    got = np.zeros_like(a)
    lib.qlr_latent_requantize_u8(a.ctypes.data_as(u8p), got.ctypes.data_as(u8p), 0, a.size, 1, bits, None, 0)
    np.testing.assert_array_equal(got, codes_ref)
    for e in (1, 3, 7, 11, 64, 255):
        c = codes_ref[:e].copy()
        row = (ctypes.c_uint8 * ((e * bits + 7) // 8))()
        assert lib.qlr_latent_pack(c.ctypes.data_as(u8p), e, bits, row, None) == 0
        assert bytes(row) == pack_bits(c, bits).tobytes(), (bits, e)
        out = (ctypes.c_float * e)()
        sc = (ctypes.c_float * 1)(float(scale[0]))
        lib.qlr_latent_dequantize(row, 0, e, bits, 1, sc, 1, out)
        np.testing.assert_array_equal(np.array(out, np.float32), dequantize_latent(c, scale))

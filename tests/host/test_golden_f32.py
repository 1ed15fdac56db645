"""FP32 golden kernels: forwards against straightforward loop references, backwards against
central finite differences of the forwards (float64).

Gradient checks: the scalar L = sum(forward(...) * R) for a fixed random R has the analytic
gradient backward(R); every entry of it is compared with (L(x + h e) - L(x - h e)) / 2h.
Relative error = max|analytic - numeric| / max|numeric| must be < 1e-6 (the issue's bound): for
the linear kernels central differences are exact up to float64 rounding (~1e-10 relative); for the
non-linear ones the truncation error is O(h^2) ~ 1e-10 with h = 1e-5.
"""

from __future__ import annotations

import itertools
import zlib

import numpy as np
import pytest
from gradcheck import numeric_grad  # tests/host is on sys.path (pytest rootdir insertion)

from qlr import golden as G

REL = 1e-6


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(b)), "NaN or infinity"
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12))


def assert_grad(name: str, analytic: np.ndarray, f, x: np.ndarray) -> None:
    err = rel_err(analytic, numeric_grad(f, x))
    assert err < REL, f"{name}: relative error {err:.3g} >= {REL}"


def close(actual: np.ndarray, ref: np.ndarray, atol: float, rtol: float) -> None:
    actual = np.asarray(actual, np.float64)
    ref = np.asarray(ref, np.float64)
    assert actual.shape == ref.shape, (actual.shape, ref.shape)
    assert np.all(np.isfinite(actual)), "NaN or infinity in the result"
    bad = np.abs(actual - ref) > atol + rtol * np.abs(ref)
    if bad.any():
        idx = np.argwhere(bad)[:5]
        raise AssertionError(f"{bad.sum()} mismatches, first at {idx.tolist()}: "
                             f"{actual[tuple(idx[0])]} vs {ref[tuple(idx[0])]}")


# ------------------------------------------------------------------ loop references (float64)
def ref_conv2d(x, w, b, stride, pad):
    n, h, wd, cin = x.shape
    cout, kh, kw, _ = w.shape
    (sh, sw), (pt, pb, pl, pr) = stride, pad
    ho, wo = (h + pt + pb - kh) // sh + 1, (wd + pl + pr - kw) // sw + 1
    y = np.zeros((n, ho, wo, cout))
    for ni, p, q, o in itertools.product(range(n), range(ho), range(wo), range(cout)):
        acc = 0.0 if b is None else float(b[o])
        for i, j, c in itertools.product(range(kh), range(kw), range(cin)):
            r, s = p * sh + i - pt, q * sw + j - pl
            if 0 <= r < h and 0 <= s < wd:
                acc += float(w[o, i, j, c]) * float(x[ni, r, s, c])
        y[ni, p, q, o] = acc
    return y


def ref_dwconv2d(x, w, b, stride, pad):
    n, h, wd, c = x.shape
    kh, kw, _ = w.shape
    (sh, sw), (pt, pb, pl, pr) = stride, pad
    ho, wo = (h + pt + pb - kh) // sh + 1, (wd + pl + pr - kw) // sw + 1
    y = np.zeros((n, ho, wo, c))
    for ni, p, q, ch in itertools.product(range(n), range(ho), range(wo), range(c)):
        acc = 0.0 if b is None else float(b[ch])
        for i, j in itertools.product(range(kh), range(kw)):
            r, s = p * sh + i - pt, q * sw + j - pl
            if 0 <= r < h and 0 <= s < wd:
                acc += float(w[i, j, ch]) * float(x[ni, r, s, ch])
        y[ni, p, q, ch] = acc
    return y


def ref_avgpool(x, kernel, stride, pad):
    n, h, wd, c = x.shape
    (kh, kw), (sh, sw), (pt, pb, pl, pr) = kernel, stride, pad
    ho, wo = (h + pt + pb - kh) // sh + 1, (wd + pl + pr - kw) // sw + 1
    y = np.zeros((n, ho, wo, c))
    for ni, p, q, ch in itertools.product(range(n), range(ho), range(wo), range(c)):
        acc = 0.0
        for i, j in itertools.product(range(kh), range(kw)):
            r, s = p * sh + i - pt, q * sw + j - pl
            if 0 <= r < h and 0 <= s < wd:
                acc += float(x[ni, r, s, ch])
        y[ni, p, q, ch] = acc / (kh * kw)
    return y


# ------------------------------------------------------------------ cases
# (N, H, W, Cin, Cout, kernel, stride, padding)
CONV_CASES = [
    (1, 5, 5, 1, 3, (3, 3), (1, 1), (1, 1, 1, 1)),
    (2, 7, 6, 3, 7, (3, 3), (2, 2), (0, 1, 0, 1)),
    (1, 9, 7, 7, 1, (2, 3), (3, 2), (2, 1, 0, 3)),
    (2, 3, 11, 11, 3, (1, 5), (1, 3), (0, 0, 2, 2)),
    (1, 6, 6, 3, 11, (5, 5), (1, 1), (0, 0, 0, 0)),
    (3, 4, 4, 2, 2, (1, 1), (2, 2), (0, 0, 0, 0)),
]
DW_CASES = [(n, h, w, c, k, s, p) for (n, h, w, c, _, k, s, p) in CONV_CASES] + [
    (2, 7, 7, 11, (3, 3), (2, 2), (1, 1, 1, 1)),
]


def rng_for(*key) -> np.random.Generator:
    """A generator seeded from the test's key (crc32: stable across runs, unlike hash())."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv2d_forward_matches_loops(case):
    n, h, wd, cin, cout, k, s, p = case
    r = rng_for("conv-fw", case)
    x = r.standard_normal((n, h, wd, cin))
    w = r.standard_normal((cout,) + k + (cin,))
    b = r.standard_normal(cout)
    ref = ref_conv2d(x, w, b, s, p)
    close(G.qlr_conv2d_f32_fw(x, w, b, s, p), ref, 1e-12, 1e-12)  # float64: rounding only
    # float32: sums of <= 275 products of N(0,1) values; float32 rounding of ~|sum| <= 50 stays
    # far below 1e-4 absolute, and 1e-5 relative covers the accumulation order.
    y32 = G.qlr_conv2d_f32_fw(x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), s, p)
    assert y32.dtype == np.float32
    close(y32, ref_conv2d(x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), s, p), 1e-4, 1e-5)
    close(G.qlr_conv2d_f32_fw(x, w, None, s, p), ref_conv2d(x, w, None, s, p), 1e-12, 1e-12)


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv2d_backward_matches_finite_differences(case):
    n, h, wd, cin, cout, k, s, p = case
    r = rng_for("conv-bw", case)
    x = r.standard_normal((n, h, wd, cin))
    w = r.standard_normal((cout,) + k + (cin,))
    b = r.standard_normal(cout)
    y = G.qlr_conv2d_f32_fw(x, w, b, s, p)
    R = r.standard_normal(y.shape)
    loss = lambda: float(np.sum(G.qlr_conv2d_f32_fw(x, w, b, s, p) * R))
    dx = G.qlr_conv2d_f32_bw_input(R, w, (h, wd), s, p)
    dw, db = G.qlr_conv2d_f32_bw_weight(x, R, k, s, p)
    assert_grad("dx", dx, loss, x)
    assert_grad("dw", dw, loss, w)
    assert_grad("db", db, loss, b)


@pytest.mark.parametrize("case", DW_CASES, ids=str)
def test_dwconv2d_forward_matches_loops(case):
    n, h, wd, c, k, s, p = case
    r = rng_for("dw-fw", case)
    x = r.standard_normal((n, h, wd, c))
    w = r.standard_normal(k + (c,))
    b = r.standard_normal(c)
    close(G.qlr_dwconv2d_f32_fw(x, w, b, s, p), ref_dwconv2d(x, w, b, s, p), 1e-12, 1e-12)
    y32 = G.qlr_dwconv2d_f32_fw(x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), s, p)
    assert y32.dtype == np.float32
    # at most 25 products of N(0,1) values: float32 rounding well below 1e-5 absolute
    close(y32, ref_dwconv2d(x, w, b, s, p), 1e-5, 1e-5)


@pytest.mark.parametrize("case", DW_CASES, ids=str)
def test_dwconv2d_backward_matches_finite_differences(case):
    n, h, wd, c, k, s, p = case
    r = rng_for("dw-bw", case)
    x = r.standard_normal((n, h, wd, c))
    w = r.standard_normal(k + (c,))
    b = r.standard_normal(c)
    R = r.standard_normal(G.qlr_dwconv2d_f32_fw(x, w, b, s, p).shape)
    loss = lambda: float(np.sum(G.qlr_dwconv2d_f32_fw(x, w, b, s, p) * R))
    dw, db = G.qlr_dwconv2d_f32_bw_weight(x, R, k, s, p)
    assert_grad("dx", G.qlr_dwconv2d_f32_bw_input(R, w, (h, wd), s, p), loss, x)
    assert_grad("dw", dw, loss, w)
    assert_grad("db", db, loss, b)


@pytest.mark.parametrize("n,h,w,cin,cout", [(1, 1, 1, 1, 1), (2, 3, 5, 3, 7), (3, 7, 1, 11, 3), (1, 2, 2, 7, 11)])
def test_pwconv_forward_and_backward(n, h, w, cin, cout):
    r = rng_for("pw", n, h, w, cin, cout)
    x = r.standard_normal((n, h, w, cin))
    wt = r.standard_normal((cout, cin))
    b = r.standard_normal(cout)
    # a pointwise conv is a 1x1 conv2d: the loop reference with the weight seen as [Cout][1][1][Cin]
    ref = ref_conv2d(x, wt.reshape(cout, 1, 1, cin), b, (1, 1), (0, 0, 0, 0))
    close(G.qlr_pwconv_f32_fw(x, wt, b), ref, 1e-12, 1e-12)
    close(G.qlr_pwconv_f32_fw(x, wt.reshape(cout, 1, 1, cin), b), ref, 1e-12, 1e-12)
    R = r.standard_normal(ref.shape)
    loss = lambda: float(np.sum(G.qlr_pwconv_f32_fw(x, wt, b) * R))
    dw, db = G.qlr_pwconv_f32_bw_weight(x, R)
    assert_grad("dx", G.qlr_pwconv_f32_bw_input(R, wt), loss, x)
    assert_grad("dw", dw, loss, wt)
    assert_grad("db", db, loss, b)


@pytest.mark.parametrize("n,fin,fout", [(1, 1, 1), (3, 7, 11), (5, 11, 3)])
def test_linear_forward_and_backward(n, fin, fout):
    r = rng_for("fc", n, fin, fout)
    x = r.standard_normal((n, fin))
    w = r.standard_normal((fout, fin))
    b = r.standard_normal(fout)
    ref = np.array([[b[o] + sum(w[o, i] * x[k, i] for i in range(fin)) for o in range(fout)] for k in range(n)])
    close(G.qlr_linear_f32_fw(x, w, b), ref, 1e-12, 1e-12)
    R = r.standard_normal(ref.shape)
    loss = lambda: float(np.sum(G.qlr_linear_f32_fw(x, w, b) * R))
    dw, db = G.qlr_linear_f32_bw_weight(x, R)
    assert_grad("dx", G.qlr_linear_f32_bw_input(R, w), loss, x)
    assert_grad("dw", dw, loss, w)
    assert_grad("db", db, loss, b)


def _away_from(x: np.ndarray, points: tuple[float, ...], margin: float) -> np.ndarray:
    for p in points:
        near = np.abs(x - p) < margin
        x = np.where(near, p + np.copysign(margin, x - p + 1e-300), x)
    return x


@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (2, 3, 5, 7), (3, 11)])
def test_relu_and_relu6(shape):
    r = rng_for("act", shape)
    # values spread over both kinks, kept 1e-3 away from them so finite differences don't straddle
    x = _away_from(r.uniform(-3, 9, shape), (0.0, 6.0), 1e-3)
    close(G.qlr_relu_f32_fw(x), np.array([max(v, 0.0) for v in x.ravel()]).reshape(shape), 0, 0)
    close(G.qlr_relu6_f32_fw(x), np.array([min(max(v, 0.0), 6.0) for v in x.ravel()]).reshape(shape), 0, 0)
    R = r.standard_normal(shape)
    for fw, bw in ((G.qlr_relu_f32_fw, G.qlr_relu_f32_bw), (G.qlr_relu6_f32_fw, G.qlr_relu6_f32_bw)):
        loss = lambda: float(np.sum(fw(x) * R))
        assert_grad(fw.__name__, bw(R, fw(x)), loss, x)


def test_relu_kinks_pass_no_gradient():
    x = np.array([0.0, 6.0, -1.0, 3.0])
    dy = np.ones(4)
    assert G.qlr_relu_f32_bw(dy, G.qlr_relu_f32_fw(x)).tolist() == [0.0, 1.0, 0.0, 1.0]
    assert G.qlr_relu6_f32_bw(dy, G.qlr_relu6_f32_fw(x)).tolist() == [0.0, 0.0, 0.0, 1.0]


POOL_CASES = [
    (1, 4, 4, 1, (2, 2), (2, 2), (0, 0, 0, 0)),
    (2, 7, 5, 3, (3, 3), (2, 2), (1, 1, 1, 1)),
    (1, 9, 6, 7, (3, 2), (1, 3), (2, 0, 1, 1)),
    (2, 5, 11, 11, (5, 5), (1, 1), (0, 0, 0, 0)),
]


@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_avgpool_forward_and_backward(case):
    n, h, wd, c, k, s, p = case
    r = rng_for("pool", case)
    x = r.standard_normal((n, h, wd, c))
    ref = ref_avgpool(x, k, s, p)
    close(G.qlr_avgpool_f32_fw(x, k, s, p), ref, 1e-12, 1e-12)
    R = r.standard_normal(ref.shape)
    loss = lambda: float(np.sum(G.qlr_avgpool_f32_fw(x, k, s, p) * R))
    assert_grad("dx", G.qlr_avgpool_f32_bw(R, (h, wd), k, s, p), loss, x)


def test_avgpool_stride_defaults_to_kernel():
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    # windows {0,1,4,5} {2,3,6,7} {8,9,12,13} {10,11,14,15}
    assert G.qlr_avgpool_f32_fw(x, 2).ravel().tolist() == [2.5, 4.5, 10.5, 12.5]


@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (2, 3, 5, 7), (3, 7, 7, 11)])
def test_global_avgpool(shape):
    r = rng_for("gap", shape)
    x = r.standard_normal(shape)
    n, h, w, c = shape
    ref = np.array([[sum(x[k, i, j, ch] for i in range(h) for j in range(w)) / (h * w) for ch in range(c)]
                    for k in range(n)]).reshape(n, 1, 1, c)
    close(G.qlr_global_avgpool_f32_fw(x), ref, 1e-12, 1e-12)
    R = r.standard_normal(ref.shape)
    loss = lambda: float(np.sum(G.qlr_global_avgpool_f32_fw(x) * R))
    assert_grad("dx", G.qlr_global_avgpool_f32_bw(R, (h, w)), loss, x)


def test_add_and_flatten():
    r = rng_for("add")
    a, b = r.standard_normal((2, 3, 5, 7)), r.standard_normal((2, 3, 5, 7))
    close(G.qlr_add_f32_fw(a, b), a + b, 0, 0)
    R = r.standard_normal(a.shape)
    da, db = G.qlr_add_f32_bw(R)
    assert_grad("da", da, lambda: float(np.sum(G.qlr_add_f32_fw(a, b) * R)), a)
    assert_grad("db", db, lambda: float(np.sum(G.qlr_add_f32_fw(a, b) * R)), b)
    f = G.qlr_flatten_f32_fw(a)
    assert f.shape == (2, 105)
    # HWC order: element (h, w, c) lands at h*W*C + w*C + c
    assert f[1, 2 * 35 + 4 * 7 + 6] == a[1, 2, 4, 6]
    close(G.qlr_flatten_f32_bw(f, (3, 5, 7)), a, 0, 0)
    with pytest.raises(ValueError, match="shapes differ"):
        G.qlr_add_f32_fw(a, b[:, :2])


@pytest.mark.parametrize("n,k", [(1, 1), (1, 3), (4, 7), (9, 11)])
def test_softmax_xent(n, k):
    r = rng_for("xent", n, k)
    z = r.standard_normal((n, k)) * 3
    y = r.integers(0, k, n)
    loss, grad = G.qlr_softmax_xent_f32(z, y)
    ref = np.mean([np.log(np.sum(np.exp(z[i]))) - z[i, y[i]] for i in range(n)])
    assert abs(loss - ref) <= 1e-12 + 1e-12 * abs(ref)
    assert_grad("dlogits", grad, lambda: G.qlr_softmax_xent_f32(z, y)[0], z)


def test_softmax_xent_is_stable_for_large_logits():
    z = np.array([[1000.0, 0.0], [0.0, -1000.0]], np.float32)
    loss, grad = G.qlr_softmax_xent_f32(z, np.array([1, 0]))
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    assert abs(loss - 500.0) < 1e-3  # (1000 + 0) / 2 up to exp(-1000) terms
    with pytest.raises(ValueError, match="labels"):
        G.qlr_softmax_xent_f32(z, np.array([0, 2]))


def test_sgd_momentum_weight_decay_by_hand():
    w = np.array([1.0], np.float32)
    v = np.zeros(1, np.float32)
    g = np.array([0.5], np.float32)
    G.qlr_sgd_f32(w, g, v, lr=0.1, momentum=0.9, weight_decay=0.1)
    # v = 0.9*0 + (0.5 + 0.1*1) = 0.6; w = 1 - 0.1*0.6 = 0.94
    assert abs(v[0] - 0.6) < 1e-7 and abs(w[0] - 0.94) < 1e-7
    G.qlr_sgd_f32(w, g, v, lr=0.1, momentum=0.9, weight_decay=0.1)
    # v = 0.9*0.6 + (0.5 + 0.1*0.94) = 1.134; w = 0.94 - 0.1134 = 0.8266
    assert abs(v[0] - 1.134) < 1e-6 and abs(w[0] - 0.8266) < 1e-6


def test_sgd_plain_and_shapes():
    r = rng_for("sgd")
    w = r.standard_normal((3, 5)).astype(np.float32)
    g = r.standard_normal((3, 5)).astype(np.float32)
    w0 = w.copy()
    v = np.zeros_like(w)
    G.qlr_sgd_f32(w, g, v, lr=0.5)
    close(w, w0 - 0.5 * g, 1e-6, 1e-6)  # float32 rounding of one multiply-subtract
    with pytest.raises(ValueError, match="shapes differ"):
        G.qlr_sgd_f32(w, g[:2], v, lr=0.1)


def test_batchnorm_inference_and_training_gradients():
    r = rng_for("bn")
    x = r.standard_normal((3, 4, 5, 7)) * 2 + 1
    gamma, beta = r.standard_normal(7), r.standard_normal(7)
    mean, var = r.standard_normal(7), r.uniform(0.5, 2, 7)
    ref = np.empty_like(x)
    for c in range(7):
        ref[..., c] = gamma[c] * (x[..., c] - mean[c]) / np.sqrt(var[c] + 1e-5) + beta[c]
    close(G.qlr_batchnorm_f32_fw(x, gamma, beta, mean, var, 1e-5), ref, 1e-12, 1e-12)
    y, cache, mu, bvar = G.batchnorm_train_f32_fw(x, gamma, beta, 1e-5)
    close(mu, x.reshape(-1, 7).mean(0), 1e-12, 1e-12)
    close(bvar, x.reshape(-1, 7).var(0), 1e-12, 1e-12)
    R = r.standard_normal(y.shape)
    dx, dg, dbt = G.batchnorm_train_f32_bw(R, cache)
    loss = lambda: float(np.sum(G.batchnorm_train_f32_fw(x, gamma, beta, 1e-5)[0] * R))
    assert_grad("dx", dx, loss, x)
    assert_grad("dgamma", dg, loss, gamma)
    assert_grad("dbeta", dbt, loss, beta)


def test_bad_shapes_are_rejected_with_a_message():
    x = np.zeros((1, 5, 5, 3))
    with pytest.raises(ValueError, match="channels"):
        G.qlr_conv2d_f32_fw(x, np.zeros((2, 3, 3, 4)), None)
    with pytest.raises(ValueError, match="does not fit"):
        G.qlr_conv2d_f32_fw(x, np.zeros((2, 7, 7, 3)), None)
    with pytest.raises(ValueError, match="NHWC"):
        G.qlr_dwconv2d_f32_fw(x[0], np.zeros((3, 3, 3)), None)
    with pytest.raises(ValueError, match="expected"):
        G.qlr_conv2d_f32_bw_input(np.zeros((1, 4, 4, 2)), np.zeros((2, 3, 3, 3)), (5, 5))

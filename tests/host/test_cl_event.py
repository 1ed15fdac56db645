"""The golden twin's learning event (qlr.cl.event): latents bit-exact to the image path, the back-end
sees float32(code) * S_Q, SGD matches a hand-written float64 step, events continue from a given
state, and training lowers the loss."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from qlr.cl.event import Diverged, GoldenTwin, front_latents
from qlr.cl.testing import synthetic_images, tiny_setup
from qlr.image import decode_image, encode_image
from qlr.image.execute import run_front_end
from qlr.model import run_forward


@pytest.fixture(scope="module")
def session():
    return tiny_setup(lr_layer=23, n_lr=48, q_lr=6, epochs=2, mb=16)


@pytest.mark.parametrize("q", [8, 6, 4])
def test_latents_bit_exact_to_the_image_executor(q):
    setup, _ = tiny_setup(lr_layer=23, q_lr=q, n_initial=32)
    x, _ = synthetic_images(24, seed=7)
    codes = GoldenTwin(setup).latents(x)
    # Independent path: serialise the image, read it back, run its front-end from the records alone,
    # then requantize with the formula of docs/quantization.md written out here in integers.
    content = decode_image(encode_image(setup.image_content()))
    a8 = run_front_end(content, x).reshape(codes.shape).astype(np.int64)
    levels = (1 << q) - 1
    want = np.minimum((2 * a8 * levels + 255) // 510, levels)
    assert codes.dtype == np.uint8
    assert np.array_equal(codes.astype(np.int64), want)
    # the image carries the LR memory the twin starts from, and its scale
    assert np.array_equal(content.lr.codes, setup.state.lr_codes[: setup.state.filled])
    assert np.array_equal(content.lr.labels, setup.state.lr_labels[: setup.state.filled])
    s_a = np.float32(content.layers[len(setup.qfe.layers) - 1].out_scale)
    assert content.lr.scale[0] == np.float32(float(s_a) * 255 / levels)


def test_back_end_sees_float32_code_times_scale(session):
    setup, _ = session
    codes = np.arange(64, dtype=np.uint8).reshape(1, 1, 1, 64) % 64
    x = setup.codec.decode(codes)
    s = np.float32(setup.codec.in_scale * 255 / 63)
    assert x.dtype == np.float32
    assert np.array_equal(x, codes.astype(np.float32) * s)


def softmax_xent_grad(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    loss = float(np.mean(-np.log(p[np.arange(len(y)), y])))
    p[np.arange(len(y)), y] -= 1
    return loss, p / len(y)


def test_sgd_matches_a_hand_written_step():
    """LR layer 27: the back-end is flatten + fc, so two SGD steps can be written out in float64."""
    setup, _ = tiny_setup(lr_layer=27, n_lr=0, q_lr=8, epochs=1, mb=8, lr=0.1, n_initial=16)
    twin = GoldenTwin(setup)
    x_img, y = synthetic_images(16, seed=3)
    rep = twin.event(x_img, y)
    assert (rep.mix.cur, rep.mix.rep, rep.mix.iterations) == (8, 0, 2)
    feats = setup.codec.decode(twin.latents(x_img)).reshape(16, -1).astype(np.float64)
    w = setup.state.params["fc.weight"].astype(np.float64)
    b = setup.state.params["fc.bias"].astype(np.float64)
    vw, vb = np.zeros_like(w), np.zeros_like(b)
    cfg = setup.config
    losses = []
    order = rep.plan.epochs[0].new_perm
    for t in range(2):
        idx = order[t * 8 : (t + 1) * 8]
        loss, d = softmax_xent_grad(feats[idx] @ w.T + b, y[idx])
        losses.append(loss)
        gw, gb = d.T @ feats[idx], d.sum(axis=0)
        vw = cfg.momentum * vw + gw + cfg.weight_decay * w
        vb = cfg.momentum * vb + gb + cfg.weight_decay * b
        w, b = w - cfg.lr * vw, b - cfg.lr * vb
    # float32 against float64 over two steps of sums of 8-64 terms: relative error ~1e-6;
    # 1e-5 relative + 1e-7 absolute (weights ~0.1) leaves room but catches any wrong term
    # (a missing momentum or weight decay changes the second step by > 1e-4).
    for got, ref in ((rep.params["fc.weight"], w), (rep.params["fc.bias"], b)):
        assert np.all(np.abs(got - ref) <= 1e-7 + 1e-5 * np.abs(ref))
    assert np.allclose(rep.losses, losses, rtol=1e-5, atol=0)


def test_event_from_a_given_state_reproduces_exactly(session):
    setup, _ = session
    x1, y1 = synthetic_images(40, seed=11)
    x2, y2 = synthetic_images(30, seed=12)
    a = GoldenTwin(setup)
    a.event(x1, y1)
    mid = a.state()
    ra = a.event(x2, y2)
    b = GoldenTwin(setup)
    b.set_state(mid)
    rb = b.event(x2, y2)
    assert rb.event == ra.event == 1
    assert np.array_equal(ra.codes, rb.codes) and np.array_equal(ra.slots, rb.slots)
    for k in ra.params:
        assert np.array_equal(ra.params[k], rb.params[k])
    sa, sb = a.state(), b.state()
    assert sa.rng == sb.rng and sa.filled == sb.filled and np.array_equal(sa.lr_codes, sb.lr_codes)
    # and a different starting state gives a different result
    mid.params["fc.weight"][0, 0] += 0.5
    c = GoldenTwin(setup)
    c.set_state(mid)
    assert not np.array_equal(c.event(x2, y2).params["fc.weight"], ra.params["fc.weight"])


def test_memory_update_writes_the_admitted_codes(session):
    setup, _ = session
    twin = GoldenTwin(setup)
    before = twin.state()
    x, y = synthetic_images(40, seed=13)
    rep = twin.event(x, y)
    after = twin.state()
    assert before.filled == 48 and after.filled == 48  # full: replacements only
    h = min(48 // (before.updates + 1), 40)
    assert len(rep.slots) == h == len(set(rep.slots.tolist()))
    assert np.array_equal(after.lr_codes[rep.slots], rep.codes[rep.new_index])
    assert np.array_equal(after.lr_labels[rep.slots], y[rep.new_index])
    untouched = np.setdiff1d(np.arange(48), rep.slots)
    assert np.array_equal(after.lr_codes[untouched], before.lr_codes[untouched])
    assert after.updates == before.updates + 1 and after.events == 1


def test_training_lowers_the_loss_and_learns(session):
    setup, _ = session
    twin = GoldenTwin(setup)
    x, y = synthetic_images(48, seed=21)
    acc0 = twin.evaluate(x, y).accuracy
    reps = [twin.event(x, y) for _ in range(3)]
    first, last = reps[0].epoch_losses()[0], reps[-1].epoch_losses()[-1]
    assert last < 0.7 * first
    assert twin.evaluate(x, y).accuracy > max(acc0 + 0.2, 0.7)


def test_evaluate_is_argmax_of_the_back_end(session):
    setup, _ = session
    twin = GoldenTwin(setup)
    x, y = synthetic_images(20, seed=31)
    rep = twin.evaluate(x, y)
    logits = run_forward(setup.back, setup.codec.decode(twin.latents(x)))
    assert np.array_equal(rep.predictions, np.argmax(logits, axis=1))
    assert rep.accuracy == np.mean(np.argmax(logits, axis=1) == y)


def test_fp32_mode_uses_the_fp32_front_end():
    setup, _ = tiny_setup(lr_layer=23, q_lr=None, n_initial=32)
    x, _ = synthetic_images(10, seed=41)
    codes = GoldenTwin(setup).latents(x)
    assert codes.dtype == np.float32
    assert np.array_equal(codes, run_forward(setup.front, x.astype(np.float32) * np.float32(1 / 255)))
    assert front_latents(setup, x).dtype == np.float32


def test_a_diverging_event_rolls_the_twin_back_to_the_state_before_it():
    setup, _ = tiny_setup(lr_layer=23, n_lr=48, q_lr=6, epochs=2, mb=16, lr=1e30)
    x, y = synthetic_images(40, seed=11)
    twin = GoldenTwin(setup)
    before = twin.state()
    with pytest.raises(Diverged, match="event 0 diverged on golden") as e:
        twin.event(x, y)
    assert e.value.event == 0
    after = twin.state()
    for k, v in before.arrays().items():
        assert np.array_equal(v, after.arrays()[k]), k
    assert (after.filled, after.updates, after.events, after.rng) == (before.filled, before.updates, 0, before.rng)
    # and the twin still works from there (the back-end is bound to the restored arrays)
    twin.config = dataclasses.replace(twin.config, lr=0.05)
    rep = twin.event(x, y)
    assert np.all(np.isfinite(rep.losses)) and twin.state().events == 1

"""The memory hierarchy of a learning event on every board: micro-batches and tensors streamed
from L3, checked against the golden twin and byte for byte against the streaming rules.

`--stream-all` keeps every tensor that can stream in L3 (the back-end's pointwise/linear weights,
their momentum and gradients, the front-end's conv/pointwise weights, the event's images and new
latents) and `--micro-batch 3` splits the mini-batches of 8; the event must still match the twin
(`--check`), and the bytes each event moves between L3 and L2 must be exactly what the rules
below say, derived here from the event's mini-batch composition, not read from the firmware's
code: every streamed chunk really moved, and nothing else did.
"""

from __future__ import annotations

import json
import math

import pytest

from cl_tiny import tiny  # noqa: F401 (a fixture)
from qlr.cli import main as qlr_main
from test_cl_learn import learn

UB = 3
EPOCHS = 2  # test_cl_learn.learn's --epochs
IMAGE = 16 * 16  # the tiny network's 16x16x1 input


def batches(ev: dict) -> list[int]:
    """Samples of every mini-batch of one epoch: the new latents of the step, then the replayed."""
    return [min(ev["cur"], ev["n_new"] - t * ev["cur"]) + ev["rep"] for t in range(ev["iterations"])]


def expected_traffic(ev: dict, streamed: dict[str, int], first_param: int) -> dict[str, int]:
    """Bytes one event moves, by the streaming rules (docs/memory.md):

    per micro-batch: forward reads each streamed weight; backward writes each streamed gradient
    (and reads it first, except in the first micro-batch of a step, which overwrites it) and
    reads each streamed weight again for the input gradient (not for the first layer with
    parameters); per SGD step, for a layer with anything streamed: the weight and the momentum
    are read and written, the gradient read. Replayed rows are read from L3; new rows too when
    the new latents are in L3 (then the front-end also wrote them there, after reading each image
    from L3)."""
    layers = sorted({int(n.split(".")[1]) for n in streamed if n.startswith(("be.", "opt.", "grad."))})
    r = w = 0
    for total in batches(ev) * EPOCHS:
        k = math.ceil(total / UB)
        for p in layers:
            W, G, V = streamed.get(f"be.{p}.weight", 0), streamed.get(f"grad.{p}.weight", 0), streamed.get(f"opt.{p}.weight", 0)
            r += k * W                       # forward
            r += (k - 1) * G                 # gradient accumulated after the first micro-batch
            w += k * G
            if p != first_param:
                r += k * W                   # input gradient
            r += W + V + G                   # SGD
            w += W + V
    return {"params_l3_to_l2_bytes": r, "params_l2_to_l3_bytes": w}


@pytest.mark.slow
def test_streamed_micro_batched_events_match_the_twin_and_the_streaming_rules(device, tiny, capsys):
    # one event on the cycle-level simulator (each costs minutes there), two elsewhere
    events = "1" if device.board == "pulp-open" else "2"
    argv = learn(tiny, device.board, "--lr-layer", "23", "--stream-all", "--micro-batch", str(UB), "--events", events)
    rc = qlr_main(argv)
    out = capsys.readouterr()
    assert rc == 0, out.err[-2000:]
    rec = json.loads(out.out)
    assert [e["check"] for e in rec["events"]] == ["ok"] * int(events)
    mem = rec["memory"]
    assert mem["ub"] == UB and mem["mb"] == 8
    streamed = mem["streamed"]
    # LR layer 23 cuts MobileNet-V1 after a depthwise layer; the back-end is pointwise 24,
    # depthwise 25, pointwise 26, pooling, flatten, linear 29 (image positions). The pointwise and
    # linear weights stream with their momentum and gradients where L3 has room (pulp-open's L3 is
    # small), the depthwise ones cannot (their channels are not rows); biases never stream.
    products = sorted({int(n.split(".")[1]) for n in streamed if n.startswith(("be.", "opt.", "grad."))})
    assert products and set(products) <= {24, 26, 29}, streamed
    if mem["l3_window"] >= 1 << 20:
        assert products == [24, 26, 29]
        for p in products:
            assert {f"be.{p}.weight", f"opt.{p}.weight", f"grad.{p}.weight"} <= set(streamed)
        assert {"data.images", "data.latents"} <= set(streamed) and any(n.startswith("fe.") for n in streamed)
    assert not any(n.endswith(".bias") for n in streamed)
    first_param = 24  # no input gradient below the first layer with parameters
    for ev in rec["events"]:
        c = ev["counters"]
        want = expected_traffic(ev, streamed, first_param)
        got = {k: c[k] for k in want}
        assert got == want, (ev["event"], got, want)
        assert c["micro_batches"] == EPOCHS * sum(math.ceil(b / UB) for b in batches(ev))
        if "data.latents" in streamed:
            # every sample's row read from L3 per step; images read once and new rows written once
            rows_per_event = EPOCHS * sum(batches(ev))
            assert c["lr_rows_l3_bytes"] % rows_per_event == 0 and c["lr_rows_l3_bytes"] > 0
            row_bytes = c["lr_rows_l3_bytes"] // rows_per_event
            images = IMAGE if "data.images" in streamed else 0
            assert c["data_l3_bytes"] == ev["n_new"] * (images + row_bytes)
        # more than one tile per product: the L1 tiles really are L1-sized pieces
        assert c["param_chunks"] > 0 and c["l1_tiles"] > c["micro_batches"] * len(products)

"""Continual learning: the learning event, the replay policy, the memory plan.

Specification: docs/cl-protocol.md. Modules (imported on demand; this package imports nothing):

    rng        Rng(seed) -- xoshiro128** shared with the firmware: next, below, sample, shuffle
    policy     mixing(N, F, mb) -> Mix; memory_update(...); plan_event(rng, ...) -> EventPlan
    state      CLState; save_checkpoint / load_checkpoint (SHA-256 verified); CheckpointError
    session    CLConfig, LatentCodec, SessionSetup, build_setup(net, config, calib, initial x, y),
               lr_memory_bytes(n_lr, elements, q), lr_layers(net)
    event      GoldenTwin(setup): event(images, labels) -> EventReport, evaluate(...) -> EvalReport,
               state() / set_state(state); front_latents(setup, images)
    check      compare_events / compare_states / compare_evals -> [messages]; Tolerance
    source     load_source(data) -> Source; make_pool(source, input shape, test per class, fit) -> Pool
    streams    ProtocolConfig, resolve_protocol, make_stream(pool, cfg, seed) -> Stream (class,
               session, mixed; infeasible streams refused with their fixes)
    protocol   prepare_run(model, cfg, seeds): data, fit, streams, then the (pretrained) network
    driver     Backend (Protocol), GoldenBackend, make_backend(board, args), Session, CheckFailed
    record     RunRecord, prepare (resume or restart), checkpoint_path
    experiment run_experiment, format_table      plot  plot_run, plot_pareto
    testing    synthetic_images, tiny_network, tiny_setup (small seeded sessions for tests)
    plan       the memory plan of the learning firmware (plan_for)
    device     the device backends of `qlr learn`
"""

import os

# The golden back-end multiplies small matrices (<= 256 x 256, mini-batches of 128): one BLAS
# thread is as fast as two on an idle machine and ~15x faster on a busy one (threads spin-wait
# for each other). Set here, before any module of this package imports NumPy (`qlr learn` and
# `qlr experiment` load nothing else first); an explicit OPENBLAS_NUM_THREADS wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

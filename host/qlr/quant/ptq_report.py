"""How much a quantized front-end (`qlr.quant.ptq.quantize_front_end`) loses: `ptq_report` compares
it with the FP32 network per layer (SNR in dB and max abs error of the dequantized output) and end
to end (top-1 agreement and accuracies, optionally with Q-bit LR latents); `format_report` prints it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from qlr.errors import QlrError
from qlr.model import run_forward
from qlr.model.graph import Network
from qlr.quant.calibrate import Calibration
from qlr.quant.latent import dequantize_latent, requantize_u8_latent
from qlr.quant.ptq import (
    QuantizedFrontEnd,
    forward_all,
    quantize_front_end,
    to_input,
)


def snr_db(ref: np.ndarray, approx: np.ndarray) -> float:
    """``10 log10(sum ref^2 / sum (ref - approx)^2)``; +inf when they are equal."""
    sig = float(np.sum(np.square(ref, dtype=np.float64)))
    noise = float(np.sum(np.square(ref.astype(np.float64) - approx.astype(np.float64))))
    if noise == 0.0:
        return math.inf
    if sig == 0.0:
        return -math.inf
    return 10.0 * math.log10(sig / noise)


@dataclass
class LayerError:
    name: str
    kind: str
    act: str
    index: int | None
    out_scale: float
    out_zp: int
    snr_db: float
    max_abs_err: float
    ref_max_abs: float

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        for k in ("snr_db",):
            if not math.isfinite(d[k]):
                d[k] = None if math.isnan(d[k]) else ("inf" if d[k] > 0 else "-inf")
        return d


@dataclass
class PTQReport:
    lr_layer: int
    scheme: str
    percentile: float | None
    samples: int
    layers: list[LayerError]
    fp32_accuracy: float
    int8_accuracy: float
    top1_agreement: float
    lr_bits: list[int] = field(default_factory=list)
    lr_accuracy: dict[int, float] = field(default_factory=dict)  # int8 front + Q-bit LR
    lr_agreement: dict[int, float] = field(default_factory=dict)
    calibration: str = "max"

    def as_dict(self) -> dict[str, Any]:
        return {
            "lr_layer": self.lr_layer, "scheme": self.scheme, "percentile": self.percentile,
            "calibration": self.calibration,
            "samples": self.samples, "fp32_accuracy": self.fp32_accuracy,
            "int8_accuracy": self.int8_accuracy, "top1_agreement": self.top1_agreement,
            "lr_accuracy": {str(k): v for k, v in self.lr_accuracy.items()},
            "lr_agreement": {str(k): v for k, v in self.lr_agreement.items()},
            "layers": [l.as_dict() for l in self.layers],
        }


def ptq_report(
    net: Network,
    lr_layer: int,
    calib_x: np.ndarray,
    eval_x: np.ndarray,
    eval_y: np.ndarray | None = None,
    scheme: str = "per_channel",
    percentile: float | None = None,
    lr_bits: Iterable[int] = (),
    batch_size: int = 256,
    progress: bool = False,
    qfe: QuantizedFrontEnd | None = None,
    calibration: Calibration | None = None,
    equalize: bool = False,
) -> tuple[PTQReport, QuantizedFrontEnd]:
    """Quantize the front-end of ``net`` split at ``lr_layer`` and measure it on ``eval_x``.

    Per layer: the dequantized int8 output against the FP32 (folded) output of the same layer on
    the same images (errors accumulate through the int8 network, as on the device). End to end:
    the int8 front-end's dequantized latent goes through the FP32 back-end; top-1 agreement with
    the FP32 network, and accuracies when labels are given. ``lr_bits``: also requantize the u8
    latent to these Q (per tensor, `qlr.quant.latent.requantize_u8_latent`) and report accuracy.
    """
    folded = net.fold_batchnorm()
    front, back = folded.split(lr_layer)
    if qfe is None:
        qfe = quantize_front_end(front, calib_x, scheme, percentile, batch_size, progress, calibration, equalize)
    if qfe.reference is not None:
        front = qfe.reference  # per-layer errors against the network actually quantized
    eval_x = np.asarray(eval_x)
    if eval_x.dtype != np.uint8 or eval_x.shape[1:] != net.input_shape or len(eval_x) == 0:
        raise QlrError(f"evaluation images must be uint8 (N,) + {net.input_shape}, N >= 1")
    lr_bits = [int(b) for b in lr_bits]
    out_names = {q.name: q.fused[-1] for q in qfe.layers}
    sig = dict.fromkeys(out_names, 0.0)
    noise = dict.fromkeys(out_names, 0.0)
    maxerr = dict.fromkeys(out_names, 0.0)
    refmax = dict.fromkeys(out_names, 0.0)
    agree = agree_fp = correct_fp = correct_q = 0
    lr_correct = dict.fromkeys(lr_bits, 0)
    lr_agree = dict.fromkeys(lr_bits, 0)
    for s in tqdm(range(0, len(eval_x), batch_size), desc="evaluate", unit="batch", disable=not progress):
        xb = eval_x[s : s + batch_size]
        ref = forward_all(front, to_input(xb), names=set(out_names.values()))
        got = qfe.run(xb, keep=True)
        assert isinstance(got, dict)
        for q in qfe.layers:
            r = ref[out_names[q.name]].astype(np.float64)
            d = q.out_scale * (got[q.name].astype(np.float64) - q.out_zp)
            sig[q.name] += float(np.sum(r * r))
            noise[q.name] += float(np.sum((r - d) ** 2))
            maxerr[q.name] = max(maxerr[q.name], float(np.abs(r - d).max()))
            refmax[q.name] = max(refmax[q.name], float(np.abs(r).max()))
        latent_fp = ref[out_names[qfe.output.name]]
        logits_fp = run_forward(back, latent_fp.astype(np.float32))
        lat_u8 = got[qfe.output.name]
        logits_q = run_forward(back, qfe.dequantize(lat_u8))
        p_fp, p_q = np.argmax(logits_fp, axis=1), np.argmax(logits_q, axis=1)
        agree += int(np.sum(p_fp == p_q))
        if eval_y is not None:
            yb = np.asarray(eval_y)[s : s + batch_size]
            correct_fp += int(np.sum(p_fp == yb))
            correct_q += int(np.sum(p_q == yb))
        for b in lr_bits:
            if qfe.output.out_zp != 0:
                raise QlrError("LR requantization needs a latent with zero point 0 (after a ReLU)")
            codes, sc = requantize_u8_latent(lat_u8, b, qfe.output.out_scale)
            p_b = np.argmax(run_forward(back, dequantize_latent(codes, sc)), axis=1)
            lr_agree[b] += int(np.sum(p_b == p_fp))
            if eval_y is not None:
                lr_correct[b] += int(np.sum(p_b == yb))
        agree_fp += len(xb)
    n = len(eval_x)
    errs = []
    for q in qfe.layers:
        snr = math.inf if noise[q.name] == 0 else (10 * math.log10(sig[q.name] / noise[q.name]) if sig[q.name] > 0 else -math.inf)
        errs.append(LayerError(q.name, q.kind, q.act, q.index, q.out_scale, q.out_zp, snr, maxerr[q.name], refmax[q.name]))
    has_y = eval_y is not None
    rep = PTQReport(
        lr_layer, qfe.scheme, qfe.percentile, n, errs,
        correct_fp / n if has_y else math.nan, correct_q / n if has_y else math.nan, agree / n,
        lr_bits, {b: lr_correct[b] / n if has_y else math.nan for b in lr_bits},
        {b: lr_agree[b] / n for b in lr_bits}, qfe.calibration,
    )
    return rep, qfe


def format_report(rep: PTQReport) -> str:
    """A human-readable table of a `PTQReport`."""
    lines = [
        f"PTQ of the front-end up to LR layer {rep.lr_layer}: weights {rep.scheme}, activations u8 "
        f"(calibration: {rep.calibration}), {rep.samples} samples",
        f"{'idx':>4}  {'layer':<14} {'kind':<15} {'act':<5} {'scale':>10} {'zp':>4} {'SNR dB':>8} {'max|err|':>10} {'max|ref|':>10}",
    ]
    for e in rep.layers:
        idx = "" if e.index is None else str(e.index)
        snr = f"{e.snr_db:8.2f}" if math.isfinite(e.snr_db) else f"{e.snr_db:>8}"
        lines.append(f"{idx:>4}  {e.name:<14} {e.kind:<15} {e.act:<5} {e.out_scale:10.4g} {e.out_zp:4d} {snr} "
                     f"{e.max_abs_err:10.4g} {e.ref_max_abs:10.4g}")
    lines.append(f"top-1 agreement int8 front-end vs FP32: {100 * rep.top1_agreement:.2f}%")
    if not math.isnan(rep.fp32_accuracy):
        lines.append(f"top-1 accuracy: FP32 {100 * rep.fp32_accuracy:.2f}%, int8 front-end {100 * rep.int8_accuracy:.2f}% "
                     f"(delta {100 * (rep.int8_accuracy - rep.fp32_accuracy):+.2f} points)")
    for b in rep.lr_bits:
        acc = rep.lr_accuracy.get(b, math.nan)
        extra = "" if math.isnan(acc) else f", accuracy {100 * acc:.2f}%"
        lines.append(f"int8 front-end + UINT-{b} LR: agreement {100 * rep.lr_agreement[b]:.2f}%{extra}")
    return "\n".join(lines)


"""Quantization: latent-replay (LR) quantization and bit packing, post-training quantization (PTQ).

- `qlr.quant.latent`: latents to UINT-Q (Q = 1..8) with an FP32 scale, dequantization, packing so
  that E codes take exactly ceil(E*Q/8) bytes (little-endian bit order).
- `qlr.quant.ptq`: calibrate a network, fold BatchNorm, quantize the frozen front-end to int8 and
  run it with the int8 golden kernels; `qlr.quant.ptq_report`: its error per layer and end to end.
"""

from qlr.quant.latent import (
    LatentQuant,
    calibrate_scale,
    dequantize_latent,
    pack_bits,
    pack_latents,
    packed_size,
    quantize_latent,
    requantize_u8_latent,
    unpack_bits,
    unpack_latents,
)

__all__ = [
    "LatentQuant", "calibrate_scale", "dequantize_latent", "pack_bits", "pack_latents",
    "packed_size", "quantize_latent", "requantize_u8_latent", "unpack_bits", "unpack_latents",
]

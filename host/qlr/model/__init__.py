"""Network description: an explicit graph of layers with NumPy parameters.

Public API::

    Layer(name, kind, attrs={}, inputs=[], params={}, index=None)      # see graph.Layer
    Network(input_shape, layers, meta=None)
        .input_shape (H, W, C)   .layers   .shapes {name: output shape}   .output_shape
        .split(l) -> (front, back) at the paper's layer index l (latent = output of block l)
        .split_after(name) -> (front, back)
        .fold_batchnorm() -> Network without BatchNorm layers
        .latent_shape(l), .index_output(l), .indices()
        .param_count(), .mac_count(), .layer_params(layer), .layer_macs(layer)
        .copy(), .validate(), .summary_rows()
    run_forward(net, x[, upto=name]) -> FP32 inference with the golden kernels (x: (N,)+input_shape)
    mobilenet_v1(width=1.0, input_size=128, num_classes=1000, in_channels=3,
                 batchnorm=True, activation="relu", seed=0) -> Network
    build(arch, **kwargs), load_network(path.npz), save_network(net, path.npz)
    mobilenet_v2(width=1.0, input_size=224, num_classes=1000, in_channels=3)   (qlr.model.mobilenet_v2)
    qlr.model.torchfile (read .pt/.pth without torch), qlr.model.importer (state dict -> Network),
    qlr.model.onnx_import (ONNX -> Network; needs the onnx package): see docs/import.md

Conventions:
- Activations are batch-first NHWC; shapes stored without the batch: (H, W, C) or (F,).
- Weights: conv2d [Cout][Kh][Kw][Cin]; dwconv2d [Kh][Kw][C] (depth multiplier 1);
  pwconv [Cout][Cin] (memory order of [Cout][1][1][Cin]; stride 1, no padding);
  linear [Out][In]; bias [Cout] and optional (absent = zero).
- BatchNorm params gamma, beta, mean, var [C]; eps is an attribute (attrs["eps"]).
- Attributes: kernel (kh, kw), stride (sh, sw), padding (top, bottom, left, right) with zero
  padding; out_channels (conv2d, pwconv), out_features (linear). Output size per axis is
  (in + pad_lo + pad_hi - k) // stride + 1.
- Kinds: conv2d, dwconv2d, pwconv, linear, relu, relu6, batchnorm, avgpool (count includes the
  zero padding), global_avgpool (-> (1, 1, C)), add (two inputs), flatten (HWC order).
- `inputs` names producer layers ("input" = the network input); empty = the previous layer.
- Layer `index` is the paper's index: a conv/dw/pw block and its BatchNorm and activation share
  one (MobileNet-V1: conv1 = 0, dw1 = 1, pw1 = 2, ..., pw13 = 26, pool = 27, flatten+fc = 28).
- Parameter counts include weights, biases, gamma and beta (not BatchNorm's running mean/var);
  MACs count conv/dw/pw/linear multiply-accumulates per sample.
"""

from qlr.model.execute import run_forward
from qlr.model.graph import ATTRS, INPUT, KINDS, LEARNABLE, PARAMS, Layer, Network, conv_out_size, infer_shape
from qlr.model.io import load_network, save_network
from qlr.model.mobilenet import ARCHS, build, mobilenet_v1

__all__ = [
    "ATTRS", "ARCHS", "INPUT", "KINDS", "LEARNABLE", "PARAMS", "Layer", "Network", "build",
    "conv_out_size", "infer_shape", "load_network", "mobilenet_v1", "run_forward", "save_network",
]

"""The golden model: NumPy twins of every firmware kernel, with the same names.

Conventions: batch-first NHWC activations; conv weights [Cout][Kh][Kw][Cin], depthwise
[Kh][Kw][C], pointwise [Cout][Cin], linear [Out][In]; padding (top, bottom, left, right).
Names follow `qlr_<op>_<dtype>[_<pass>]` with pass `fw`, `bw_input` (input gradient) and
`bw_weight` (weight and bias gradients, summed over the batch). The FP32 kernels compute in the
dtype of their inputs (float32; float64 is accepted for gradient checks). Each module's
docstring states its formula.
"""

from qlr.golden.activation import qlr_relu6_f32_bw, qlr_relu6_f32_fw, qlr_relu_f32_bw, qlr_relu_f32_fw
from qlr.golden.batchnorm import batchnorm_train_f32_bw, batchnorm_train_f32_fw, qlr_batchnorm_f32_fw
from qlr.golden.conv2d import qlr_conv2d_f32_bw_input, qlr_conv2d_f32_bw_weight, qlr_conv2d_f32_fw
from qlr.golden.dwconv2d import qlr_dwconv2d_f32_bw_input, qlr_dwconv2d_f32_bw_weight, qlr_dwconv2d_f32_fw
from qlr.golden.elementwise import qlr_add_f32_bw, qlr_add_f32_fw, qlr_flatten_f32_bw, qlr_flatten_f32_fw
from qlr.golden.int8 import (
    qlr_add_u8,
    qlr_avgpool_u8,
    qlr_conv2d_u8s8,
    qlr_dwconv2d_u8s8,
    qlr_linear_u8s8,
    qlr_pwconv_u8s8,
)
from qlr.golden.linear import qlr_linear_f32_bw_input, qlr_linear_f32_bw_weight, qlr_linear_f32_fw
from qlr.golden.loss import qlr_softmax_xent_f32
from qlr.golden.pool import (
    qlr_avgpool_f32_bw,
    qlr_avgpool_f32_fw,
    qlr_global_avgpool_f32_bw,
    qlr_global_avgpool_f32_fw,
)
from qlr.golden.pwconv import qlr_pwconv_f32_bw_input, qlr_pwconv_f32_bw_weight, qlr_pwconv_f32_fw
from qlr.golden.sgd import qlr_sgd_f32

__all__ = [
    "batchnorm_train_f32_bw", "batchnorm_train_f32_fw", "qlr_add_f32_bw", "qlr_add_f32_fw", "qlr_add_u8",
    "qlr_avgpool_f32_bw", "qlr_avgpool_f32_fw", "qlr_avgpool_u8", "qlr_batchnorm_f32_fw",
    "qlr_conv2d_f32_bw_input", "qlr_conv2d_f32_bw_weight", "qlr_conv2d_f32_fw", "qlr_conv2d_u8s8",
    "qlr_dwconv2d_f32_bw_input", "qlr_dwconv2d_f32_bw_weight", "qlr_dwconv2d_f32_fw", "qlr_dwconv2d_u8s8",
    "qlr_flatten_f32_bw", "qlr_flatten_f32_fw", "qlr_global_avgpool_f32_bw", "qlr_global_avgpool_f32_fw",
    "qlr_linear_f32_bw_input", "qlr_linear_f32_bw_weight", "qlr_linear_f32_fw", "qlr_linear_u8s8",
    "qlr_pwconv_f32_bw_input", "qlr_pwconv_f32_bw_weight", "qlr_pwconv_f32_fw", "qlr_pwconv_u8s8",
    "qlr_relu6_f32_bw", "qlr_relu6_f32_fw", "qlr_relu_f32_bw", "qlr_relu_f32_fw", "qlr_sgd_f32",
    "qlr_softmax_xent_f32",
]

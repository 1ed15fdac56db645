"""The int8 front-end kernels in one place (re-exports; each family lives in its own module).

See `qlr.golden.requant` for the exact requantization and rounding rule shared by all of them.
"""

from qlr.golden.int8_add import AddRequant, add_requant, qlr_add_u8
from qlr.golden.int8_conv import conv2d_u8s8_fold_bias, qlr_conv2d_u8s8, qlr_pwconv_u8s8
from qlr.golden.int8_dwconv import dwconv2d_u8s8_fold_bias, qlr_dwconv2d_u8s8
from qlr.golden.int8_linear import qlr_linear_u8s8
from qlr.golden.int8_pool import avgpool_requant, qlr_avgpool_u8
from qlr.golden.requant import Requant, activation_range, quantize_multiplier, requantize

__all__ = [
    "AddRequant", "Requant", "activation_range", "add_requant", "avgpool_requant",
    "conv2d_u8s8_fold_bias", "dwconv2d_u8s8_fold_bias", "qlr_add_u8", "qlr_avgpool_u8",
    "qlr_conv2d_u8s8", "qlr_dwconv2d_u8s8", "qlr_linear_u8s8", "qlr_pwconv_u8s8", "quantize_multiplier",
    "requantize",
]

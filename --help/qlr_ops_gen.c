/* Generated from the op specs (host/qlr/kernels/ops_*.py) by qlr.codegen.ops_c: do not edit. */
#include "qlr_ops_gen.h"

static const char *const add_u8_params[] = {"n", "h", "w", "c", "a_zp", "b_zp", "mult_a", "mult_b", "shift", "out_zp", "act_min", "act_max"};
static const char *const add_u8_tensors[] = {"a", "b", "y"};
static const uint8_t add_u8_f32[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const int32_t add_u8_min[] = {1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0};
static const int32_t add_u8_max[] = {65535, 65535, 65535, 16777216, 255, 255, 2097151, 2097151, 31, 255, 255, 255};
const qlr_op_spec_t qlr_add_u8_spec = {
    .name = "add_u8", .nparam = 12u, .ntensor = 3u,
    .param_names = add_u8_params, .tensor_names = add_u8_tensors, .param_f32 = add_u8_f32,
    .param_min = add_u8_min, .param_max = add_u8_max,
};

static const char *const avgpool_f32_bw_params[] = {"n", "height", "width", "c", "kh", "kw", "sh", "sw", "pad_top", "pad_bottom", "pad_left", "pad_right"};
static const char *const avgpool_f32_bw_tensors[] = {"dy", "dx"};
static const uint8_t avgpool_f32_bw_f32[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const int32_t avgpool_f32_bw_min[] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
static const int32_t avgpool_f32_bw_max[] = {2147483647, 2147483647, 2147483647, 2147483647, 65535, 65535, 2147483647, 2147483647, 65535, 65535, 65535, 65535};
const qlr_op_spec_t qlr_avgpool_f32_bw_spec = {
    .name = "avgpool_f32_bw", .nparam = 12u, .ntensor = 2u,
    .param_names = avgpool_f32_bw_params, .tensor_names = avgpool_f32_bw_tensors, .param_f32 = avgpool_f32_bw_f32,
    .param_min = avgpool_f32_bw_min, .param_max = avgpool_f32_bw_max,
};

static const char *const avgpool_f32_fw_params[] = {"n", "height", "width", "c", "kh", "kw", "sh", "sw", "pad_top", "pad_bottom", "pad_left", "pad_right"};
static const char *const avgpool_f32_fw_tensors[] = {"x", "y"};
static const uint8_t avgpool_f32_fw_f32[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const int32_t avgpool_f32_fw_min[] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
static const int32_t avgpool_f32_fw_max[] = {2147483647, 2147483647, 2147483647, 2147483647, 65535, 65535, 2147483647, 2147483647, 65535, 65535, 65535, 65535};
const qlr_op_spec_t qlr_avgpool_f32_fw_spec = {
    .name = "avgpool_f32_fw", .nparam = 12u, .ntensor = 2u,
    .param_names = avgpool_f32_fw_params, .tensor_names = avgpool_f32_fw_tensors, .param_f32 = avgpool_f32_fw_f32,
    .param_min = avgpool_f32_fw_min, .param_max = avgpool_f32_fw_max,
};

static const char *const avgpool_u8_params[] = {"n", "in_h", "in_w", "c", "k_h", "k_w", "stride_h", "stride_w", "pad_top", "pad_bottom", "pad_left", "pad_right", "in_zp", "out_zp", "act_min", "act_max", "rq_channels"};
static const char *const avgpool_u8_tensors[] = {"x", "mult", "shift", "y"};
static const uint8_t avgpool_u8_f32[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const int32_t avgpool_u8_min[] = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const int32_t avgpool_u8_max[] = {65535, 65535, 65535, 16777216, 65535, 65535, 65535, 65535, 255, 255, 255, 255, 255, 255, 255, 255, 16777216};
const qlr_op_spec_t qlr_avgpool_u8_spec = {
    .name = "avgpool_u8", .nparam = 17u, .ntensor = 4u,
    .param_names = avgpool_u8_params, .tensor_names = avgpool_u8_tensors, .param_f32 = avgpool_u8_f32,
    .param_min = avgpool_u8_min, .param_max = avgpool_u8_max,
};

static const char *const conv2d_f32_bw_input_params[] = {"n", "height", "width", "cin", "kh", "kw", "sh", "sw", "pad_top", "pad_bottom", "pad_left", "pad_right", "cout", "chunk_rows"};
static const char *const conv2d_f32_bw_input_tensors[] = {"dy", "w", "dx"};
static const uint8_t conv2d_f32_bw_input_f32[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const int32_t conv2d_f32_bw_input_min[] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0};
static const int32_t conv2d_f32_bw_input_max[] = {2147483647, 2147483647, 2147483647, 2147483647, 65535, 65535, 2147483647, 2147483647, 65535, 65535, 65535, 65535, 2147483647, 2147483647};
const qlr_op_spec_t qlr_conv2d_f32_bw_input_spec = {
    .name = "conv2d_f32_bw_input", .nparam = 14u, .ntensor = 3u,
    .param_names = conv2d_f32_bw_input_params, .tensor_names = conv2d_f32_bw_input_tensors, .param_f32 = conv2d_f32_bw_input_f32,
    .param_min = conv2d_f32_bw_input_min, .param_max = conv2d_f32_bw_input_max,
};

static const char *const conv2d_f32_bw_weight_params[] = {"n", "height", "width", "cin", "kh", "kw", "sh", "sw", "pad_top", "pad_bottom", "pad_left", "pad_right", "cout", "use_bias", "accumulate", "chunk_rows"};
static const char *const conv2d_f32_bw_weight_tensors[] = {"x", "dy", "dw", "db"};
static const uint8_t conv2d_f32_bw_weight_f32[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const int32_t conv2d_f32_bw_weight_min[] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0};
static const int32_t conv2d_f32_bw_weight_max[] = {2147483647, 2147483647, 2147483647, 2147483647, 65535, 65535, 2147483647, 2147483647, 65535, 65535, 65535, 65535, 2147483647, 1, 1, 2147483647};
const qlr_op_spec_t qlr_conv2d_f32_bw_weight_spec = {
    .name = "conv2d_f32_bw_weight", .nparam = 16u, .ntensor = 4u,
    .param_names = conv2d_f32_bw_weight_params, .tensor_names = conv2d_f32_bw_weight_tensors, .param_f32 = conv2d_f32_bw_weight_f32,
    .param_min = conv2d_f32_bw_weight_min, .param_max = conv2d_f32_bw_weight_max,
};

static const char *const conv2d_f32_fw_params[] = {"n", "height", "width", "cin", "kh", "kw", "sh", "sw", "pad_top", "pad_bottom", "pad_left", "pad_right", "cout", "use_bias", "chunk_rows"};
static const char *const conv2d_f32_fw_tensors[] = {"x", "w", "b", "y"};
static const uint8_t conv2d_f32_fw_f32[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const int32_t conv2d_f32_fw_min[] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0};
static const int32_t conv2d_f32_fw_max[] = {2147483647, 2147483647, 2147483647, 2147483647, 65535, 65535, 2147483647, 2147483647, 65535, 65535, 65535, 65535, 2147483647, 1, 2147483647};
const qlr_op_spec_t qlr_conv2d_f32_fw_spec = {
    .name = "conv2d_f32_fw", .nparam = 15u, .ntensor = 4u,
    .param_names = conv2d_f32_fw_params, .tensor_names = conv2d_f32_fw_tensors, .param_f32 = conv2d_f32_fw_f32,
    .param_min = conv2d_f32_fw_min, .param_max = conv2d_f32_fw_max,
};

static const char *const conv2d_u8s8_params[] = {"n", "in_h", "in_w", "in_c", "out_c", "k_h", "k_w", "stride_h", "stride_w", "pad_top", "pad_bottom", "pad_left", "pad_right", "in_zp", "w_zp", "out_zp", "act_min", "act_max", "rq_channels"};
static const char *const conv2d_u8s8_tensors[] = {"x", "w", "bias", "mult", "shift", "y"};
static const uint8_t conv2d_u8s8_f32[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const int32_t conv2d_u8s8_min[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, -128, 0, 0, 0, 1};
static const int32_t conv2d_u8s8_max[] = {65535, 65535, 65535, 16777216, 16777216, 255, 255, 255, 255, 255, 255, 255, 255, 255, 127, 255, 255, 255, 16777216};
const qlr_op_spec_t qlr_conv2d_u8s8_spec = {
    .name = "conv2d_u8s8", .nparam = 19u, .ntensor = 6u,
    .param_names = conv2d_u8s8_params, .tensor_names = conv2d_u8s8_tensors, .param_f32 = conv2d_u8s8_f32,
    .param_min = conv2d_u8s8_min, .param_max = conv2d_u8s8_max,
};

static const char *const dwconv2d_f32_bw_input_params[] = {"n", "height", "width", "c", "kh", "kw", "sh", "sw", "pad_top", "pad_bottom", "pad_left", "pad_right"};
static const char *const dwconv2d_f32_bw_input_tensors[] = {"dy", "w", "dx"};
static const uint8_t dwconv2d_f32_bw_input_f32[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const int32_t dwconv2d_f32_bw_input_min[] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
static const int32_t dwconv2d_f32_bw_input_max[] = {2147483647, 2147483647, 2147483647, 2147483647, 65535, 65535, 2147483647, 2147483647, 65535, 65535, 65535, 65535};
const qlr_op_spec_t qlr_dwconv2d_f32_bw_input_spec = {
    .name = "dwconv2d_f32_bw_input", .nparam = 12u, .ntensor = 3u,
    .param_names = dwconv2d_f32_bw_input_params, .tensor_names = dwconv2d_f32_bw_input_tensors, .param_f32 = dwconv2d_f32_bw_input_f32,
    .param_min = dwconv2d_f32_bw_input_min, .param_max = dwconv2d_f32_bw_input_max,
};

static const char *const dwconv2d_f32_bw_weight_params[] = {"n", "height", "width", "c", "kh", "kw", "sh", "sw", "pad_top", "pad_bottom", "pad_left", "pad_right", "use_bias", "accumulate"};
static const char *const dwconv2d_f32_bw_weight_tensors[] = {"x", "dy", "dw", "db"};
static const uint8_t dwconv2d_f32_bw_weight_f32[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const int32_t dwconv2d_f32_bw_weight_min[] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0};
static const int32_t dwconv2d_f32_bw_weight_max[] = {2147483647, 2147483647, 2147483647, 2147483647, 65535, 65535, 2147483647, 2147483647, 65535, 65535, 65535, 65535, 1, 1};
const qlr_op_spec_t qlr_dwconv2d_f32_bw_weight_spec = {
    .name = "dwconv2d_f32_bw_weight", .nparam = 14u, .ntensor = 4u,
    .param_names = dwconv2d_f32_bw_weight_params, .tensor_names = dwconv2d_f32_bw_weight_tensors, .param_f32 = dwconv2d_f32_bw_weight_f32,
    .param_min = dwconv2d_f32_bw_weight_min, .param_max = dwconv2d_f32_bw_weight_max,
};

static const char *const dwconv2d_f32_fw_params[] = {"n", "height", "width", "c", "kh", "kw", "sh", "sw", "pad_top", "pad_bottom", "pad_left", "pad_right", "use_bias"};
static const char *const dwconv2d_f32_fw_tensors[] = {"x", "w", "b", "y"};
static const uint8_t dwconv2d_f32_fw_f32[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const int32_t dwconv2d_f32_fw_min[] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0};
static const int32_t dwconv2d_f32_fw_max[] = {2147483647, 2147483647, 2147483647, 2147483647, 65535, 65535, 2147483647, 2147483647, 65535, 65535, 65535, 65535, 1};
const qlr_op_spec_t qlr_dwconv2d_f32_fw_spec = {
    .name = "dwconv2d_f32_fw", .nparam = 13u, .ntensor = 4u,
    .param_names = dwconv2d_f32_fw_params, .tensor_names = dwconv2d_f32_fw_tensors, .param_f32 = dwconv2d_f32_fw_f32,
    .param_min = dwconv2d_f32_fw_min, .param_max = dwconv2d_f32_fw_max,
};

static const char *const dwconv2d_f32_fw_tiled_params[] = {"n", "height", "width", "c", "kh", "kw", "sh", "sw", "pad_top", "pad_bottom", "pad_left", "pad_right", "use_bias", "l1_budget"};
static const char *const dwconv2d_f32_fw_tiled_tensors[] = {"x", "w", "b", "y"};
static const uint8_t dwconv2d_f32_fw_tiled_f32[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const int32_t dwconv2d_f32_fw_tiled_min[] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0};
static const int32_t dwconv2d_f32_fw_tiled_max[] = {2147483647, 2147483647, 2147483647, 2147483647, 65535, 65535, 2147483647, 2147483647, 65535, 65535, 65535, 65535, 1, 2147483647};
const qlr_op_spec_t qlr_dwconv2d_f32_fw_tiled_spec = {
    .name = "dwconv2d_f32_fw_tiled", .nparam = 14u, .ntensor = 4u,
    .param_names = dwconv2d_f32_fw_tiled_params, .tensor_names = dwconv2d_f32_fw_tiled_tensors, .param_f32 = dwconv2d_f32_fw_tiled_f32,
    .param_min = dwconv2d_f32_fw_tiled_min, .param_max = dwconv2d_f32_fw_tiled_max,
};

static const char *const dwconv2d_u8s8_params[] = {"n", "in_h", "in_w", "c", "k_h", "k_w", "stride_h", "stride_w", "pad_top", "pad_bottom", "pad_left", "pad_right", "in_zp", "w_zp", "out_zp", "act_min", "act_max", "rq_channels"};
static const char *const dwconv2d_u8s8_tensors[] = {"x", "w", "bias", "mult", "shift", "y"};
static const uint8_t dwconv2d_u8s8_f32[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const int32_t dwconv2d_u8s8_min[] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, -128, 0, 0, 0, 1};
static const int32_t dwconv2d_u8s8_max[] = {65535, 65535, 65535, 16777216, 255, 255, 255, 255, 255, 255, 255, 255, 255, 127, 255, 255, 255, 16777216};
const qlr_op_spec_t qlr_dwconv2d_u8s8_spec = {
    .name = "dwconv2d_u8s8", .nparam = 18u, .ntensor = 6u,
    .param_names = dwconv2d_u8s8_params, .tensor_names = dwconv2d_u8s8_tensors, .param_f32 = dwconv2d_u8s8_f32,
    .param_min = dwconv2d_u8s8_min, .param_max = dwconv2d_u8s8_max,
};

static const char *const global_avgpool_f32_bw_params[] = {"n", "height", "width", "c"};
static const char *const global_avgpool_f32_bw_tensors[] = {"dy", "dx"};
static const uint8_t global_avgpool_f32_bw_f32[] = {0, 0, 0, 0};
static const int32_t global_avgpool_f32_bw_min[] = {1, 1, 1, 1};
static const int32_t global_avgpool_f32_bw_max[] = {2147483647, 2147483647, 2147483647, 2147483647};
const qlr_op_spec_t qlr_global_avgpool_f32_bw_spec = {
    .name = "global_avgpool_f32_bw", .nparam = 4u, .ntensor = 2u,
    .param_names = global_avgpool_f32_bw_params, .tensor_names = global_avgpool_f32_bw_tensors, .param_f32 = global_avgpool_f32_bw_f32,
    .param_min = global_avgpool_f32_bw_min, .param_max = global_avgpool_f32_bw_max,
};

static const char *const global_avgpool_f32_fw_params[] = {"n", "height", "width", "c"};
static const char *const global_avgpool_f32_fw_tensors[] = {"x", "y"};
static const uint8_t global_avgpool_f32_fw_f32[] = {0, 0, 0, 0};
static const int32_t global_avgpool_f32_fw_min[] = {1, 1, 1, 1};
static const int32_t global_avgpool_f32_fw_max[] = {2147483647, 2147483647, 2147483647, 2147483647};
const qlr_op_spec_t qlr_global_avgpool_f32_fw_spec = {
    .name = "global_avgpool_f32_fw", .nparam = 4u, .ntensor = 2u,
    .param_names = global_avgpool_f32_fw_params, .tensor_names = global_avgpool_f32_fw_tensors, .param_f32 = global_avgpool_f32_fw_f32,
    .param_min = global_avgpool_f32_fw_min, .param_max = global_avgpool_f32_fw_max,
};

static const char *const linear_f32_bw_input_params[] = {"n", "in_features", "out_features"};
static const char *const linear_f32_bw_input_tensors[] = {"dy", "w", "dx"};
static const uint8_t linear_f32_bw_input_f32[] = {0, 0, 0};
static const int32_t linear_f32_bw_input_min[] = {1, 1, 1};
static const int32_t linear_f32_bw_input_max[] = {2147483647, 2147483647, 2147483647};
const qlr_op_spec_t qlr_linear_f32_bw_input_spec = {
    .name = "linear_f32_bw_input", .nparam = 3u, .ntensor = 3u,
    .param_names = linear_f32_bw_input_params, .tensor_names = linear_f32_bw_input_tensors, .param_f32 = linear_f32_bw_input_f32,
    .param_min = linear_f32_bw_input_min, .param_max = linear_f32_bw_input_max,
};

static const char *const linear_f32_bw_input_tiled_params[] = {"n", "in_features", "out_features", "l1_budget"};
static const char *const linear_f32_bw_input_tiled_tensors[] = {"dy", "w", "dx"};
static const uint8_t linear_f32_bw_input_tiled_f32[] = {0, 0, 0, 0};
static const int32_t linear_f32_bw_input_tiled_min[] = {1, 1, 1, 0};
static const int32_t linear_f32_bw_input_tiled_max[] = {2147483647, 2147483647, 2147483647, 2147483647};
const qlr_op_spec_t qlr_linear_f32_bw_input_tiled_spec = {
    .name = "linear_f32_bw_input_tiled", .nparam = 4u, .ntensor = 3u,
    .param_names = linear_f32_bw_input_tiled_params, .tensor_names = linear_f32_bw_input_tiled_tensors, .param_f32 = linear_f32_bw_input_tiled_f32,
    .param_min = linear_f32_bw_input_tiled_min, .param_max = linear_f32_bw_input_tiled_max,
};

static const char *const linear_f32_bw_weight_params[] = {"n", "in_features", "out_features", "use_bias", "accumulate"};
static const char *const linear_f32_bw_weight_tensors[] = {"x", "dy", "dw", "db"};
static const uint8_t linear_f32_bw_weight_f32[] = {0, 0, 0, 0, 0};
static const int32_t linear_f32_bw_weight_min[] = {1, 1, 1, 0, 0};
static const int32_t linear_f32_bw_weight_max[] = {2147483647, 2147483647, 2147483647, 1, 1};
const qlr_op_spec_t qlr_linear_f32_bw_weight_spec = {
    .name = "linear_f32_bw_weight", .nparam = 5u, .ntensor = 4u,
    .param_names = linear_f32_bw_weight_params, .tensor_names = linear_f32_bw_weight_tensors, .param_f32 = linear_f32_bw_weight_f32,
    .param_min = linear_f32_bw_weight_min, .param_max = linear_f32_bw_weight_max,
};

static const char *const linear_f32_bw_weight_tiled_params[] = {"n", "in_features", "out_features", "use_bias", "accumulate", "l1_budget"};
static const char *const linear_f32_bw_weight_tiled_tensors[] = {"x", "dy", "dw", "db"};
static const uint8_t linear_f32_bw_weight_tiled_f32[] = {0, 0, 0, 0, 0, 0};
static const int32_t linear_f32_bw_weight_tiled_min[] = {1, 1, 1, 0, 0, 0};
static const int32_t linear_f32_bw_weight_tiled_max[] = {2147483647, 2147483647, 2147483647, 1, 1, 2147483647};
const qlr_op_spec_t qlr_linear_f32_bw_weight_tiled_spec = {
    .name = "linear_f32_bw_weight_tiled", .nparam = 6u, .ntensor = 4u,
    .param_names = linear_f32_bw_weight_tiled_params, .tensor_names = linear_f32_bw_weight_tiled_tensors, .param_f32 = linear_f32_bw_weight_tiled_f32,
    .param_min = linear_f32_bw_weight_tiled_min, .param_max = linear_f32_bw_weight_tiled_max,
};

static const char *const linear_f32_fw_params[] = {"n", "in_features", "out_features", "use_bias"};
static const char *const linear_f32_fw_tensors[] = {"x", "w", "b", "y"};
static const uint8_t linear_f32_fw_f32[] = {0, 0, 0, 0};
static const int32_t linear_f32_fw_min[] = {1, 1, 1, 0};
static const int32_t linear_f32_fw_max[] = {2147483647, 2147483647, 2147483647, 1};
const qlr_op_spec_t qlr_linear_f32_fw_spec = {
    .name = "linear_f32_fw", .nparam = 4u, .ntensor = 4u,
    .param_names = linear_f32_fw_params, .tensor_names = linear_f32_fw_tensors, .param_f32 = linear_f32_fw_f32,
    .param_min = linear_f32_fw_min, .param_max = linear_f32_fw_max,
};

static const char *const linear_f32_fw_tiled_params[] = {"n", "in_features", "out_features", "use_bias", "l1_budget"};
static const char *const linear_f32_fw_tiled_tensors[] = {"x", "w", "b", "y"};
static const uint8_t linear_f32_fw_tiled_f32[] = {0, 0, 0, 0, 0};
static const int32_t linear_f32_fw_tiled_min[] = {1, 1, 1, 0, 0};
static const int32_t linear_f32_fw_tiled_max[] = {2147483647, 2147483647, 2147483647, 1, 2147483647};
const qlr_op_spec_t qlr_linear_f32_fw_tiled_spec = {
    .name = "linear_f32_fw_tiled", .nparam = 5u, .ntensor = 4u,
    .param_names = linear_f32_fw_tiled_params, .tensor_names = linear_f32_fw_tiled_tensors, .param_f32 = linear_f32_fw_tiled_f32,
    .param_min = linear_f32_fw_tiled_min, .param_max = linear_f32_fw_tiled_max,
};

static const char *const linear_u8s8_params[] = {"n", "in_f", "out_f", "in_zp", "w_zp", "out_zp", "act_min", "act_max", "rq_channels"};
static const char *const linear_u8s8_tensors[] = {"x", "w", "bias", "mult", "shift", "y"};
static const uint8_t linear_u8s8_f32[] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
static const int32_t linear_u8s8_min[] = {1, 1, 1, 0, -128, 0, 0, 0, 1};
static const int32_t linear_u8s8_max[] = {65535, 16777216, 16777216, 255, 127, 255, 255, 255, 16777216};
const qlr_op_spec_t qlr_linear_u8s8_spec = {
    .name = "linear_u8s8", .nparam = 9u, .ntensor = 6u,
    .param_names = linear_u8s8_params, .tensor_names = linear_u8s8_tensors, .param_f32 = linear_u8s8_f32,
    .param_min = linear_u8s8_min, .param_max = linear_u8s8_max,
};

static const char *const matmul_f32_nn_params[] = {"m", "n", "k", "accumulate"};
static const char *const matmul_f32_nn_tensors[] = {"a", "b", "bias", "c"};
static const uint8_t matmul_f32_nn_f32[] = {0, 0, 0, 0};
static const int32_t matmul_f32_nn_min[] = {1, 1, 1, 0};
static const int32_t matmul_f32_nn_max[] = {2147483647, 2147483647, 2147483647, 1};
const qlr_op_spec_t qlr_matmul_f32_nn_spec = {
    .name = "matmul_f32_nn", .nparam = 4u, .ntensor = 4u,
    .param_names = matmul_f32_nn_params, .tensor_names = matmul_f32_nn_tensors, .param_f32 = matmul_f32_nn_f32,
    .param_min = matmul_f32_nn_min, .param_max = matmul_f32_nn_max,
};

static const char *const matmul_f32_nt_params[] = {"m", "n", "k", "accumulate"};
static const char *const matmul_f32_nt_tensors[] = {"a", "b", "bias", "c"};
static const uint8_t matmul_f32_nt_f32[] = {0, 0, 0, 0};
static const int32_t matmul_f32_nt_min[] = {1, 1, 1, 0};
static const int32_t matmul_f32_nt_max[] = {2147483647, 2147483647, 2147483647, 1};
const qlr_op_spec_t qlr_matmul_f32_nt_spec = {
    .name = "matmul_f32_nt", .nparam = 4u, .ntensor = 4u,
    .param_names = matmul_f32_nt_params, .tensor_names = matmul_f32_nt_tensors, .param_f32 = matmul_f32_nt_f32,
    .param_min = matmul_f32_nt_min, .param_max = matmul_f32_nt_max,
};

static const char *const matmul_f32_tn_params[] = {"m", "n", "k", "accumulate"};
static const char *const matmul_f32_tn_tensors[] = {"a", "b", "bias", "c"};
static const uint8_t matmul_f32_tn_f32[] = {0, 0, 0, 0};
static const int32_t matmul_f32_tn_min[] = {1, 1, 1, 0};
static const int32_t matmul_f32_tn_max[] = {2147483647, 2147483647, 2147483647, 1};
const qlr_op_spec_t qlr_matmul_f32_tn_spec = {
    .name = "matmul_f32_tn", .nparam = 4u, .ntensor = 4u,
    .param_names = matmul_f32_tn_params, .tensor_names = matmul_f32_tn_tensors, .param_f32 = matmul_f32_tn_f32,
    .param_min = matmul_f32_tn_min, .param_max = matmul_f32_tn_max,
};

static const char *const pwconv_f32_bw_input_params[] = {"n", "height", "width", "cin", "cout"};
static const char *const pwconv_f32_bw_input_tensors[] = {"dy", "w", "dx"};
static const uint8_t pwconv_f32_bw_input_f32[] = {0, 0, 0, 0, 0};
static const int32_t pwconv_f32_bw_input_min[] = {1, 1, 1, 1, 1};
static const int32_t pwconv_f32_bw_input_max[] = {2147483647, 2147483647, 2147483647, 2147483647, 2147483647};
const qlr_op_spec_t qlr_pwconv_f32_bw_input_spec = {
    .name = "pwconv_f32_bw_input", .nparam = 5u, .ntensor = 3u,
    .param_names = pwconv_f32_bw_input_params, .tensor_names = pwconv_f32_bw_input_tensors, .param_f32 = pwconv_f32_bw_input_f32,
    .param_min = pwconv_f32_bw_input_min, .param_max = pwconv_f32_bw_input_max,
};

static const char *const pwconv_f32_bw_input_tiled_params[] = {"n", "height", "width", "cin", "cout", "l1_budget"};
static const char *const pwconv_f32_bw_input_tiled_tensors[] = {"dy", "w", "dx"};
static const uint8_t pwconv_f32_bw_input_tiled_f32[] = {0, 0, 0, 0, 0, 0};
static const int32_t pwconv_f32_bw_input_tiled_min[] = {1, 1, 1, 1, 1, 0};
static const int32_t pwconv_f32_bw_input_tiled_max[] = {2147483647, 2147483647, 2147483647, 2147483647, 2147483647, 2147483647};
const qlr_op_spec_t qlr_pwconv_f32_bw_input_tiled_spec = {
    .name = "pwconv_f32_bw_input_tiled", .nparam = 6u, .ntensor = 3u,
    .param_names = pwconv_f32_bw_input_tiled_params, .tensor_names = pwconv_f32_bw_input_tiled_tensors, .param_f32 = pwconv_f32_bw_input_tiled_f32,
    .param_min = pwconv_f32_bw_input_tiled_min, .param_max = pwconv_f32_bw_input_tiled_max,
};

static const char *const pwconv_f32_bw_weight_params[] = {"n", "height", "width", "cin", "cout", "use_bias", "accumulate"};
static const char *const pwconv_f32_bw_weight_tensors[] = {"x", "dy", "dw", "db"};
static const uint8_t pwconv_f32_bw_weight_f32[] = {0, 0, 0, 0, 0, 0, 0};
static const int32_t pwconv_f32_bw_weight_min[] = {1, 1, 1, 1, 1, 0, 0};
static const int32_t pwconv_f32_bw_weight_max[] = {2147483647, 2147483647, 2147483647, 2147483647, 2147483647, 1, 1};
const qlr_op_spec_t qlr_pwconv_f32_bw_weight_spec = {
    .name = "pwconv_f32_bw_weight", .nparam = 7u, .ntensor = 4u,
    .param_names = pwconv_f32_bw_weight_params, .tensor_names = pwconv_f32_bw_weight_tensors, .param_f32 = pwconv_f32_bw_weight_f32,
    .param_min = pwconv_f32_bw_weight_min, .param_max = pwconv_f32_bw_weight_max,
};

static const char *const pwconv_f32_bw_weight_tiled_params[] = {"n", "height", "width", "cin", "cout", "use_bias", "accumulate", "l1_budget"};
static const char *const pwconv_f32_bw_weight_tiled_tensors[] = {"x", "dy", "dw", "db"};
static const uint8_t pwconv_f32_bw_weight_tiled_f32[] = {0, 0, 0, 0, 0, 0, 0, 0};
static const int32_t pwconv_f32_bw_weight_tiled_min[] = {1, 1, 1, 1, 1, 0, 0, 0};
static const int32_t pwconv_f32_bw_weight_tiled_max[] = {2147483647, 2147483647, 2147483647, 2147483647, 2147483647, 1, 1, 2147483647};
const qlr_op_spec_t qlr_pwconv_f32_bw_weight_tiled_spec = {
    .name = "pwconv_f32_bw_weight_tiled", .nparam = 8u, .ntensor = 4u,
    .param_names = pwconv_f32_bw_weight_tiled_params, .tensor_names = pwconv_f32_bw_weight_tiled_tensors, .param_f32 = pwconv_f32_bw_weight_tiled_f32,
    .param_min = pwconv_f32_bw_weight_tiled_min, .param_max = pwconv_f32_bw_weight_tiled_max,
};

static const char *const pwconv_f32_fw_params[] = {"n", "height", "width", "cin", "cout", "use_bias"};
static const char *const pwconv_f32_fw_tensors[] = {"x", "w", "b", "y"};
static const uint8_t pwconv_f32_fw_f32[] = {0, 0, 0, 0, 0, 0};
static const int32_t pwconv_f32_fw_min[] = {1, 1, 1, 1, 1, 0};
static const int32_t pwconv_f32_fw_max[] = {2147483647, 2147483647, 2147483647, 2147483647, 2147483647, 1};
const qlr_op_spec_t qlr_pwconv_f32_fw_spec = {
    .name = "pwconv_f32_fw", .nparam = 6u, .ntensor = 4u,
    .param_names = pwconv_f32_fw_params, .tensor_names = pwconv_f32_fw_tensors, .param_f32 = pwconv_f32_fw_f32,
    .param_min = pwconv_f32_fw_min, .param_max = pwconv_f32_fw_max,
};

static const char *const pwconv_f32_fw_tiled_params[] = {"n", "height", "width", "cin", "cout", "use_bias", "l1_budget"};
static const char *const pwconv_f32_fw_tiled_tensors[] = {"x", "w", "b", "y"};
static const uint8_t pwconv_f32_fw_tiled_f32[] = {0, 0, 0, 0, 0, 0, 0};
static const int32_t pwconv_f32_fw_tiled_min[] = {1, 1, 1, 1, 1, 0, 0};
static const int32_t pwconv_f32_fw_tiled_max[] = {2147483647, 2147483647, 2147483647, 2147483647, 2147483647, 1, 2147483647};
const qlr_op_spec_t qlr_pwconv_f32_fw_tiled_spec = {
    .name = "pwconv_f32_fw_tiled", .nparam = 7u, .ntensor = 4u,
    .param_names = pwconv_f32_fw_tiled_params, .tensor_names = pwconv_f32_fw_tiled_tensors, .param_f32 = pwconv_f32_fw_tiled_f32,
    .param_min = pwconv_f32_fw_tiled_min, .param_max = pwconv_f32_fw_tiled_max,
};

static const char *const pwconv_u8s8_params[] = {"n", "in_h", "in_w", "in_c", "out_c", "stride_h", "stride_w", "in_zp", "w_zp", "out_zp", "act_min", "act_max", "rq_channels"};
static const char *const pwconv_u8s8_tensors[] = {"x", "w", "bias", "mult", "shift", "y"};
static const uint8_t pwconv_u8s8_f32[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const int32_t pwconv_u8s8_min[] = {1, 1, 1, 1, 1, 1, 1, 0, -128, 0, 0, 0, 1};
static const int32_t pwconv_u8s8_max[] = {65535, 65535, 65535, 16777216, 16777216, 255, 255, 255, 127, 255, 255, 255, 16777216};
const qlr_op_spec_t qlr_pwconv_u8s8_spec = {
    .name = "pwconv_u8s8", .nparam = 13u, .ntensor = 6u,
    .param_names = pwconv_u8s8_params, .tensor_names = pwconv_u8s8_tensors, .param_f32 = pwconv_u8s8_f32,
    .param_min = pwconv_u8s8_min, .param_max = pwconv_u8s8_max,
};

static const char *const relu6_f32_bw_params[] = {"count"};
static const char *const relu6_f32_bw_tensors[] = {"dy", "y", "dx"};
static const uint8_t relu6_f32_bw_f32[] = {0};
static const int32_t relu6_f32_bw_min[] = {1};
static const int32_t relu6_f32_bw_max[] = {2147483647};
const qlr_op_spec_t qlr_relu6_f32_bw_spec = {
    .name = "relu6_f32_bw", .nparam = 1u, .ntensor = 3u,
    .param_names = relu6_f32_bw_params, .tensor_names = relu6_f32_bw_tensors, .param_f32 = relu6_f32_bw_f32,
    .param_min = relu6_f32_bw_min, .param_max = relu6_f32_bw_max,
};

static const char *const relu6_f32_fw_params[] = {"count"};
static const char *const relu6_f32_fw_tensors[] = {"x", "y"};
static const uint8_t relu6_f32_fw_f32[] = {0};
static const int32_t relu6_f32_fw_min[] = {1};
static const int32_t relu6_f32_fw_max[] = {2147483647};
const qlr_op_spec_t qlr_relu6_f32_fw_spec = {
    .name = "relu6_f32_fw", .nparam = 1u, .ntensor = 2u,
    .param_names = relu6_f32_fw_params, .tensor_names = relu6_f32_fw_tensors, .param_f32 = relu6_f32_fw_f32,
    .param_min = relu6_f32_fw_min, .param_max = relu6_f32_fw_max,
};

static const char *const relu_f32_bw_params[] = {"count"};
static const char *const relu_f32_bw_tensors[] = {"dy", "y", "dx"};
static const uint8_t relu_f32_bw_f32[] = {0};
static const int32_t relu_f32_bw_min[] = {1};
static const int32_t relu_f32_bw_max[] = {2147483647};
const qlr_op_spec_t qlr_relu_f32_bw_spec = {
    .name = "relu_f32_bw", .nparam = 1u, .ntensor = 3u,
    .param_names = relu_f32_bw_params, .tensor_names = relu_f32_bw_tensors, .param_f32 = relu_f32_bw_f32,
    .param_min = relu_f32_bw_min, .param_max = relu_f32_bw_max,
};

static const char *const relu_f32_fw_params[] = {"count"};
static const char *const relu_f32_fw_tensors[] = {"x", "y"};
static const uint8_t relu_f32_fw_f32[] = {0};
static const int32_t relu_f32_fw_min[] = {1};
static const int32_t relu_f32_fw_max[] = {2147483647};
const qlr_op_spec_t qlr_relu_f32_fw_spec = {
    .name = "relu_f32_fw", .nparam = 1u, .ntensor = 2u,
    .param_names = relu_f32_fw_params, .tensor_names = relu_f32_fw_tensors, .param_f32 = relu_f32_fw_f32,
    .param_min = relu_f32_fw_min, .param_max = relu_f32_fw_max,
};

static const char *const requant_u8_params[] = {"m", "channels", "out_zp", "act_min", "act_max", "rq_channels"};
static const char *const requant_u8_tensors[] = {"acc", "mult", "shift", "y"};
static const uint8_t requant_u8_f32[] = {0, 0, 0, 0, 0, 0};
static const int32_t requant_u8_min[] = {1, 1, 0, 0, 0, 1};
static const int32_t requant_u8_max[] = {2147483647, 16777216, 255, 255, 255, 16777216};
const qlr_op_spec_t qlr_requant_u8_spec = {
    .name = "requant_u8", .nparam = 6u, .ntensor = 4u,
    .param_names = requant_u8_params, .tensor_names = requant_u8_tensors, .param_f32 = requant_u8_f32,
    .param_min = requant_u8_min, .param_max = requant_u8_max,
};

static const char *const sgd_f32_params[] = {"count", "lr", "momentum", "weight_decay"};
static const char *const sgd_f32_tensors[] = {"w", "g", "v"};
static const uint8_t sgd_f32_f32[] = {0, 1, 1, 1};
static const int32_t sgd_f32_min[] = {1, (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1)};
static const int32_t sgd_f32_max[] = {2147483647, 2147483647, 2147483647, 2147483647};
const qlr_op_spec_t qlr_sgd_f32_spec = {
    .name = "sgd_f32", .nparam = 4u, .ntensor = 3u,
    .param_names = sgd_f32_params, .tensor_names = sgd_f32_tensors, .param_f32 = sgd_f32_f32,
    .param_min = sgd_f32_min, .param_max = sgd_f32_max,
};

static const char *const softmax_xent_f32_params[] = {"n", "classes"};
static const char *const softmax_xent_f32_tensors[] = {"logits", "labels", "dlogits", "row_loss", "loss"};
static const uint8_t softmax_xent_f32_f32[] = {0, 0};
static const int32_t softmax_xent_f32_min[] = {1, 1};
static const int32_t softmax_xent_f32_max[] = {2147483647, 2147483647};
const qlr_op_spec_t qlr_softmax_xent_f32_spec = {
    .name = "softmax_xent_f32", .nparam = 2u, .ntensor = 5u,
    .param_names = softmax_xent_f32_params, .tensor_names = softmax_xent_f32_tensors, .param_f32 = softmax_xent_f32_f32,
    .param_min = softmax_xent_f32_min, .param_max = softmax_xent_f32_max,
};

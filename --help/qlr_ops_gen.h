/* Generated from the op specs (host/qlr/kernels/ops_*.py) by qlr.codegen.ops_c: do not edit. */
#ifndef QLR_OPS_GEN_H
#define QLR_OPS_GEN_H

#include <stdint.h>
#include <string.h>

#include "qlr/op.h"

/* ---- add_u8 (int8) ---- */
extern const qlr_op_spec_t qlr_add_u8_spec;
#define QLR_ADD_U8_NPARAM 12u
#define QLR_ADD_U8_NTENSOR 3u
enum {
    QLR_ADD_U8_T_A = 0,
    QLR_ADD_U8_T_B = 1,
    QLR_ADD_U8_T_Y = 2,
};
typedef struct {
    int32_t n; /* [1, 65535] */
    int32_t h; /* [1, 65535] */
    int32_t w; /* [1, 65535] */
    int32_t c; /* [1, 16777216] */
    int32_t a_zp; /* [0, 255] */
    int32_t b_zp; /* [0, 255] */
    int32_t mult_a; /* [0, 2097151] */
    int32_t mult_b; /* [0, 2097151] */
    int32_t shift; /* [1, 31] */
    int32_t out_zp; /* [0, 255] */
    int32_t act_min; /* [0, 255] */
    int32_t act_max; /* [0, 255] */
} qlr_add_u8_params_t;
static inline qlr_add_u8_params_t qlr_add_u8_params(const qlr_op_call_t *c)
{
    qlr_add_u8_params_t p;
    p.n = c->param[0];
    p.h = c->param[1];
    p.w = c->param[2];
    p.c = c->param[3];
    p.a_zp = c->param[4];
    p.b_zp = c->param[5];
    p.mult_a = c->param[6];
    p.mult_b = c->param[7];
    p.shift = c->param[8];
    p.out_zp = c->param[9];
    p.act_min = c->param[10];
    p.act_max = c->param[11];
    return p;
}

/* ---- avgpool_f32_bw (f32) ---- */
extern const qlr_op_spec_t qlr_avgpool_f32_bw_spec;
#define QLR_AVGPOOL_F32_BW_NPARAM 12u
#define QLR_AVGPOOL_F32_BW_NTENSOR 2u
enum {
    QLR_AVGPOOL_F32_BW_T_DY = 0,
    QLR_AVGPOOL_F32_BW_T_DX = 1,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t height; /* [1, 2147483647] */
    int32_t width; /* [1, 2147483647] */
    int32_t c; /* [1, 2147483647] */
    int32_t kh; /* [1, 65535] */
    int32_t kw; /* [1, 65535] */
    int32_t sh; /* [1, 2147483647] */
    int32_t sw; /* [1, 2147483647] */
    int32_t pad_top; /* [0, 65535] */
    int32_t pad_bottom; /* [0, 65535] */
    int32_t pad_left; /* [0, 65535] */
    int32_t pad_right; /* [0, 65535] */
} qlr_avgpool_f32_bw_params_t;
static inline qlr_avgpool_f32_bw_params_t qlr_avgpool_f32_bw_params(const qlr_op_call_t *c)
{
    qlr_avgpool_f32_bw_params_t p;
    p.n = c->param[0];
    p.height = c->param[1];
    p.width = c->param[2];
    p.c = c->param[3];
    p.kh = c->param[4];
    p.kw = c->param[5];
    p.sh = c->param[6];
    p.sw = c->param[7];
    p.pad_top = c->param[8];
    p.pad_bottom = c->param[9];
    p.pad_left = c->param[10];
    p.pad_right = c->param[11];
    return p;
}

/* ---- avgpool_f32_fw (f32) ---- */
extern const qlr_op_spec_t qlr_avgpool_f32_fw_spec;
#define QLR_AVGPOOL_F32_FW_NPARAM 12u
#define QLR_AVGPOOL_F32_FW_NTENSOR 2u
enum {
    QLR_AVGPOOL_F32_FW_T_X = 0,
    QLR_AVGPOOL_F32_FW_T_Y = 1,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t height; /* [1, 2147483647] */
    int32_t width; /* [1, 2147483647] */
    int32_t c; /* [1, 2147483647] */
    int32_t kh; /* [1, 65535] */
    int32_t kw; /* [1, 65535] */
    int32_t sh; /* [1, 2147483647] */
    int32_t sw; /* [1, 2147483647] */
    int32_t pad_top; /* [0, 65535] */
    int32_t pad_bottom; /* [0, 65535] */
    int32_t pad_left; /* [0, 65535] */
    int32_t pad_right; /* [0, 65535] */
} qlr_avgpool_f32_fw_params_t;
static inline qlr_avgpool_f32_fw_params_t qlr_avgpool_f32_fw_params(const qlr_op_call_t *c)
{
    qlr_avgpool_f32_fw_params_t p;
    p.n = c->param[0];
    p.height = c->param[1];
    p.width = c->param[2];
    p.c = c->param[3];
    p.kh = c->param[4];
    p.kw = c->param[5];
    p.sh = c->param[6];
    p.sw = c->param[7];
    p.pad_top = c->param[8];
    p.pad_bottom = c->param[9];
    p.pad_left = c->param[10];
    p.pad_right = c->param[11];
    return p;
}

/* ---- avgpool_u8 (int8) ---- */
extern const qlr_op_spec_t qlr_avgpool_u8_spec;
#define QLR_AVGPOOL_U8_NPARAM 17u
#define QLR_AVGPOOL_U8_NTENSOR 4u
enum {
    QLR_AVGPOOL_U8_T_X = 0,
    QLR_AVGPOOL_U8_T_MULT = 1,
    QLR_AVGPOOL_U8_T_SHIFT = 2,
    QLR_AVGPOOL_U8_T_Y = 3,
};
typedef struct {
    int32_t n; /* [1, 65535] */
    int32_t in_h; /* [1, 65535] */
    int32_t in_w; /* [1, 65535] */
    int32_t c; /* [1, 16777216] */
    int32_t k_h; /* [0, 65535] */
    int32_t k_w; /* [0, 65535] */
    int32_t stride_h; /* [0, 65535] */
    int32_t stride_w; /* [0, 65535] */
    int32_t pad_top; /* [0, 255] */
    int32_t pad_bottom; /* [0, 255] */
    int32_t pad_left; /* [0, 255] */
    int32_t pad_right; /* [0, 255] */
    int32_t in_zp; /* [0, 255] */
    int32_t out_zp; /* [0, 255] */
    int32_t act_min; /* [0, 255] */
    int32_t act_max; /* [0, 255] */
    int32_t rq_channels; /* [1, 16777216] */
} qlr_avgpool_u8_params_t;
static inline qlr_avgpool_u8_params_t qlr_avgpool_u8_params(const qlr_op_call_t *c)
{
    qlr_avgpool_u8_params_t p;
    p.n = c->param[0];
    p.in_h = c->param[1];
    p.in_w = c->param[2];
    p.c = c->param[3];
    p.k_h = c->param[4];
    p.k_w = c->param[5];
    p.stride_h = c->param[6];
    p.stride_w = c->param[7];
    p.pad_top = c->param[8];
    p.pad_bottom = c->param[9];
    p.pad_left = c->param[10];
    p.pad_right = c->param[11];
    p.in_zp = c->param[12];
    p.out_zp = c->param[13];
    p.act_min = c->param[14];
    p.act_max = c->param[15];
    p.rq_channels = c->param[16];
    return p;
}

/* ---- conv2d_f32_bw_input (f32) ---- */
extern const qlr_op_spec_t qlr_conv2d_f32_bw_input_spec;
#define QLR_CONV2D_F32_BW_INPUT_NPARAM 14u
#define QLR_CONV2D_F32_BW_INPUT_NTENSOR 3u
enum {
    QLR_CONV2D_F32_BW_INPUT_T_DY = 0,
    QLR_CONV2D_F32_BW_INPUT_T_W = 1,
    QLR_CONV2D_F32_BW_INPUT_T_DX = 2,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t height; /* [1, 2147483647] */
    int32_t width; /* [1, 2147483647] */
    int32_t cin; /* [1, 2147483647] */
    int32_t kh; /* [1, 65535] */
    int32_t kw; /* [1, 65535] */
    int32_t sh; /* [1, 2147483647] */
    int32_t sw; /* [1, 2147483647] */
    int32_t pad_top; /* [0, 65535] */
    int32_t pad_bottom; /* [0, 65535] */
    int32_t pad_left; /* [0, 65535] */
    int32_t pad_right; /* [0, 65535] */
    int32_t cout; /* [1, 2147483647] */
    int32_t chunk_rows; /* [0, 2147483647] */
} qlr_conv2d_f32_bw_input_params_t;
static inline qlr_conv2d_f32_bw_input_params_t qlr_conv2d_f32_bw_input_params(const qlr_op_call_t *c)
{
    qlr_conv2d_f32_bw_input_params_t p;
    p.n = c->param[0];
    p.height = c->param[1];
    p.width = c->param[2];
    p.cin = c->param[3];
    p.kh = c->param[4];
    p.kw = c->param[5];
    p.sh = c->param[6];
    p.sw = c->param[7];
    p.pad_top = c->param[8];
    p.pad_bottom = c->param[9];
    p.pad_left = c->param[10];
    p.pad_right = c->param[11];
    p.cout = c->param[12];
    p.chunk_rows = c->param[13];
    return p;
}

/* ---- conv2d_f32_bw_weight (f32) ---- */
extern const qlr_op_spec_t qlr_conv2d_f32_bw_weight_spec;
#define QLR_CONV2D_F32_BW_WEIGHT_NPARAM 16u
#define QLR_CONV2D_F32_BW_WEIGHT_NTENSOR 4u
enum {
    QLR_CONV2D_F32_BW_WEIGHT_T_X = 0,
    QLR_CONV2D_F32_BW_WEIGHT_T_DY = 1,
    QLR_CONV2D_F32_BW_WEIGHT_T_DW = 2,
    QLR_CONV2D_F32_BW_WEIGHT_T_DB = 3,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t height; /* [1, 2147483647] */
    int32_t width; /* [1, 2147483647] */
    int32_t cin; /* [1, 2147483647] */
    int32_t kh; /* [1, 65535] */
    int32_t kw; /* [1, 65535] */
    int32_t sh; /* [1, 2147483647] */
    int32_t sw; /* [1, 2147483647] */
    int32_t pad_top; /* [0, 65535] */
    int32_t pad_bottom; /* [0, 65535] */
    int32_t pad_left; /* [0, 65535] */
    int32_t pad_right; /* [0, 65535] */
    int32_t cout; /* [1, 2147483647] */
    int32_t use_bias; /* [0, 1] */
    int32_t accumulate; /* [0, 1] */
    int32_t chunk_rows; /* [0, 2147483647] */
} qlr_conv2d_f32_bw_weight_params_t;
static inline qlr_conv2d_f32_bw_weight_params_t qlr_conv2d_f32_bw_weight_params(const qlr_op_call_t *c)
{
    qlr_conv2d_f32_bw_weight_params_t p;
    p.n = c->param[0];
    p.height = c->param[1];
    p.width = c->param[2];
    p.cin = c->param[3];
    p.kh = c->param[4];
    p.kw = c->param[5];
    p.sh = c->param[6];
    p.sw = c->param[7];
    p.pad_top = c->param[8];
    p.pad_bottom = c->param[9];
    p.pad_left = c->param[10];
    p.pad_right = c->param[11];
    p.cout = c->param[12];
    p.use_bias = c->param[13];
    p.accumulate = c->param[14];
    p.chunk_rows = c->param[15];
    return p;
}

/* ---- conv2d_f32_fw (f32) ---- */
extern const qlr_op_spec_t qlr_conv2d_f32_fw_spec;
#define QLR_CONV2D_F32_FW_NPARAM 15u
#define QLR_CONV2D_F32_FW_NTENSOR 4u
enum {
    QLR_CONV2D_F32_FW_T_X = 0,
    QLR_CONV2D_F32_FW_T_W = 1,
    QLR_CONV2D_F32_FW_T_B = 2,
    QLR_CONV2D_F32_FW_T_Y = 3,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t height; /* [1, 2147483647] */
    int32_t width; /* [1, 2147483647] */
    int32_t cin; /* [1, 2147483647] */
    int32_t kh; /* [1, 65535] */
    int32_t kw; /* [1, 65535] */
    int32_t sh; /* [1, 2147483647] */
    int32_t sw; /* [1, 2147483647] */
    int32_t pad_top; /* [0, 65535] */
    int32_t pad_bottom; /* [0, 65535] */
    int32_t pad_left; /* [0, 65535] */
    int32_t pad_right; /* [0, 65535] */
    int32_t cout; /* [1, 2147483647] */
    int32_t use_bias; /* [0, 1] */
    int32_t chunk_rows; /* [0, 2147483647] */
} qlr_conv2d_f32_fw_params_t;
static inline qlr_conv2d_f32_fw_params_t qlr_conv2d_f32_fw_params(const qlr_op_call_t *c)
{
    qlr_conv2d_f32_fw_params_t p;
    p.n = c->param[0];
    p.height = c->param[1];
    p.width = c->param[2];
    p.cin = c->param[3];
    p.kh = c->param[4];
    p.kw = c->param[5];
    p.sh = c->param[6];
    p.sw = c->param[7];
    p.pad_top = c->param[8];
    p.pad_bottom = c->param[9];
    p.pad_left = c->param[10];
    p.pad_right = c->param[11];
    p.cout = c->param[12];
    p.use_bias = c->param[13];
    p.chunk_rows = c->param[14];
    return p;
}

/* ---- conv2d_u8s8 (int8) ---- */
extern const qlr_op_spec_t qlr_conv2d_u8s8_spec;
#define QLR_CONV2D_U8S8_NPARAM 19u
#define QLR_CONV2D_U8S8_NTENSOR 6u
enum {
    QLR_CONV2D_U8S8_T_X = 0,
    QLR_CONV2D_U8S8_T_W = 1,
    QLR_CONV2D_U8S8_T_BIAS = 2,
    QLR_CONV2D_U8S8_T_MULT = 3,
    QLR_CONV2D_U8S8_T_SHIFT = 4,
    QLR_CONV2D_U8S8_T_Y = 5,
};
typedef struct {
    int32_t n; /* [1, 65535] */
    int32_t in_h; /* [1, 65535] */
    int32_t in_w; /* [1, 65535] */
    int32_t in_c; /* [1, 16777216] */
    int32_t out_c; /* [1, 16777216] */
    int32_t k_h; /* [1, 255] */
    int32_t k_w; /* [1, 255] */
    int32_t stride_h; /* [1, 255] */
    int32_t stride_w; /* [1, 255] */
    int32_t pad_top; /* [0, 255] */
    int32_t pad_bottom; /* [0, 255] */
    int32_t pad_left; /* [0, 255] */
    int32_t pad_right; /* [0, 255] */
    int32_t in_zp; /* [0, 255] */
    int32_t w_zp; /* [-128, 127] */
    int32_t out_zp; /* [0, 255] */
    int32_t act_min; /* [0, 255] */
    int32_t act_max; /* [0, 255] */
    int32_t rq_channels; /* [1, 16777216] */
} qlr_conv2d_u8s8_params_t;
static inline qlr_conv2d_u8s8_params_t qlr_conv2d_u8s8_params(const qlr_op_call_t *c)
{
    qlr_conv2d_u8s8_params_t p;
    p.n = c->param[0];
    p.in_h = c->param[1];
    p.in_w = c->param[2];
    p.in_c = c->param[3];
    p.out_c = c->param[4];
    p.k_h = c->param[5];
    p.k_w = c->param[6];
    p.stride_h = c->param[7];
    p.stride_w = c->param[8];
    p.pad_top = c->param[9];
    p.pad_bottom = c->param[10];
    p.pad_left = c->param[11];
    p.pad_right = c->param[12];
    p.in_zp = c->param[13];
    p.w_zp = c->param[14];
    p.out_zp = c->param[15];
    p.act_min = c->param[16];
    p.act_max = c->param[17];
    p.rq_channels = c->param[18];
    return p;
}

/* ---- dwconv2d_f32_bw_input (f32) ---- */
extern const qlr_op_spec_t qlr_dwconv2d_f32_bw_input_spec;
#define QLR_DWCONV2D_F32_BW_INPUT_NPARAM 12u
#define QLR_DWCONV2D_F32_BW_INPUT_NTENSOR 3u
enum {
    QLR_DWCONV2D_F32_BW_INPUT_T_DY = 0,
    QLR_DWCONV2D_F32_BW_INPUT_T_W = 1,
    QLR_DWCONV2D_F32_BW_INPUT_T_DX = 2,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t height; /* [1, 2147483647] */
    int32_t width; /* [1, 2147483647] */
    int32_t c; /* [1, 2147483647] */
    int32_t kh; /* [1, 65535] */
    int32_t kw; /* [1, 65535] */
    int32_t sh; /* [1, 2147483647] */
    int32_t sw; /* [1, 2147483647] */
    int32_t pad_top; /* [0, 65535] */
    int32_t pad_bottom; /* [0, 65535] */
    int32_t pad_left; /* [0, 65535] */
    int32_t pad_right; /* [0, 65535] */
} qlr_dwconv2d_f32_bw_input_params_t;
static inline qlr_dwconv2d_f32_bw_input_params_t qlr_dwconv2d_f32_bw_input_params(const qlr_op_call_t *c)
{
    qlr_dwconv2d_f32_bw_input_params_t p;
    p.n = c->param[0];
    p.height = c->param[1];
    p.width = c->param[2];
    p.c = c->param[3];
    p.kh = c->param[4];
    p.kw = c->param[5];
    p.sh = c->param[6];
    p.sw = c->param[7];
    p.pad_top = c->param[8];
    p.pad_bottom = c->param[9];
    p.pad_left = c->param[10];
    p.pad_right = c->param[11];
    return p;
}

/* ---- dwconv2d_f32_bw_weight (f32) ---- */
extern const qlr_op_spec_t qlr_dwconv2d_f32_bw_weight_spec;
#define QLR_DWCONV2D_F32_BW_WEIGHT_NPARAM 14u
#define QLR_DWCONV2D_F32_BW_WEIGHT_NTENSOR 4u
enum {
    QLR_DWCONV2D_F32_BW_WEIGHT_T_X = 0,
    QLR_DWCONV2D_F32_BW_WEIGHT_T_DY = 1,
    QLR_DWCONV2D_F32_BW_WEIGHT_T_DW = 2,
    QLR_DWCONV2D_F32_BW_WEIGHT_T_DB = 3,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t height; /* [1, 2147483647] */
    int32_t width; /* [1, 2147483647] */
    int32_t c; /* [1, 2147483647] */
    int32_t kh; /* [1, 65535] */
    int32_t kw; /* [1, 65535] */
    int32_t sh; /* [1, 2147483647] */
    int32_t sw; /* [1, 2147483647] */
    int32_t pad_top; /* [0, 65535] */
    int32_t pad_bottom; /* [0, 65535] */
    int32_t pad_left; /* [0, 65535] */
    int32_t pad_right; /* [0, 65535] */
    int32_t use_bias; /* [0, 1] */
    int32_t accumulate; /* [0, 1] */
} qlr_dwconv2d_f32_bw_weight_params_t;
static inline qlr_dwconv2d_f32_bw_weight_params_t qlr_dwconv2d_f32_bw_weight_params(const qlr_op_call_t *c)
{
    qlr_dwconv2d_f32_bw_weight_params_t p;
    p.n = c->param[0];
    p.height = c->param[1];
    p.width = c->param[2];
    p.c = c->param[3];
    p.kh = c->param[4];
    p.kw = c->param[5];
    p.sh = c->param[6];
    p.sw = c->param[7];
    p.pad_top = c->param[8];
    p.pad_bottom = c->param[9];
    p.pad_left = c->param[10];
    p.pad_right = c->param[11];
    p.use_bias = c->param[12];
    p.accumulate = c->param[13];
    return p;
}

/* ---- dwconv2d_f32_fw (f32) ---- */
extern const qlr_op_spec_t qlr_dwconv2d_f32_fw_spec;
#define QLR_DWCONV2D_F32_FW_NPARAM 13u
#define QLR_DWCONV2D_F32_FW_NTENSOR 4u
enum {
    QLR_DWCONV2D_F32_FW_T_X = 0,
    QLR_DWCONV2D_F32_FW_T_W = 1,
    QLR_DWCONV2D_F32_FW_T_B = 2,
    QLR_DWCONV2D_F32_FW_T_Y = 3,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t height; /* [1, 2147483647] */
    int32_t width; /* [1, 2147483647] */
    int32_t c; /* [1, 2147483647] */
    int32_t kh; /* [1, 65535] */
    int32_t kw; /* [1, 65535] */
    int32_t sh; /* [1, 2147483647] */
    int32_t sw; /* [1, 2147483647] */
    int32_t pad_top; /* [0, 65535] */
    int32_t pad_bottom; /* [0, 65535] */
    int32_t pad_left; /* [0, 65535] */
    int32_t pad_right; /* [0, 65535] */
    int32_t use_bias; /* [0, 1] */
} qlr_dwconv2d_f32_fw_params_t;
static inline qlr_dwconv2d_f32_fw_params_t qlr_dwconv2d_f32_fw_params(const qlr_op_call_t *c)
{
    qlr_dwconv2d_f32_fw_params_t p;
    p.n = c->param[0];
    p.height = c->param[1];
    p.width = c->param[2];
    p.c = c->param[3];
    p.kh = c->param[4];
    p.kw = c->param[5];
    p.sh = c->param[6];
    p.sw = c->param[7];
    p.pad_top = c->param[8];
    p.pad_bottom = c->param[9];
    p.pad_left = c->param[10];
    p.pad_right = c->param[11];
    p.use_bias = c->param[12];
    return p;
}

/* ---- dwconv2d_f32_fw_tiled (tiled) ---- */
extern const qlr_op_spec_t qlr_dwconv2d_f32_fw_tiled_spec;
#define QLR_DWCONV2D_F32_FW_TILED_NPARAM 14u
#define QLR_DWCONV2D_F32_FW_TILED_NTENSOR 4u
enum {
    QLR_DWCONV2D_F32_FW_TILED_T_X = 0,
    QLR_DWCONV2D_F32_FW_TILED_T_W = 1,
    QLR_DWCONV2D_F32_FW_TILED_T_B = 2,
    QLR_DWCONV2D_F32_FW_TILED_T_Y = 3,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t height; /* [1, 2147483647] */
    int32_t width; /* [1, 2147483647] */
    int32_t c; /* [1, 2147483647] */
    int32_t kh; /* [1, 65535] */
    int32_t kw; /* [1, 65535] */
    int32_t sh; /* [1, 2147483647] */
    int32_t sw; /* [1, 2147483647] */
    int32_t pad_top; /* [0, 65535] */
    int32_t pad_bottom; /* [0, 65535] */
    int32_t pad_left; /* [0, 65535] */
    int32_t pad_right; /* [0, 65535] */
    int32_t use_bias; /* [0, 1] */
    int32_t l1_budget; /* [0, 2147483647] */
} qlr_dwconv2d_f32_fw_tiled_params_t;
static inline qlr_dwconv2d_f32_fw_tiled_params_t qlr_dwconv2d_f32_fw_tiled_params(const qlr_op_call_t *c)
{
    qlr_dwconv2d_f32_fw_tiled_params_t p;
    p.n = c->param[0];
    p.height = c->param[1];
    p.width = c->param[2];
    p.c = c->param[3];
    p.kh = c->param[4];
    p.kw = c->param[5];
    p.sh = c->param[6];
    p.sw = c->param[7];
    p.pad_top = c->param[8];
    p.pad_bottom = c->param[9];
    p.pad_left = c->param[10];
    p.pad_right = c->param[11];
    p.use_bias = c->param[12];
    p.l1_budget = c->param[13];
    return p;
}

/* ---- dwconv2d_u8s8 (int8) ---- */
extern const qlr_op_spec_t qlr_dwconv2d_u8s8_spec;
#define QLR_DWCONV2D_U8S8_NPARAM 18u
#define QLR_DWCONV2D_U8S8_NTENSOR 6u
enum {
    QLR_DWCONV2D_U8S8_T_X = 0,
    QLR_DWCONV2D_U8S8_T_W = 1,
    QLR_DWCONV2D_U8S8_T_BIAS = 2,
    QLR_DWCONV2D_U8S8_T_MULT = 3,
    QLR_DWCONV2D_U8S8_T_SHIFT = 4,
    QLR_DWCONV2D_U8S8_T_Y = 5,
};
typedef struct {
    int32_t n; /* [1, 65535] */
    int32_t in_h; /* [1, 65535] */
    int32_t in_w; /* [1, 65535] */
    int32_t c; /* [1, 16777216] */
    int32_t k_h; /* [1, 255] */
    int32_t k_w; /* [1, 255] */
    int32_t stride_h; /* [1, 255] */
    int32_t stride_w; /* [1, 255] */
    int32_t pad_top; /* [0, 255] */
    int32_t pad_bottom; /* [0, 255] */
    int32_t pad_left; /* [0, 255] */
    int32_t pad_right; /* [0, 255] */
    int32_t in_zp; /* [0, 255] */
    int32_t w_zp; /* [-128, 127] */
    int32_t out_zp; /* [0, 255] */
    int32_t act_min; /* [0, 255] */
    int32_t act_max; /* [0, 255] */
    int32_t rq_channels; /* [1, 16777216] */
} qlr_dwconv2d_u8s8_params_t;
static inline qlr_dwconv2d_u8s8_params_t qlr_dwconv2d_u8s8_params(const qlr_op_call_t *c)
{
    qlr_dwconv2d_u8s8_params_t p;
    p.n = c->param[0];
    p.in_h = c->param[1];
    p.in_w = c->param[2];
    p.c = c->param[3];
    p.k_h = c->param[4];
    p.k_w = c->param[5];
    p.stride_h = c->param[6];
    p.stride_w = c->param[7];
    p.pad_top = c->param[8];
    p.pad_bottom = c->param[9];
    p.pad_left = c->param[10];
    p.pad_right = c->param[11];
    p.in_zp = c->param[12];
    p.w_zp = c->param[13];
    p.out_zp = c->param[14];
    p.act_min = c->param[15];
    p.act_max = c->param[16];
    p.rq_channels = c->param[17];
    return p;
}

/* ---- global_avgpool_f32_bw (f32) ---- */
extern const qlr_op_spec_t qlr_global_avgpool_f32_bw_spec;
#define QLR_GLOBAL_AVGPOOL_F32_BW_NPARAM 4u
#define QLR_GLOBAL_AVGPOOL_F32_BW_NTENSOR 2u
enum {
    QLR_GLOBAL_AVGPOOL_F32_BW_T_DY = 0,
    QLR_GLOBAL_AVGPOOL_F32_BW_T_DX = 1,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t height; /* [1, 2147483647] */
    int32_t width; /* [1, 2147483647] */
    int32_t c; /* [1, 2147483647] */
} qlr_global_avgpool_f32_bw_params_t;
static inline qlr_global_avgpool_f32_bw_params_t qlr_global_avgpool_f32_bw_params(const qlr_op_call_t *c)
{
    qlr_global_avgpool_f32_bw_params_t p;
    p.n = c->param[0];
    p.height = c->param[1];
    p.width = c->param[2];
    p.c = c->param[3];
    return p;
}

/* ---- global_avgpool_f32_fw (f32) ---- */
extern const qlr_op_spec_t qlr_global_avgpool_f32_fw_spec;
#define QLR_GLOBAL_AVGPOOL_F32_FW_NPARAM 4u
#define QLR_GLOBAL_AVGPOOL_F32_FW_NTENSOR 2u
enum {
    QLR_GLOBAL_AVGPOOL_F32_FW_T_X = 0,
    QLR_GLOBAL_AVGPOOL_F32_FW_T_Y = 1,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t height; /* [1, 2147483647] */
    int32_t width; /* [1, 2147483647] */
    int32_t c; /* [1, 2147483647] */
} qlr_global_avgpool_f32_fw_params_t;
static inline qlr_global_avgpool_f32_fw_params_t qlr_global_avgpool_f32_fw_params(const qlr_op_call_t *c)
{
    qlr_global_avgpool_f32_fw_params_t p;
    p.n = c->param[0];
    p.height = c->param[1];
    p.width = c->param[2];
    p.c = c->param[3];
    return p;
}

/* ---- linear_f32_bw_input (f32) ---- */
extern const qlr_op_spec_t qlr_linear_f32_bw_input_spec;
#define QLR_LINEAR_F32_BW_INPUT_NPARAM 3u
#define QLR_LINEAR_F32_BW_INPUT_NTENSOR 3u
enum {
    QLR_LINEAR_F32_BW_INPUT_T_DY = 0,
    QLR_LINEAR_F32_BW_INPUT_T_W = 1,
    QLR_LINEAR_F32_BW_INPUT_T_DX = 2,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t in_features; /* [1, 2147483647] */
    int32_t out_features; /* [1, 2147483647] */
} qlr_linear_f32_bw_input_params_t;
static inline qlr_linear_f32_bw_input_params_t qlr_linear_f32_bw_input_params(const qlr_op_call_t *c)
{
    qlr_linear_f32_bw_input_params_t p;
    p.n = c->param[0];
    p.in_features = c->param[1];
    p.out_features = c->param[2];
    return p;
}

/* ---- linear_f32_bw_input_tiled (tiled) ---- */
extern const qlr_op_spec_t qlr_linear_f32_bw_input_tiled_spec;
#define QLR_LINEAR_F32_BW_INPUT_TILED_NPARAM 4u
#define QLR_LINEAR_F32_BW_INPUT_TILED_NTENSOR 3u
enum {
    QLR_LINEAR_F32_BW_INPUT_TILED_T_DY = 0,
    QLR_LINEAR_F32_BW_INPUT_TILED_T_W = 1,
    QLR_LINEAR_F32_BW_INPUT_TILED_T_DX = 2,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t in_features; /* [1, 2147483647] */
    int32_t out_features; /* [1, 2147483647] */
    int32_t l1_budget; /* [0, 2147483647] */
} qlr_linear_f32_bw_input_tiled_params_t;
static inline qlr_linear_f32_bw_input_tiled_params_t qlr_linear_f32_bw_input_tiled_params(const qlr_op_call_t *c)
{
    qlr_linear_f32_bw_input_tiled_params_t p;
    p.n = c->param[0];
    p.in_features = c->param[1];
    p.out_features = c->param[2];
    p.l1_budget = c->param[3];
    return p;
}

/* ---- linear_f32_bw_weight (f32) ---- */
extern const qlr_op_spec_t qlr_linear_f32_bw_weight_spec;
#define QLR_LINEAR_F32_BW_WEIGHT_NPARAM 5u
#define QLR_LINEAR_F32_BW_WEIGHT_NTENSOR 4u
enum {
    QLR_LINEAR_F32_BW_WEIGHT_T_X = 0,
    QLR_LINEAR_F32_BW_WEIGHT_T_DY = 1,
    QLR_LINEAR_F32_BW_WEIGHT_T_DW = 2,
    QLR_LINEAR_F32_BW_WEIGHT_T_DB = 3,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t in_features; /* [1, 2147483647] */
    int32_t out_features; /* [1, 2147483647] */
    int32_t use_bias; /* [0, 1] */
    int32_t accumulate; /* [0, 1] */
} qlr_linear_f32_bw_weight_params_t;
static inline qlr_linear_f32_bw_weight_params_t qlr_linear_f32_bw_weight_params(const qlr_op_call_t *c)
{
    qlr_linear_f32_bw_weight_params_t p;
    p.n = c->param[0];
    p.in_features = c->param[1];
    p.out_features = c->param[2];
    p.use_bias = c->param[3];
    p.accumulate = c->param[4];
    return p;
}

/* ---- linear_f32_bw_weight_tiled (tiled) ---- */
extern const qlr_op_spec_t qlr_linear_f32_bw_weight_tiled_spec;
#define QLR_LINEAR_F32_BW_WEIGHT_TILED_NPARAM 6u
#define QLR_LINEAR_F32_BW_WEIGHT_TILED_NTENSOR 4u
enum {
    QLR_LINEAR_F32_BW_WEIGHT_TILED_T_X = 0,
    QLR_LINEAR_F32_BW_WEIGHT_TILED_T_DY = 1,
    QLR_LINEAR_F32_BW_WEIGHT_TILED_T_DW = 2,
    QLR_LINEAR_F32_BW_WEIGHT_TILED_T_DB = 3,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t in_features; /* [1, 2147483647] */
    int32_t out_features; /* [1, 2147483647] */
    int32_t use_bias; /* [0, 1] */
    int32_t accumulate; /* [0, 1] */
    int32_t l1_budget; /* [0, 2147483647] */
} qlr_linear_f32_bw_weight_tiled_params_t;
static inline qlr_linear_f32_bw_weight_tiled_params_t qlr_linear_f32_bw_weight_tiled_params(const qlr_op_call_t *c)
{
    qlr_linear_f32_bw_weight_tiled_params_t p;
    p.n = c->param[0];
    p.in_features = c->param[1];
    p.out_features = c->param[2];
    p.use_bias = c->param[3];
    p.accumulate = c->param[4];
    p.l1_budget = c->param[5];
    return p;
}

/* ---- linear_f32_fw (f32) ---- */
extern const qlr_op_spec_t qlr_linear_f32_fw_spec;
#define QLR_LINEAR_F32_FW_NPARAM 4u
#define QLR_LINEAR_F32_FW_NTENSOR 4u
enum {
    QLR_LINEAR_F32_FW_T_X = 0,
    QLR_LINEAR_F32_FW_T_W = 1,
    QLR_LINEAR_F32_FW_T_B = 2,
    QLR_LINEAR_F32_FW_T_Y = 3,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t in_features; /* [1, 2147483647] */
    int32_t out_features; /* [1, 2147483647] */
    int32_t use_bias; /* [0, 1] */
} qlr_linear_f32_fw_params_t;
static inline qlr_linear_f32_fw_params_t qlr_linear_f32_fw_params(const qlr_op_call_t *c)
{
    qlr_linear_f32_fw_params_t p;
    p.n = c->param[0];
    p.in_features = c->param[1];
    p.out_features = c->param[2];
    p.use_bias = c->param[3];
    return p;
}

/* ---- linear_f32_fw_tiled (tiled) ---- */
extern const qlr_op_spec_t qlr_linear_f32_fw_tiled_spec;
#define QLR_LINEAR_F32_FW_TILED_NPARAM 5u
#define QLR_LINEAR_F32_FW_TILED_NTENSOR 4u
enum {
    QLR_LINEAR_F32_FW_TILED_T_X = 0,
    QLR_LINEAR_F32_FW_TILED_T_W = 1,
    QLR_LINEAR_F32_FW_TILED_T_B = 2,
    QLR_LINEAR_F32_FW_TILED_T_Y = 3,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t in_features; /* [1, 2147483647] */
    int32_t out_features; /* [1, 2147483647] */
    int32_t use_bias; /* [0, 1] */
    int32_t l1_budget; /* [0, 2147483647] */
} qlr_linear_f32_fw_tiled_params_t;
static inline qlr_linear_f32_fw_tiled_params_t qlr_linear_f32_fw_tiled_params(const qlr_op_call_t *c)
{
    qlr_linear_f32_fw_tiled_params_t p;
    p.n = c->param[0];
    p.in_features = c->param[1];
    p.out_features = c->param[2];
    p.use_bias = c->param[3];
    p.l1_budget = c->param[4];
    return p;
}

/* ---- linear_u8s8 (int8) ---- */
extern const qlr_op_spec_t qlr_linear_u8s8_spec;
#define QLR_LINEAR_U8S8_NPARAM 9u
#define QLR_LINEAR_U8S8_NTENSOR 6u
enum {
    QLR_LINEAR_U8S8_T_X = 0,
    QLR_LINEAR_U8S8_T_W = 1,
    QLR_LINEAR_U8S8_T_BIAS = 2,
    QLR_LINEAR_U8S8_T_MULT = 3,
    QLR_LINEAR_U8S8_T_SHIFT = 4,
    QLR_LINEAR_U8S8_T_Y = 5,
};
typedef struct {
    int32_t n; /* [1, 65535] */
    int32_t in_f; /* [1, 16777216] */
    int32_t out_f; /* [1, 16777216] */
    int32_t in_zp; /* [0, 255] */
    int32_t w_zp; /* [-128, 127] */
    int32_t out_zp; /* [0, 255] */
    int32_t act_min; /* [0, 255] */
    int32_t act_max; /* [0, 255] */
    int32_t rq_channels; /* [1, 16777216] */
} qlr_linear_u8s8_params_t;
static inline qlr_linear_u8s8_params_t qlr_linear_u8s8_params(const qlr_op_call_t *c)
{
    qlr_linear_u8s8_params_t p;
    p.n = c->param[0];
    p.in_f = c->param[1];
    p.out_f = c->param[2];
    p.in_zp = c->param[3];
    p.w_zp = c->param[4];
    p.out_zp = c->param[5];
    p.act_min = c->param[6];
    p.act_max = c->param[7];
    p.rq_channels = c->param[8];
    return p;
}

/* ---- matmul_f32_nn (matmul) ---- */
extern const qlr_op_spec_t qlr_matmul_f32_nn_spec;
#define QLR_MATMUL_F32_NN_NPARAM 4u
#define QLR_MATMUL_F32_NN_NTENSOR 4u
enum {
    QLR_MATMUL_F32_NN_T_A = 0,
    QLR_MATMUL_F32_NN_T_B = 1,
    QLR_MATMUL_F32_NN_T_BIAS = 2,
    QLR_MATMUL_F32_NN_T_C = 3,
};
typedef struct {
    int32_t m; /* [1, 2147483647] */
    int32_t n; /* [1, 2147483647] */
    int32_t k; /* [1, 2147483647] */
    int32_t accumulate; /* [0, 1] */
} qlr_matmul_f32_nn_params_t;
static inline qlr_matmul_f32_nn_params_t qlr_matmul_f32_nn_params(const qlr_op_call_t *c)
{
    qlr_matmul_f32_nn_params_t p;
    p.m = c->param[0];
    p.n = c->param[1];
    p.k = c->param[2];
    p.accumulate = c->param[3];
    return p;
}

/* ---- matmul_f32_nt (matmul) ---- */
extern const qlr_op_spec_t qlr_matmul_f32_nt_spec;
#define QLR_MATMUL_F32_NT_NPARAM 4u
#define QLR_MATMUL_F32_NT_NTENSOR 4u
enum {
    QLR_MATMUL_F32_NT_T_A = 0,
    QLR_MATMUL_F32_NT_T_B = 1,
    QLR_MATMUL_F32_NT_T_BIAS = 2,
    QLR_MATMUL_F32_NT_T_C = 3,
};
typedef struct {
    int32_t m; /* [1, 2147483647] */
    int32_t n; /* [1, 2147483647] */
    int32_t k; /* [1, 2147483647] */
    int32_t accumulate; /* [0, 1] */
} qlr_matmul_f32_nt_params_t;
static inline qlr_matmul_f32_nt_params_t qlr_matmul_f32_nt_params(const qlr_op_call_t *c)
{
    qlr_matmul_f32_nt_params_t p;
    p.m = c->param[0];
    p.n = c->param[1];
    p.k = c->param[2];
    p.accumulate = c->param[3];
    return p;
}

/* ---- matmul_f32_tn (matmul) ---- */
extern const qlr_op_spec_t qlr_matmul_f32_tn_spec;
#define QLR_MATMUL_F32_TN_NPARAM 4u
#define QLR_MATMUL_F32_TN_NTENSOR 4u
enum {
    QLR_MATMUL_F32_TN_T_A = 0,
    QLR_MATMUL_F32_TN_T_B = 1,
    QLR_MATMUL_F32_TN_T_BIAS = 2,
    QLR_MATMUL_F32_TN_T_C = 3,
};
typedef struct {
    int32_t m; /* [1, 2147483647] */
    int32_t n; /* [1, 2147483647] */
    int32_t k; /* [1, 2147483647] */
    int32_t accumulate; /* [0, 1] */
} qlr_matmul_f32_tn_params_t;
static inline qlr_matmul_f32_tn_params_t qlr_matmul_f32_tn_params(const qlr_op_call_t *c)
{
    qlr_matmul_f32_tn_params_t p;
    p.m = c->param[0];
    p.n = c->param[1];
    p.k = c->param[2];
    p.accumulate = c->param[3];
    return p;
}

/* ---- pwconv_f32_bw_input (f32) ---- */
extern const qlr_op_spec_t qlr_pwconv_f32_bw_input_spec;
#define QLR_PWCONV_F32_BW_INPUT_NPARAM 5u
#define QLR_PWCONV_F32_BW_INPUT_NTENSOR 3u
enum {
    QLR_PWCONV_F32_BW_INPUT_T_DY = 0,
    QLR_PWCONV_F32_BW_INPUT_T_W = 1,
    QLR_PWCONV_F32_BW_INPUT_T_DX = 2,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t height; /* [1, 2147483647] */
    int32_t width; /* [1, 2147483647] */
    int32_t cin; /* [1, 2147483647] */
    int32_t cout; /* [1, 2147483647] */
} qlr_pwconv_f32_bw_input_params_t;
static inline qlr_pwconv_f32_bw_input_params_t qlr_pwconv_f32_bw_input_params(const qlr_op_call_t *c)
{
    qlr_pwconv_f32_bw_input_params_t p;
    p.n = c->param[0];
    p.height = c->param[1];
    p.width = c->param[2];
    p.cin = c->param[3];
    p.cout = c->param[4];
    return p;
}

/* ---- pwconv_f32_bw_input_tiled (tiled) ---- */
extern const qlr_op_spec_t qlr_pwconv_f32_bw_input_tiled_spec;
#define QLR_PWCONV_F32_BW_INPUT_TILED_NPARAM 6u
#define QLR_PWCONV_F32_BW_INPUT_TILED_NTENSOR 3u
enum {
    QLR_PWCONV_F32_BW_INPUT_TILED_T_DY = 0,
    QLR_PWCONV_F32_BW_INPUT_TILED_T_W = 1,
    QLR_PWCONV_F32_BW_INPUT_TILED_T_DX = 2,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t height; /* [1, 2147483647] */
    int32_t width; /* [1, 2147483647] */
    int32_t cin; /* [1, 2147483647] */
    int32_t cout; /* [1, 2147483647] */
    int32_t l1_budget; /* [0, 2147483647] */
} qlr_pwconv_f32_bw_input_tiled_params_t;
static inline qlr_pwconv_f32_bw_input_tiled_params_t qlr_pwconv_f32_bw_input_tiled_params(const qlr_op_call_t *c)
{
    qlr_pwconv_f32_bw_input_tiled_params_t p;
    p.n = c->param[0];
    p.height = c->param[1];
    p.width = c->param[2];
    p.cin = c->param[3];
    p.cout = c->param[4];
    p.l1_budget = c->param[5];
    return p;
}

/* ---- pwconv_f32_bw_weight (f32) ---- */
extern const qlr_op_spec_t qlr_pwconv_f32_bw_weight_spec;
#define QLR_PWCONV_F32_BW_WEIGHT_NPARAM 7u
#define QLR_PWCONV_F32_BW_WEIGHT_NTENSOR 4u
enum {
    QLR_PWCONV_F32_BW_WEIGHT_T_X = 0,
    QLR_PWCONV_F32_BW_WEIGHT_T_DY = 1,
    QLR_PWCONV_F32_BW_WEIGHT_T_DW = 2,
    QLR_PWCONV_F32_BW_WEIGHT_T_DB = 3,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t height; /* [1, 2147483647] */
    int32_t width; /* [1, 2147483647] */
    int32_t cin; /* [1, 2147483647] */
    int32_t cout; /* [1, 2147483647] */
    int32_t use_bias; /* [0, 1] */
    int32_t accumulate; /* [0, 1] */
} qlr_pwconv_f32_bw_weight_params_t;
static inline qlr_pwconv_f32_bw_weight_params_t qlr_pwconv_f32_bw_weight_params(const qlr_op_call_t *c)
{
    qlr_pwconv_f32_bw_weight_params_t p;
    p.n = c->param[0];
    p.height = c->param[1];
    p.width = c->param[2];
    p.cin = c->param[3];
    p.cout = c->param[4];
    p.use_bias = c->param[5];
    p.accumulate = c->param[6];
    return p;
}

/* ---- pwconv_f32_bw_weight_tiled (tiled) ---- */
extern const qlr_op_spec_t qlr_pwconv_f32_bw_weight_tiled_spec;
#define QLR_PWCONV_F32_BW_WEIGHT_TILED_NPARAM 8u
#define QLR_PWCONV_F32_BW_WEIGHT_TILED_NTENSOR 4u
enum {
    QLR_PWCONV_F32_BW_WEIGHT_TILED_T_X = 0,
    QLR_PWCONV_F32_BW_WEIGHT_TILED_T_DY = 1,
    QLR_PWCONV_F32_BW_WEIGHT_TILED_T_DW = 2,
    QLR_PWCONV_F32_BW_WEIGHT_TILED_T_DB = 3,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t height; /* [1, 2147483647] */
    int32_t width; /* [1, 2147483647] */
    int32_t cin; /* [1, 2147483647] */
    int32_t cout; /* [1, 2147483647] */
    int32_t use_bias; /* [0, 1] */
    int32_t accumulate; /* [0, 1] */
    int32_t l1_budget; /* [0, 2147483647] */
} qlr_pwconv_f32_bw_weight_tiled_params_t;
static inline qlr_pwconv_f32_bw_weight_tiled_params_t qlr_pwconv_f32_bw_weight_tiled_params(const qlr_op_call_t *c)
{
    qlr_pwconv_f32_bw_weight_tiled_params_t p;
    p.n = c->param[0];
    p.height = c->param[1];
    p.width = c->param[2];
    p.cin = c->param[3];
    p.cout = c->param[4];
    p.use_bias = c->param[5];
    p.accumulate = c->param[6];
    p.l1_budget = c->param[7];
    return p;
}

/* ---- pwconv_f32_fw (f32) ---- */
extern const qlr_op_spec_t qlr_pwconv_f32_fw_spec;
#define QLR_PWCONV_F32_FW_NPARAM 6u
#define QLR_PWCONV_F32_FW_NTENSOR 4u
enum {
    QLR_PWCONV_F32_FW_T_X = 0,
    QLR_PWCONV_F32_FW_T_W = 1,
    QLR_PWCONV_F32_FW_T_B = 2,
    QLR_PWCONV_F32_FW_T_Y = 3,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t height; /* [1, 2147483647] */
    int32_t width; /* [1, 2147483647] */
    int32_t cin; /* [1, 2147483647] */
    int32_t cout; /* [1, 2147483647] */
    int32_t use_bias; /* [0, 1] */
} qlr_pwconv_f32_fw_params_t;
static inline qlr_pwconv_f32_fw_params_t qlr_pwconv_f32_fw_params(const qlr_op_call_t *c)
{
    qlr_pwconv_f32_fw_params_t p;
    p.n = c->param[0];
    p.height = c->param[1];
    p.width = c->param[2];
    p.cin = c->param[3];
    p.cout = c->param[4];
    p.use_bias = c->param[5];
    return p;
}

/* ---- pwconv_f32_fw_tiled (tiled) ---- */
extern const qlr_op_spec_t qlr_pwconv_f32_fw_tiled_spec;
#define QLR_PWCONV_F32_FW_TILED_NPARAM 7u
#define QLR_PWCONV_F32_FW_TILED_NTENSOR 4u
enum {
    QLR_PWCONV_F32_FW_TILED_T_X = 0,
    QLR_PWCONV_F32_FW_TILED_T_W = 1,
    QLR_PWCONV_F32_FW_TILED_T_B = 2,
    QLR_PWCONV_F32_FW_TILED_T_Y = 3,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t height; /* [1, 2147483647] */
    int32_t width; /* [1, 2147483647] */
    int32_t cin; /* [1, 2147483647] */
    int32_t cout; /* [1, 2147483647] */
    int32_t use_bias; /* [0, 1] */
    int32_t l1_budget; /* [0, 2147483647] */
} qlr_pwconv_f32_fw_tiled_params_t;
static inline qlr_pwconv_f32_fw_tiled_params_t qlr_pwconv_f32_fw_tiled_params(const qlr_op_call_t *c)
{
    qlr_pwconv_f32_fw_tiled_params_t p;
    p.n = c->param[0];
    p.height = c->param[1];
    p.width = c->param[2];
    p.cin = c->param[3];
    p.cout = c->param[4];
    p.use_bias = c->param[5];
    p.l1_budget = c->param[6];
    return p;
}

/* ---- pwconv_u8s8 (int8) ---- */
extern const qlr_op_spec_t qlr_pwconv_u8s8_spec;
#define QLR_PWCONV_U8S8_NPARAM 13u
#define QLR_PWCONV_U8S8_NTENSOR 6u
enum {
    QLR_PWCONV_U8S8_T_X = 0,
    QLR_PWCONV_U8S8_T_W = 1,
    QLR_PWCONV_U8S8_T_BIAS = 2,
    QLR_PWCONV_U8S8_T_MULT = 3,
    QLR_PWCONV_U8S8_T_SHIFT = 4,
    QLR_PWCONV_U8S8_T_Y = 5,
};
typedef struct {
    int32_t n; /* [1, 65535] */
    int32_t in_h; /* [1, 65535] */
    int32_t in_w; /* [1, 65535] */
    int32_t in_c; /* [1, 16777216] */
    int32_t out_c; /* [1, 16777216] */
    int32_t stride_h; /* [1, 255] */
    int32_t stride_w; /* [1, 255] */
    int32_t in_zp; /* [0, 255] */
    int32_t w_zp; /* [-128, 127] */
    int32_t out_zp; /* [0, 255] */
    int32_t act_min; /* [0, 255] */
    int32_t act_max; /* [0, 255] */
    int32_t rq_channels; /* [1, 16777216] */
} qlr_pwconv_u8s8_params_t;
static inline qlr_pwconv_u8s8_params_t qlr_pwconv_u8s8_params(const qlr_op_call_t *c)
{
    qlr_pwconv_u8s8_params_t p;
    p.n = c->param[0];
    p.in_h = c->param[1];
    p.in_w = c->param[2];
    p.in_c = c->param[3];
    p.out_c = c->param[4];
    p.stride_h = c->param[5];
    p.stride_w = c->param[6];
    p.in_zp = c->param[7];
    p.w_zp = c->param[8];
    p.out_zp = c->param[9];
    p.act_min = c->param[10];
    p.act_max = c->param[11];
    p.rq_channels = c->param[12];
    return p;
}

/* ---- relu6_f32_bw (f32) ---- */
extern const qlr_op_spec_t qlr_relu6_f32_bw_spec;
#define QLR_RELU6_F32_BW_NPARAM 1u
#define QLR_RELU6_F32_BW_NTENSOR 3u
enum {
    QLR_RELU6_F32_BW_T_DY = 0,
    QLR_RELU6_F32_BW_T_Y = 1,
    QLR_RELU6_F32_BW_T_DX = 2,
};
typedef struct {
    int32_t count; /* [1, 2147483647] */
} qlr_relu6_f32_bw_params_t;
static inline qlr_relu6_f32_bw_params_t qlr_relu6_f32_bw_params(const qlr_op_call_t *c)
{
    qlr_relu6_f32_bw_params_t p;
    p.count = c->param[0];
    return p;
}

/* ---- relu6_f32_fw (f32) ---- */
extern const qlr_op_spec_t qlr_relu6_f32_fw_spec;
#define QLR_RELU6_F32_FW_NPARAM 1u
#define QLR_RELU6_F32_FW_NTENSOR 2u
enum {
    QLR_RELU6_F32_FW_T_X = 0,
    QLR_RELU6_F32_FW_T_Y = 1,
};
typedef struct {
    int32_t count; /* [1, 2147483647] */
} qlr_relu6_f32_fw_params_t;
static inline qlr_relu6_f32_fw_params_t qlr_relu6_f32_fw_params(const qlr_op_call_t *c)
{
    qlr_relu6_f32_fw_params_t p;
    p.count = c->param[0];
    return p;
}

/* ---- relu_f32_bw (f32) ---- */
extern const qlr_op_spec_t qlr_relu_f32_bw_spec;
#define QLR_RELU_F32_BW_NPARAM 1u
#define QLR_RELU_F32_BW_NTENSOR 3u
enum {
    QLR_RELU_F32_BW_T_DY = 0,
    QLR_RELU_F32_BW_T_Y = 1,
    QLR_RELU_F32_BW_T_DX = 2,
};
typedef struct {
    int32_t count; /* [1, 2147483647] */
} qlr_relu_f32_bw_params_t;
static inline qlr_relu_f32_bw_params_t qlr_relu_f32_bw_params(const qlr_op_call_t *c)
{
    qlr_relu_f32_bw_params_t p;
    p.count = c->param[0];
    return p;
}

/* ---- relu_f32_fw (f32) ---- */
extern const qlr_op_spec_t qlr_relu_f32_fw_spec;
#define QLR_RELU_F32_FW_NPARAM 1u
#define QLR_RELU_F32_FW_NTENSOR 2u
enum {
    QLR_RELU_F32_FW_T_X = 0,
    QLR_RELU_F32_FW_T_Y = 1,
};
typedef struct {
    int32_t count; /* [1, 2147483647] */
} qlr_relu_f32_fw_params_t;
static inline qlr_relu_f32_fw_params_t qlr_relu_f32_fw_params(const qlr_op_call_t *c)
{
    qlr_relu_f32_fw_params_t p;
    p.count = c->param[0];
    return p;
}

/* ---- requant_u8 (int8) ---- */
extern const qlr_op_spec_t qlr_requant_u8_spec;
#define QLR_REQUANT_U8_NPARAM 6u
#define QLR_REQUANT_U8_NTENSOR 4u
enum {
    QLR_REQUANT_U8_T_ACC = 0,
    QLR_REQUANT_U8_T_MULT = 1,
    QLR_REQUANT_U8_T_SHIFT = 2,
    QLR_REQUANT_U8_T_Y = 3,
};
typedef struct {
    int32_t m; /* [1, 2147483647] */
    int32_t channels; /* [1, 16777216] */
    int32_t out_zp; /* [0, 255] */
    int32_t act_min; /* [0, 255] */
    int32_t act_max; /* [0, 255] */
    int32_t rq_channels; /* [1, 16777216] */
} qlr_requant_u8_params_t;
static inline qlr_requant_u8_params_t qlr_requant_u8_params(const qlr_op_call_t *c)
{
    qlr_requant_u8_params_t p;
    p.m = c->param[0];
    p.channels = c->param[1];
    p.out_zp = c->param[2];
    p.act_min = c->param[3];
    p.act_max = c->param[4];
    p.rq_channels = c->param[5];
    return p;
}

/* ---- sgd_f32 (f32) ---- */
extern const qlr_op_spec_t qlr_sgd_f32_spec;
#define QLR_SGD_F32_NPARAM 4u
#define QLR_SGD_F32_NTENSOR 3u
enum {
    QLR_SGD_F32_T_W = 0,
    QLR_SGD_F32_T_G = 1,
    QLR_SGD_F32_T_V = 2,
};
typedef struct {
    int32_t count; /* [1, 2147483647] */
    float lr;
    float momentum;
    float weight_decay;
} qlr_sgd_f32_params_t;
static inline qlr_sgd_f32_params_t qlr_sgd_f32_params(const qlr_op_call_t *c)
{
    qlr_sgd_f32_params_t p;
    p.count = c->param[0];
    memcpy(&p.lr, &c->param[1], sizeof p.lr);
    memcpy(&p.momentum, &c->param[2], sizeof p.momentum);
    memcpy(&p.weight_decay, &c->param[3], sizeof p.weight_decay);
    return p;
}

/* ---- softmax_xent_f32 (f32) ---- */
extern const qlr_op_spec_t qlr_softmax_xent_f32_spec;
#define QLR_SOFTMAX_XENT_F32_NPARAM 2u
#define QLR_SOFTMAX_XENT_F32_NTENSOR 5u
enum {
    QLR_SOFTMAX_XENT_F32_T_LOGITS = 0,
    QLR_SOFTMAX_XENT_F32_T_LABELS = 1,
    QLR_SOFTMAX_XENT_F32_T_DLOGITS = 2,
    QLR_SOFTMAX_XENT_F32_T_ROW_LOSS = 3,
    QLR_SOFTMAX_XENT_F32_T_LOSS = 4,
};
typedef struct {
    int32_t n; /* [1, 2147483647] */
    int32_t classes; /* [1, 2147483647] */
} qlr_softmax_xent_f32_params_t;
static inline qlr_softmax_xent_f32_params_t qlr_softmax_xent_f32_params(const qlr_op_call_t *c)
{
    qlr_softmax_xent_f32_params_t p;
    p.n = c->param[0];
    p.classes = c->param[1];
    return p;
}

#endif /* QLR_OPS_GEN_H */

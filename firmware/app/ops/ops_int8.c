/*
 * Ops of the int8 family (qlr/op.h, docs/kernels.md): the int8 front-end kernels of
 * qlr/kernels_int8.h, plus requant_u8 (the requantization alone, for its edge cases).
 *
 * Parameters come by name from the generated qlr_<op>_params() (qlr_ops_gen.h, from the host's
 * specs), already within their ranges (qlr_op_check_params). The checks here cover the rest: the
 * window geometry, every tensor's size, the requantization arrays (first bad entry), act_min <=
 * act_max, and the int32 accumulator bound (first channel); each message names the field. The
 * checks and the parallel run they share are in ops_int8_common.c.
 *
 * Every conv/linear op takes the RAW bias (as the image and the golden model do). With a
 * non-zero input zero point the op folds it first (in parallel, inside the timed run: part of
 * what the layer costs when the bias is not folded at load time); with in_zp = 0 the raw bias is
 * the folded one. Scratch (folded bias, im2col, centred weights) goes in L1 when it fits, else in
 * the free L2 after the tensors.
 */
#include <stddef.h>

#include "ops_int8_common.h"
#include "qlr/kernel.h"
#include "qlr/kernels_int8.h"
#include "qlr/op.h"
#include "qlr_ops_gen.h"

#define prod4 qlr_int8_op_prod4

/* ---- conv2d_u8s8 ------------------------------------------------------------------------- */

static const char *conv_args(const qlr_op_call_t *c, qlr_conv2d_u8s8_args_t *a)
{
    const qlr_conv2d_u8s8_params_t p = qlr_conv2d_u8s8_params(c);
    const char *e;
    uint32_t oh, ow;
    if ((e = qlr_int8_op_check_cores(c)) || (e = qlr_int8_op_window(&QLR_INT8_WINDOW_OF(p), &oh, &ow))) {
        return e;
    }
    if ((e = qlr_op_expect_bytes(c, QLR_CONV2D_U8S8_T_X, prod4((uint64_t)p.n, (uint64_t)p.in_h, (uint64_t)p.in_w,
                                                               (uint64_t)p.in_c))) ||
        (e = qlr_op_expect_bytes(c, QLR_CONV2D_U8S8_T_W, prod4((uint64_t)p.out_c, (uint64_t)p.k_h, (uint64_t)p.k_w,
                                                               (uint64_t)p.in_c))) ||
        (e = qlr_op_expect_bytes(c, QLR_CONV2D_U8S8_T_BIAS, 4u * (uint64_t)p.out_c)) ||
        (e = qlr_op_expect_bytes(c, QLR_CONV2D_U8S8_T_Y, prod4((uint64_t)p.n, oh, ow, (uint64_t)p.out_c)))) {
        return e;
    }
    *a = (qlr_conv2d_u8s8_args_t){
        .x = c->tensor[QLR_CONV2D_U8S8_T_X], .w = (const int8_t *)c->tensor[QLR_CONV2D_U8S8_T_W],
        .bias = (const int32_t *)(void *)c->tensor[QLR_CONV2D_U8S8_T_BIAS], .y = c->tensor[QLR_CONV2D_U8S8_T_Y],
        .n = (uint32_t)p.n, .in_h = (uint32_t)p.in_h, .in_w = (uint32_t)p.in_w, .in_c = (uint32_t)p.in_c,
        .out_c = (uint32_t)p.out_c, .k_h = (uint32_t)p.k_h, .k_w = (uint32_t)p.k_w, .stride_h = (uint32_t)p.stride_h,
        .stride_w = (uint32_t)p.stride_w, .pad_top = (uint32_t)p.pad_top, .pad_bottom = (uint32_t)p.pad_bottom,
        .pad_left = (uint32_t)p.pad_left, .pad_right = (uint32_t)p.pad_right, .in_zp = p.in_zp, .w_zp = p.w_zp};
    return qlr_int8_op_requant(c, p.out_zp, p.act_min, p.act_max, p.rq_channels, a->out_c, QLR_CONV2D_U8S8_T_MULT,
                               &a->rq);
}

static qlr_int8_fold_t conv_fold(const qlr_conv2d_u8s8_args_t *a)
{
    return (qlr_int8_fold_t){.w = a->w, .bias = a->bias, .channels = a->out_c, .taps = a->k_h * a->k_w * a->in_c,
                             .depthwise = 0, .in_zp = a->in_zp, .w_zp = a->w_zp};
}

static size_t conv_scratch(const qlr_op_call_t *c, const qlr_conv2d_u8s8_args_t *a)
{
    const qlr_int8_fold_t f = conv_fold(a);
    return qlr_int8_op_fold_bytes(&f) + qlr_conv2d_u8s8_scratch_size(a, c->cores);
}

static const char *conv_check(const qlr_op_call_t *c)
{
    qlr_conv2d_u8s8_args_t a;
    const char *e = conv_args(c, &a);
    if (e != NULL) {
        return e;
    }
    const qlr_int8_fold_t f = conv_fold(&a);
    return qlr_int8_op_check_weighted(c, conv_scratch(c, &a), &f);
}

static uint64_t conv_macs(const qlr_op_call_t *c)
{
    qlr_conv2d_u8s8_args_t a;
    uint32_t oh, ow;
    if (conv_args(c, &a) != NULL || qlr_int8_op_window(&QLR_INT8_WINDOW_OF(a), &oh, &ow) != NULL) {
        return 0u; /* not reached: the call was checked before */
    }
    return prod4(a.n, oh, ow, a.out_c) * ((uint64_t)a.k_h * a.k_w * a.in_c);
}

static qlr_status_t conv_run(const qlr_op_call_t *c)
{
    qlr_int8_job_t j = {.kernel = QLR_I8_CONV, .bias_eff = NULL}; /* qlr_int8_op_fold() adds the folding */
    qlr_conv2d_u8s8_args_t *a = &j.u.conv;
    if (conv_args(c, a) != NULL) {
        return QLR_E_ARG;
    }
    const qlr_int8_fold_t f = conv_fold(a);
    uint8_t *s = qlr_int8_op_scratch(c, conv_scratch(c, a));
    a->bias = qlr_int8_op_fold(&j, &f, s);
    a->scratch = s + qlr_int8_op_fold_bytes(&f);
    a->scratch_size = qlr_conv2d_u8s8_scratch_size(a, c->cores);
    return qlr_int8_op_run_job(c, &j);
}

/* ---- dwconv2d_u8s8 ----------------------------------------------------------------------- */

static const char *dw_args(const qlr_op_call_t *c, qlr_dwconv2d_u8s8_args_t *a)
{
    const qlr_dwconv2d_u8s8_params_t p = qlr_dwconv2d_u8s8_params(c);
    const char *e;
    uint32_t oh, ow;
    if ((e = qlr_int8_op_check_cores(c)) || (e = qlr_int8_op_window(&QLR_INT8_WINDOW_OF(p), &oh, &ow))) {
        return e;
    }
    const uint64_t ch = (uint64_t)p.c;
    if ((e = qlr_op_expect_bytes(c, QLR_DWCONV2D_U8S8_T_X, prod4((uint64_t)p.n, (uint64_t)p.in_h, (uint64_t)p.in_w,
                                                                 ch))) ||
        (e = qlr_op_expect_bytes(c, QLR_DWCONV2D_U8S8_T_W, prod4(1u, (uint64_t)p.k_h, (uint64_t)p.k_w, ch))) ||
        (e = qlr_op_expect_bytes(c, QLR_DWCONV2D_U8S8_T_BIAS, 4u * ch)) ||
        (e = qlr_op_expect_bytes(c, QLR_DWCONV2D_U8S8_T_Y, prod4((uint64_t)p.n, oh, ow, ch)))) {
        return e;
    }
    *a = (qlr_dwconv2d_u8s8_args_t){
        .x = c->tensor[QLR_DWCONV2D_U8S8_T_X], .w = (const int8_t *)c->tensor[QLR_DWCONV2D_U8S8_T_W],
        .bias = (const int32_t *)(void *)c->tensor[QLR_DWCONV2D_U8S8_T_BIAS], .y = c->tensor[QLR_DWCONV2D_U8S8_T_Y],
        .n = (uint32_t)p.n, .in_h = (uint32_t)p.in_h, .in_w = (uint32_t)p.in_w, .c = (uint32_t)p.c,
        .k_h = (uint32_t)p.k_h, .k_w = (uint32_t)p.k_w, .stride_h = (uint32_t)p.stride_h,
        .stride_w = (uint32_t)p.stride_w, .pad_top = (uint32_t)p.pad_top, .pad_bottom = (uint32_t)p.pad_bottom,
        .pad_left = (uint32_t)p.pad_left, .pad_right = (uint32_t)p.pad_right, .in_zp = p.in_zp, .w_zp = p.w_zp};
    return qlr_int8_op_requant(c, p.out_zp, p.act_min, p.act_max, p.rq_channels, a->c, QLR_DWCONV2D_U8S8_T_MULT,
                               &a->rq);
}

static qlr_int8_fold_t dw_fold(const qlr_dwconv2d_u8s8_args_t *a)
{
    return (qlr_int8_fold_t){.w = a->w, .bias = a->bias, .channels = a->c, .taps = a->k_h * a->k_w, .depthwise = 1,
                             .in_zp = a->in_zp, .w_zp = a->w_zp};
}

static size_t dw_scratch(const qlr_op_call_t *c, const qlr_dwconv2d_u8s8_args_t *a)
{
    const qlr_int8_fold_t f = dw_fold(a);
    return qlr_int8_op_fold_bytes(&f) + qlr_dwconv2d_u8s8_scratch_size(a, c->cores);
}

static const char *dw_check(const qlr_op_call_t *c)
{
    qlr_dwconv2d_u8s8_args_t a;
    const char *e = dw_args(c, &a);
    if (e != NULL) {
        return e;
    }
    const qlr_int8_fold_t f = dw_fold(&a);
    return qlr_int8_op_check_weighted(c, dw_scratch(c, &a), &f);
}

static uint64_t dw_macs(const qlr_op_call_t *c)
{
    qlr_dwconv2d_u8s8_args_t a;
    uint32_t oh, ow;
    if (dw_args(c, &a) != NULL || qlr_int8_op_window(&QLR_INT8_WINDOW_OF(a), &oh, &ow) != NULL) {
        return 0u; /* not reached: the call was checked before */
    }
    return prod4(a.n, oh, ow, a.c) * ((uint64_t)a.k_h * a.k_w);
}

static qlr_status_t dw_run(const qlr_op_call_t *c)
{
    qlr_int8_job_t j = {.kernel = QLR_I8_DW, .bias_eff = NULL}; /* qlr_int8_op_fold() adds the folding */
    qlr_dwconv2d_u8s8_args_t *a = &j.u.dw;
    if (dw_args(c, a) != NULL) {
        return QLR_E_ARG;
    }
    const qlr_int8_fold_t f = dw_fold(a);
    uint8_t *s = qlr_int8_op_scratch(c, dw_scratch(c, a));
    a->bias = qlr_int8_op_fold(&j, &f, s);
    a->scratch = s + qlr_int8_op_fold_bytes(&f);
    a->scratch_size = qlr_dwconv2d_u8s8_scratch_size(a, c->cores);
    return qlr_int8_op_run_job(c, &j);
}

/* ---- pwconv_u8s8 and linear_u8s8: scratch only for the folded bias ------------------------- */

/* The bias the kernel uses of an op whose only scratch is its folded bias (pwconv, linear). */
static const int32_t *fold_only_bias(const qlr_op_call_t *c, qlr_int8_job_t *j, const qlr_int8_fold_t *f)
{
    return qlr_int8_op_fold(j, f, qlr_int8_op_scratch(c, qlr_int8_op_fold_bytes(f)));
}

static const char *pw_args(const qlr_op_call_t *c, qlr_pwconv_u8s8_args_t *a)
{
    const qlr_pwconv_u8s8_params_t p = qlr_pwconv_u8s8_params(c);
    const uint64_t oh = ((uint64_t)p.in_h - 1u) / (uint64_t)p.stride_h + 1u;
    const uint64_t ow = ((uint64_t)p.in_w - 1u) / (uint64_t)p.stride_w + 1u;
    const char *e;
    if ((e = qlr_int8_op_check_cores(c)) ||
        (e = qlr_op_expect_bytes(c, QLR_PWCONV_U8S8_T_X, prod4((uint64_t)p.n, (uint64_t)p.in_h, (uint64_t)p.in_w,
                                                               (uint64_t)p.in_c))) ||
        (e = qlr_op_expect_bytes(c, QLR_PWCONV_U8S8_T_W, qlr_mul_sat64((uint64_t)p.out_c, (uint64_t)p.in_c))) ||
        (e = qlr_op_expect_bytes(c, QLR_PWCONV_U8S8_T_BIAS, 4u * (uint64_t)p.out_c)) ||
        (e = qlr_op_expect_bytes(c, QLR_PWCONV_U8S8_T_Y, prod4((uint64_t)p.n, oh, ow, (uint64_t)p.out_c)))) {
        return e;
    }
    *a = (qlr_pwconv_u8s8_args_t){
        .x = c->tensor[QLR_PWCONV_U8S8_T_X], .w = (const int8_t *)c->tensor[QLR_PWCONV_U8S8_T_W],
        .bias = (const int32_t *)(void *)c->tensor[QLR_PWCONV_U8S8_T_BIAS], .y = c->tensor[QLR_PWCONV_U8S8_T_Y],
        .n = (uint32_t)p.n, .in_h = (uint32_t)p.in_h, .in_w = (uint32_t)p.in_w, .in_c = (uint32_t)p.in_c,
        .out_c = (uint32_t)p.out_c, .stride_h = (uint32_t)p.stride_h, .stride_w = (uint32_t)p.stride_w,
        .in_zp = p.in_zp, .w_zp = p.w_zp};
    return qlr_int8_op_requant(c, p.out_zp, p.act_min, p.act_max, p.rq_channels, a->out_c, QLR_PWCONV_U8S8_T_MULT,
                               &a->rq);
}

static qlr_int8_fold_t pw_fold(const qlr_pwconv_u8s8_args_t *a)
{
    return (qlr_int8_fold_t){.w = a->w, .bias = a->bias, .channels = a->out_c, .taps = a->in_c, .depthwise = 0,
                             .in_zp = a->in_zp, .w_zp = a->w_zp};
}

static const char *pw_check(const qlr_op_call_t *c)
{
    qlr_pwconv_u8s8_args_t a;
    const char *e = pw_args(c, &a);
    if (e != NULL) {
        return e;
    }
    const qlr_int8_fold_t f = pw_fold(&a);
    return qlr_int8_op_check_weighted(c, qlr_int8_op_fold_bytes(&f), &f);
}

static uint64_t pw_macs(const qlr_op_call_t *c)
{
    qlr_pwconv_u8s8_args_t a;
    if (pw_args(c, &a) != NULL) {
        return 0u; /* not reached: the call was checked before */
    }
    uint64_t oh = (a.in_h - 1u) / a.stride_h + 1u, ow = (a.in_w - 1u) / a.stride_w + 1u;
    return prod4(a.n, oh, ow, a.out_c) * a.in_c;
}

static qlr_status_t pw_run(const qlr_op_call_t *c)
{
    qlr_int8_job_t j = {.kernel = QLR_I8_PW, .bias_eff = NULL}; /* qlr_int8_op_fold() adds the folding */
    if (pw_args(c, &j.u.pw) != NULL) {
        return QLR_E_ARG;
    }
    const qlr_int8_fold_t f = pw_fold(&j.u.pw);
    j.u.pw.bias = fold_only_bias(c, &j, &f);
    return qlr_int8_op_run_job(c, &j);
}

static const char *linear_args(const qlr_op_call_t *c, qlr_linear_u8s8_args_t *a)
{
    const qlr_linear_u8s8_params_t p = qlr_linear_u8s8_params(c);
    const uint64_t n = (uint64_t)p.n, in = (uint64_t)p.in_f, out = (uint64_t)p.out_f;
    const char *e;
    if ((e = qlr_int8_op_check_cores(c)) || (e = qlr_op_expect_bytes(c, QLR_LINEAR_U8S8_T_X, qlr_mul_sat64(n, in))) ||
        (e = qlr_op_expect_bytes(c, QLR_LINEAR_U8S8_T_W, qlr_mul_sat64(out, in))) ||
        (e = qlr_op_expect_bytes(c, QLR_LINEAR_U8S8_T_BIAS, 4u * out)) ||
        (e = qlr_op_expect_bytes(c, QLR_LINEAR_U8S8_T_Y, qlr_mul_sat64(n, out)))) {
        return e;
    }
    *a = (qlr_linear_u8s8_args_t){
        .x = c->tensor[QLR_LINEAR_U8S8_T_X], .w = (const int8_t *)c->tensor[QLR_LINEAR_U8S8_T_W],
        .bias = (const int32_t *)(void *)c->tensor[QLR_LINEAR_U8S8_T_BIAS], .y = c->tensor[QLR_LINEAR_U8S8_T_Y],
        .n = (uint32_t)p.n, .in_f = (uint32_t)p.in_f, .out_f = (uint32_t)p.out_f, .in_zp = p.in_zp, .w_zp = p.w_zp};
    return qlr_int8_op_requant(c, p.out_zp, p.act_min, p.act_max, p.rq_channels, a->out_f, QLR_LINEAR_U8S8_T_MULT,
                               &a->rq);
}

static qlr_int8_fold_t linear_fold(const qlr_linear_u8s8_args_t *a)
{
    return (qlr_int8_fold_t){.w = a->w, .bias = a->bias, .channels = a->out_f, .taps = a->in_f, .depthwise = 0,
                             .in_zp = a->in_zp, .w_zp = a->w_zp};
}

static const char *linear_check(const qlr_op_call_t *c)
{
    qlr_linear_u8s8_args_t a;
    const char *e = linear_args(c, &a);
    if (e != NULL) {
        return e;
    }
    const qlr_int8_fold_t f = linear_fold(&a);
    return qlr_int8_op_check_weighted(c, qlr_int8_op_fold_bytes(&f), &f);
}

static uint64_t linear_macs(const qlr_op_call_t *c)
{
    const qlr_linear_u8s8_params_t p = qlr_linear_u8s8_params(c);
    return (uint64_t)p.n * (uint64_t)p.in_f * (uint64_t)p.out_f;
}

static qlr_status_t linear_run(const qlr_op_call_t *c)
{
    qlr_int8_job_t j = {.kernel = QLR_I8_LINEAR, .bias_eff = NULL}; /* qlr_int8_op_fold() adds the folding */
    if (linear_args(c, &j.u.linear) != NULL) {
        return QLR_E_ARG;
    }
    const qlr_int8_fold_t f = linear_fold(&j.u.linear);
    j.u.linear.bias = fold_only_bias(c, &j, &f);
    return qlr_int8_op_run_job(c, &j);
}

/* ---- avgpool_u8: k = 0 is the whole input (global pooling), stride 0 the window ---------------- */

static const char *pool_args(const qlr_op_call_t *c, qlr_avgpool_u8_args_t *a)
{
    const qlr_avgpool_u8_params_t p = qlr_avgpool_u8_params(c);
    const uint32_t kh = p.k_h != 0 ? (uint32_t)p.k_h : (uint32_t)p.in_h;
    const uint32_t kw = p.k_w != 0 ? (uint32_t)p.k_w : (uint32_t)p.in_w;
    const uint32_t sh = p.stride_h != 0 ? (uint32_t)p.stride_h : kh, sw = p.stride_w != 0 ? (uint32_t)p.stride_w : kw;
    if ((uint64_t)kh * kw > 2147483647u / 255u) {
        return "parameters k_h*k_w: the window could overflow the int32 sum";
    }
    *a = (qlr_avgpool_u8_args_t){
        .x = c->tensor[QLR_AVGPOOL_U8_T_X], .y = c->tensor[QLR_AVGPOOL_U8_T_Y], .n = (uint32_t)p.n,
        .in_h = (uint32_t)p.in_h, .in_w = (uint32_t)p.in_w, .c = (uint32_t)p.c, .k_h = kh, .k_w = kw, .stride_h = sh,
        .stride_w = sw, .pad_top = (uint32_t)p.pad_top, .pad_bottom = (uint32_t)p.pad_bottom,
        .pad_left = (uint32_t)p.pad_left, .pad_right = (uint32_t)p.pad_right, .in_zp = p.in_zp};
    const char *e;
    uint32_t oh, ow;
    if ((e = qlr_int8_op_check_cores(c)) || (e = qlr_int8_op_window(&QLR_INT8_WINDOW_OF(*a), &oh, &ow))) {
        return e;
    }
    if ((e = qlr_op_expect_bytes(c, QLR_AVGPOOL_U8_T_X, prod4((uint64_t)p.n, (uint64_t)p.in_h, (uint64_t)p.in_w,
                                                              (uint64_t)p.c))) ||
        (e = qlr_op_expect_bytes(c, QLR_AVGPOOL_U8_T_Y, prod4((uint64_t)p.n, oh, ow, (uint64_t)p.c)))) {
        return e;
    }
    return qlr_int8_op_requant(c, p.out_zp, p.act_min, p.act_max, p.rq_channels, a->c, QLR_AVGPOOL_U8_T_MULT, &a->rq);
}

static const char *pool_check(const qlr_op_call_t *c)
{
    qlr_avgpool_u8_args_t a;
    return pool_args(c, &a);
}

static uint64_t pool_macs(const qlr_op_call_t *c)
{
    qlr_avgpool_u8_args_t a;
    uint32_t oh, ow;
    if (pool_args(c, &a) != NULL || qlr_int8_op_window(&QLR_INT8_WINDOW_OF(a), &oh, &ow) != NULL) {
        return 0u; /* not reached: the call was checked before */
    }
    return prod4(a.n, oh, ow, a.c) * ((uint64_t)a.k_h * a.k_w); /* additions */
}

static qlr_status_t pool_run(const qlr_op_call_t *c)
{
    qlr_int8_job_t j = {.kernel = QLR_I8_POOL, .bias_eff = NULL};
    return pool_args(c, &j.u.pool) != NULL ? QLR_E_ARG : qlr_int8_op_run_job(c, &j);
}

/* ---- add_u8 ---------------------------------------------------------------------------- */

static const char *add_args(const qlr_op_call_t *c, qlr_add_u8_args_t *a)
{
    const qlr_add_u8_params_t p = qlr_add_u8_params(c);
    const uint64_t count = prod4((uint64_t)p.n, (uint64_t)p.h, (uint64_t)p.w, (uint64_t)p.c);
    const char *e;
    if ((e = qlr_int8_op_act_range(p.act_min, p.act_max)) || (e = qlr_int8_op_check_cores(c)) ||
        (e = qlr_op_expect_bytes(c, QLR_ADD_U8_T_A, count)) || (e = qlr_op_expect_bytes(c, QLR_ADD_U8_T_B, count)) ||
        (e = qlr_op_expect_bytes(c, QLR_ADD_U8_T_Y, count))) {
        return e;
    }
    *a = (qlr_add_u8_args_t){.a = c->tensor[QLR_ADD_U8_T_A], .b = c->tensor[QLR_ADD_U8_T_B],
                             .y = c->tensor[QLR_ADD_U8_T_Y], .count = (uint32_t)count, .a_zp = p.a_zp,
                             .b_zp = p.b_zp, .mult_a = p.mult_a, .mult_b = p.mult_b, .shift = p.shift,
                             .out_zp = p.out_zp, .act_min = p.act_min, .act_max = p.act_max};
    return NULL;
}

static const char *add_check(const qlr_op_call_t *c)
{
    qlr_add_u8_args_t a;
    return add_args(c, &a);
}

static uint64_t add_macs(const qlr_op_call_t *c)
{
    const qlr_add_u8_params_t p = qlr_add_u8_params(c);
    return prod4((uint64_t)p.n, (uint64_t)p.h, (uint64_t)p.w, (uint64_t)p.c);
}

static qlr_status_t add_run(const qlr_op_call_t *c)
{
    qlr_int8_job_t j = {.kernel = QLR_I8_ADD, .bias_eff = NULL};
    return add_args(c, &j.u.add) != NULL ? QLR_E_ARG : qlr_int8_op_run_job(c, &j);
}

/* ---- requant_u8: acc [m][channels] int32 -> y [m][channels] u8 --------------------------------- */

static const char *rq_args(const qlr_op_call_t *c, qlr_requant_u8_args_t *a)
{
    const qlr_requant_u8_params_t p = qlr_requant_u8_params(c);
    const uint64_t count = qlr_mul_sat64((uint64_t)p.m, (uint64_t)p.channels);
    const char *e;
    if ((e = qlr_int8_op_check_cores(c)) ||
        (e = qlr_op_expect_bytes(c, QLR_REQUANT_U8_T_ACC, qlr_mul_sat64(4u, count))) ||
        (e = qlr_op_expect_bytes(c, QLR_REQUANT_U8_T_Y, count))) {
        return e;
    }
    *a = (qlr_requant_u8_args_t){.acc = (const int32_t *)(void *)c->tensor[QLR_REQUANT_U8_T_ACC],
                                 .y = c->tensor[QLR_REQUANT_U8_T_Y], .m = (uint32_t)p.m,
                                 .channels = (uint32_t)p.channels};
    return qlr_int8_op_requant(c, p.out_zp, p.act_min, p.act_max, p.rq_channels, a->channels, QLR_REQUANT_U8_T_MULT,
                               &a->rq);
}

static const char *rq_check(const qlr_op_call_t *c)
{
    qlr_requant_u8_args_t a;
    return rq_args(c, &a);
}

static uint64_t rq_macs(const qlr_op_call_t *c)
{
    const qlr_requant_u8_params_t p = qlr_requant_u8_params(c);
    return qlr_mul_sat64((uint64_t)p.m, (uint64_t)p.channels);
}

static qlr_status_t rq_run(const qlr_op_call_t *c)
{
    qlr_int8_job_t j = {.kernel = QLR_I8_REQUANT, .bias_eff = NULL};
    return rq_args(c, &j.u.requant) != NULL ? QLR_E_ARG : qlr_int8_op_run_job(c, &j);
}

const qlr_op_t qlr_ops_int8[] = {
    {.spec = &qlr_conv2d_u8s8_spec, .check = conv_check, .macs = conv_macs, .run = conv_run},
    {.spec = &qlr_dwconv2d_u8s8_spec, .check = dw_check, .macs = dw_macs, .run = dw_run},
    {.spec = &qlr_pwconv_u8s8_spec, .check = pw_check, .macs = pw_macs, .run = pw_run},
    {.spec = &qlr_linear_u8s8_spec, .check = linear_check, .macs = linear_macs, .run = linear_run},
    {.spec = &qlr_avgpool_u8_spec, .check = pool_check, .macs = pool_macs, .run = pool_run},
    {.spec = &qlr_add_u8_spec, .check = add_check, .macs = add_macs, .run = add_run},
    {.spec = &qlr_requant_u8_spec, .check = rq_check, .macs = rq_macs, .run = rq_run},
    {.spec = NULL},
};

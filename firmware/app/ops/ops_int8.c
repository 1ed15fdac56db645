/*
 * Ops of the int8 family (qlr/op.h, docs/kernels.md): the int8 front-end kernels of
 * qlr/kernels_int8.h, plus requant_u8 (the requantization alone, for its edge cases).
 *
 * Parameters come by name from the generated qlr_<op>_params() (qlr_ops_gen.h, from the host's
 * specs), already within their ranges (qlr_op_check_params). The checks here cover the rest: the
 * window geometry, every tensor's size, the requantization arrays (first bad entry), act_min <=
 * act_max, and the int32 accumulator bound (first channel); each message names the field.
 *
 * Every conv/linear op takes the RAW bias (as the image and the golden model do). With a
 * non-zero input zero point the op folds it first (in parallel, inside the timed run: part of
 * what the layer costs when the bias is not folded at load time); with in_zp = 0 the raw bias is
 * the folded one. Scratch (folded bias, im2col, centred weights) goes in L1 when it fits, else in
 * the free L2 after the tensors.
 */
#include <stddef.h>
#include <stdio.h>

#include "qlr/kernel.h"
#include "qlr/kernels_int8.h"
#include "qlr/op.h"
#include "qlr/runtime.h"
#include "qlr_ops_gen.h"

#define MAX_CORES 64u

static char msg[160];

static uint64_t prod4(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    return qlr_mul_sat64(qlr_mul_sat64(a, b), qlr_mul_sat64(c, d));
}

static const char *check_cores(const qlr_op_call_t *c)
{
    return c->cores > MAX_CORES ? "more cores than the int8 ops support (64)" : NULL;
}

/* The requantization of `channels` output channels: the parameters out_zp, act_min, act_max and
 * rq_channels (1 or `channels`), the mult and shift tensors (indices tm, tm + 1) of rq_channels
 * entries, every entry in range. */
static const char *check_requant(const qlr_op_call_t *c, int32_t out_zp, int32_t act_min, int32_t act_max,
                                 int32_t rq_channels, uint32_t channels, unsigned tm, qlr_requant_t *rq)
{
    if (act_min > act_max) {
        snprintf(msg, sizeof msg, "parameter act_min = %ld is above act_max = %ld", (long)act_min, (long)act_max);
        return msg;
    }
    if (rq_channels != 1 && (uint32_t)rq_channels != channels) {
        snprintf(msg, sizeof msg, "parameter rq_channels = %ld must be 1 or the %lu output channels", (long)rq_channels,
                 (unsigned long)channels);
        return msg;
    }
    const char *e;
    if ((e = qlr_op_expect_bytes(c, tm, 4u * (uint64_t)rq_channels)) ||
        (e = qlr_op_expect_bytes(c, tm + 1u, (uint64_t)rq_channels))) {
        return e;
    }
    *rq = (qlr_requant_t){.mult = (const int32_t *)(const void *)c->tensor[tm], .shift = c->tensor[tm + 1u],
                          .n = (uint32_t)rq_channels, .out_zp = out_zp, .act_min = act_min, .act_max = act_max};
    uint32_t bad;
    if (qlr_requant_check(rq, channels, &bad) != QLR_OK) {
        if (rq->mult[bad] < 0) {
            snprintf(msg, sizeof msg, "tensor mult[%lu] = %ld is negative (range [0, 2^31 - 1])", (unsigned long)bad,
                     (long)rq->mult[bad]);
        } else {
            snprintf(msg, sizeof msg, "tensor shift[%lu] = %u is outside [%d, %d]", (unsigned long)bad,
                     (unsigned)rq->shift[bad], QLR_RQ_SHIFT_MIN, QLR_RQ_SHIFT_MAX);
        }
        return msg;
    }
    return NULL;
}

static const char *check_bound(const int8_t *w, const int32_t *bias, uint32_t channels, uint32_t taps, int depthwise,
                               int32_t in_zp, int32_t w_zp)
{
    uint32_t bad;
    if (!qlr_int8_accumulator_bound_ok(w, bias, channels, taps, depthwise, in_zp, w_zp, &bad)) {
        snprintf(msg, sizeof msg,
                 "tensors w/bias: the int32 accumulator could overflow in output channel %lu (%lu taps); "
                 "reduce the bias or the fan-in",
                 (unsigned long)bad, (unsigned long)taps);
        return msg;
    }
    return NULL;
}

static const char *geometry(const char *what, int32_t n, uint32_t k, uint32_t s, int32_t p0, int32_t p1,
                            uint32_t *out)
{
    *out = qlr_int8_out_size((uint32_t)n, k, s, (uint32_t)p0, (uint32_t)p1);
    if (*out == 0u) {
        snprintf(msg, sizeof msg, "parameter %s: kernel %lu does not fit the padded input %ld+%ld+%ld", what,
                 (unsigned long)k, (long)n, (long)p0, (long)p1);
        return msg;
    }
    return NULL;
}

/* Scratch for a run: L1 when `bytes` fit, else the free L2 after the tensors; NULL if neither. */
static uint8_t *scratch_for(const qlr_op_call_t *c, size_t bytes)
{
    if (bytes <= c->l1_size) {
        return c->l1;
    }
    if (bytes <= c->l2_scratch_size) {
        return c->l2_scratch;
    }
    return NULL;
}

static const char *check_scratch(const qlr_op_call_t *c, size_t bytes)
{
    if (scratch_for(c, bytes) == NULL) {
        snprintf(msg, sizeof msg, "needs %lu bytes of scratch (folded bias, im2col), L1 has %lu and free L2 %lu",
                 (unsigned long)bytes, (unsigned long)c->l1_size, (unsigned long)c->l2_scratch_size);
        return msg;
    }
    return NULL;
}

/* Bytes of the folded bias of `channels` channels (none when in_zp is 0), 16-byte aligned. */
static size_t fold_bytes(int32_t in_zp, uint32_t channels)
{
    return in_zp != 0 ? (4u * (size_t)channels + 15u) & ~(size_t)15u : 0u;
}

/* ---- the run: every core folds its share of the bias (when in_zp != 0), a barrier, the kernel */

typedef enum {
    K_CONV, K_DW, K_PW, K_LINEAR, K_POOL, K_ADD, K_REQUANT
} kernel_t;

typedef struct {
    kernel_t kernel;
    union {
        qlr_conv2d_u8s8_args_t conv;
        qlr_dwconv2d_u8s8_args_t dw;
        qlr_pwconv_u8s8_args_t pw;
        qlr_linear_u8s8_args_t linear;
        qlr_avgpool_u8_args_t pool;
        qlr_add_u8_args_t add;
        qlr_requant_u8_args_t requant;
    } u;
    /* bias folding: raw bias and weights [channels][taps] (or [taps][channels] when depthwise) */
    const int8_t *w;
    const int32_t *bias;
    int32_t *bias_eff; /* NULL: nothing to fold (in_zp == 0, or an op without bias) */
    uint32_t channels, taps;
    int depthwise;
    int32_t in_zp, w_zp;
    qlr_status_t status[MAX_CORES];
} job_t;

static void job_task(void *arg)
{
    job_t *j = arg;
    const unsigned id = qlr_core_id();
    qlr_status_t st = QLR_OK;
    if (j->bias_eff != NULL) {
        uint32_t c0, c1;
        qlr_my_share(j->channels, &c0, &c1);
        st = j->depthwise ? qlr_dwconv2d_u8s8_fold_bias(j->w, j->bias, j->taps, j->channels, j->in_zp, j->w_zp, c0,
                                                         c1, j->bias_eff)
                          : qlr_conv2d_u8s8_fold_bias(j->w, j->bias, j->taps, j->in_zp, j->w_zp, c0, c1,
                                                       j->bias_eff);
        qlr_team_barrier();
    }
    qlr_status_t k;
    switch (j->kernel) {
    case K_CONV: k = qlr_conv2d_u8s8(&j->u.conv); break;
    case K_DW: k = qlr_dwconv2d_u8s8(&j->u.dw); break;
    case K_PW: k = qlr_pwconv_u8s8(&j->u.pw); break;
    case K_LINEAR: k = qlr_linear_u8s8(&j->u.linear); break;
    case K_POOL: k = qlr_avgpool_u8(&j->u.pool); break;
    case K_ADD: k = qlr_add_u8(&j->u.add); break;
    default: k = qlr_requant_u8_run(&j->u.requant); break;
    }
    j->status[id] = st != QLR_OK ? st : k;
}

/* Fold the raw bias into `scratch` first when in_zp != 0; returns the bias the kernel uses. */
static const int32_t *fold(job_t *j, const int8_t *w, const int32_t *bias, uint32_t channels, uint32_t taps,
                           int depthwise, int32_t in_zp, int32_t w_zp, uint8_t *scratch)
{
    if (in_zp == 0) {
        return bias;
    }
    j->w = w;
    j->bias = bias;
    j->bias_eff = (int32_t *)(void *)scratch;
    j->channels = channels;
    j->taps = taps;
    j->depthwise = depthwise;
    j->in_zp = in_zp;
    j->w_zp = w_zp;
    return j->bias_eff;
}

static qlr_status_t run_job(const qlr_op_call_t *c, job_t *j)
{
    for (unsigned i = 0; i < MAX_CORES; i++) {
        j->status[i] = QLR_OK;
    }
    qlr_team_fork(c->cores, job_task, j);
    for (unsigned i = 0; i < c->cores; i++) {
        if (j->status[i] != QLR_OK) {
            return j->status[i];
        }
    }
    return QLR_OK;
}

/* ---- conv2d_u8s8 ------------------------------------------------------------------------- */

static const char *conv_args(const qlr_op_call_t *c, qlr_conv2d_u8s8_args_t *a)
{
    const qlr_conv2d_u8s8_params_t p = qlr_conv2d_u8s8_params(c);
    const char *e;
    uint32_t oh, ow;
    if ((e = check_cores(c)) ||
        (e = geometry("k_h/stride_h/pad_top/pad_bottom", p.in_h, (uint32_t)p.k_h, (uint32_t)p.stride_h, p.pad_top,
                      p.pad_bottom, &oh)) ||
        (e = geometry("k_w/stride_w/pad_left/pad_right", p.in_w, (uint32_t)p.k_w, (uint32_t)p.stride_w, p.pad_left,
                      p.pad_right, &ow))) {
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
    return check_requant(c, p.out_zp, p.act_min, p.act_max, p.rq_channels, a->out_c, QLR_CONV2D_U8S8_T_MULT, &a->rq);
}

static size_t conv_scratch(const qlr_op_call_t *c, const qlr_conv2d_u8s8_args_t *a)
{
    return fold_bytes(a->in_zp, a->out_c) + qlr_conv2d_u8s8_scratch_size(a, c->cores);
}

static const char *conv_check(const qlr_op_call_t *c)
{
    qlr_conv2d_u8s8_args_t a;
    const char *e;
    if ((e = conv_args(c, &a)) || (e = check_scratch(c, conv_scratch(c, &a)))) {
        return e;
    }
    return check_bound(a.w, a.bias, a.out_c, a.k_h * a.k_w * a.in_c, 0, a.in_zp, a.w_zp);
}

static uint64_t conv_macs(const qlr_op_call_t *c)
{
    qlr_conv2d_u8s8_args_t a;
    if (conv_args(c, &a) != NULL) {
        return 0u; /* not reached: the call was checked before */
    }
    uint64_t oh = qlr_int8_out_size(a.in_h, a.k_h, a.stride_h, a.pad_top, a.pad_bottom);
    uint64_t ow = qlr_int8_out_size(a.in_w, a.k_w, a.stride_w, a.pad_left, a.pad_right);
    return prod4(a.n, oh, ow, a.out_c) * ((uint64_t)a.k_h * a.k_w * a.in_c);
}

static qlr_status_t conv_run(const qlr_op_call_t *c)
{
    job_t j = {.kernel = K_CONV, .bias_eff = NULL}; /* fold() adds the folding */
    qlr_conv2d_u8s8_args_t *a = &j.u.conv;
    if (conv_args(c, a) != NULL) {
        return QLR_E_ARG;
    }
    uint8_t *s = scratch_for(c, conv_scratch(c, a));
    a->bias = fold(&j, a->w, a->bias, a->out_c, a->k_h * a->k_w * a->in_c, 0, a->in_zp, a->w_zp, s);
    a->scratch = s + fold_bytes(a->in_zp, a->out_c);
    a->scratch_size = qlr_conv2d_u8s8_scratch_size(a, c->cores);
    return run_job(c, &j);
}

/* ---- dwconv2d_u8s8 ----------------------------------------------------------------------- */

static const char *dw_args(const qlr_op_call_t *c, qlr_dwconv2d_u8s8_args_t *a)
{
    const qlr_dwconv2d_u8s8_params_t p = qlr_dwconv2d_u8s8_params(c);
    const char *e;
    uint32_t oh, ow;
    if ((e = check_cores(c)) ||
        (e = geometry("k_h/stride_h/pad_top/pad_bottom", p.in_h, (uint32_t)p.k_h, (uint32_t)p.stride_h, p.pad_top,
                      p.pad_bottom, &oh)) ||
        (e = geometry("k_w/stride_w/pad_left/pad_right", p.in_w, (uint32_t)p.k_w, (uint32_t)p.stride_w, p.pad_left,
                      p.pad_right, &ow))) {
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
    return check_requant(c, p.out_zp, p.act_min, p.act_max, p.rq_channels, a->c, QLR_DWCONV2D_U8S8_T_MULT, &a->rq);
}

static size_t dw_scratch(const qlr_op_call_t *c, const qlr_dwconv2d_u8s8_args_t *a)
{
    return fold_bytes(a->in_zp, a->c) + qlr_dwconv2d_u8s8_scratch_size(a, c->cores);
}

static const char *dw_check(const qlr_op_call_t *c)
{
    qlr_dwconv2d_u8s8_args_t a;
    const char *e;
    if ((e = dw_args(c, &a)) || (e = check_scratch(c, dw_scratch(c, &a)))) {
        return e;
    }
    return check_bound(a.w, a.bias, a.c, a.k_h * a.k_w, 1, a.in_zp, a.w_zp);
}

static uint64_t dw_macs(const qlr_op_call_t *c)
{
    qlr_dwconv2d_u8s8_args_t a;
    if (dw_args(c, &a) != NULL) {
        return 0u; /* not reached: the call was checked before */
    }
    uint64_t oh = qlr_int8_out_size(a.in_h, a.k_h, a.stride_h, a.pad_top, a.pad_bottom);
    uint64_t ow = qlr_int8_out_size(a.in_w, a.k_w, a.stride_w, a.pad_left, a.pad_right);
    return prod4(a.n, oh, ow, a.c) * ((uint64_t)a.k_h * a.k_w);
}

static qlr_status_t dw_run(const qlr_op_call_t *c)
{
    job_t j = {.kernel = K_DW, .bias_eff = NULL}; /* fold() adds the folding */
    qlr_dwconv2d_u8s8_args_t *a = &j.u.dw;
    if (dw_args(c, a) != NULL) {
        return QLR_E_ARG;
    }
    uint8_t *s = scratch_for(c, dw_scratch(c, a));
    a->bias = fold(&j, a->w, a->bias, a->c, a->k_h * a->k_w, 1, a->in_zp, a->w_zp, s);
    a->scratch = s + fold_bytes(a->in_zp, a->c);
    a->scratch_size = qlr_dwconv2d_u8s8_scratch_size(a, c->cores);
    return run_job(c, &j);
}

/* ---- pwconv_u8s8 ------------------------------------------------------------------------- */

static const char *pw_args(const qlr_op_call_t *c, qlr_pwconv_u8s8_args_t *a)
{
    const qlr_pwconv_u8s8_params_t p = qlr_pwconv_u8s8_params(c);
    const uint64_t oh = ((uint64_t)p.in_h - 1u) / (uint64_t)p.stride_h + 1u;
    const uint64_t ow = ((uint64_t)p.in_w - 1u) / (uint64_t)p.stride_w + 1u;
    const char *e;
    if ((e = check_cores(c)) ||
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
    return check_requant(c, p.out_zp, p.act_min, p.act_max, p.rq_channels, a->out_c, QLR_PWCONV_U8S8_T_MULT, &a->rq);
}

static const char *pw_check(const qlr_op_call_t *c)
{
    qlr_pwconv_u8s8_args_t a;
    const char *e;
    if ((e = pw_args(c, &a)) || (e = check_scratch(c, fold_bytes(a.in_zp, a.out_c)))) {
        return e;
    }
    return check_bound(a.w, a.bias, a.out_c, a.in_c, 0, a.in_zp, a.w_zp);
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
    job_t j = {.kernel = K_PW, .bias_eff = NULL}; /* fold() adds the folding */
    qlr_pwconv_u8s8_args_t *a = &j.u.pw;
    if (pw_args(c, a) != NULL) {
        return QLR_E_ARG;
    }
    a->bias = fold(&j, a->w, a->bias, a->out_c, a->in_c, 0, a->in_zp, a->w_zp,
                   scratch_for(c, fold_bytes(a->in_zp, a->out_c)));
    return run_job(c, &j);
}

/* ---- linear_u8s8 ------------------------------------------------------------------------- */

static const char *linear_args(const qlr_op_call_t *c, qlr_linear_u8s8_args_t *a)
{
    const qlr_linear_u8s8_params_t p = qlr_linear_u8s8_params(c);
    const uint64_t n = (uint64_t)p.n, in = (uint64_t)p.in_f, out = (uint64_t)p.out_f;
    const char *e;
    if ((e = check_cores(c)) || (e = qlr_op_expect_bytes(c, QLR_LINEAR_U8S8_T_X, qlr_mul_sat64(n, in))) ||
        (e = qlr_op_expect_bytes(c, QLR_LINEAR_U8S8_T_W, qlr_mul_sat64(out, in))) ||
        (e = qlr_op_expect_bytes(c, QLR_LINEAR_U8S8_T_BIAS, 4u * out)) ||
        (e = qlr_op_expect_bytes(c, QLR_LINEAR_U8S8_T_Y, qlr_mul_sat64(n, out)))) {
        return e;
    }
    *a = (qlr_linear_u8s8_args_t){
        .x = c->tensor[QLR_LINEAR_U8S8_T_X], .w = (const int8_t *)c->tensor[QLR_LINEAR_U8S8_T_W],
        .bias = (const int32_t *)(void *)c->tensor[QLR_LINEAR_U8S8_T_BIAS], .y = c->tensor[QLR_LINEAR_U8S8_T_Y],
        .n = (uint32_t)p.n, .in_f = (uint32_t)p.in_f, .out_f = (uint32_t)p.out_f, .in_zp = p.in_zp, .w_zp = p.w_zp};
    return check_requant(c, p.out_zp, p.act_min, p.act_max, p.rq_channels, a->out_f, QLR_LINEAR_U8S8_T_MULT, &a->rq);
}

static const char *linear_check(const qlr_op_call_t *c)
{
    qlr_linear_u8s8_args_t a;
    const char *e;
    if ((e = linear_args(c, &a)) || (e = check_scratch(c, fold_bytes(a.in_zp, a.out_f)))) {
        return e;
    }
    return check_bound(a.w, a.bias, a.out_f, a.in_f, 0, a.in_zp, a.w_zp);
}

static uint64_t linear_macs(const qlr_op_call_t *c)
{
    const qlr_linear_u8s8_params_t p = qlr_linear_u8s8_params(c);
    return (uint64_t)p.n * (uint64_t)p.in_f * (uint64_t)p.out_f;
}

static qlr_status_t linear_run(const qlr_op_call_t *c)
{
    job_t j = {.kernel = K_LINEAR, .bias_eff = NULL}; /* fold() adds the folding */
    qlr_linear_u8s8_args_t *a = &j.u.linear;
    if (linear_args(c, a) != NULL) {
        return QLR_E_ARG;
    }
    a->bias = fold(&j, a->w, a->bias, a->out_f, a->in_f, 0, a->in_zp, a->w_zp,
                   scratch_for(c, fold_bytes(a->in_zp, a->out_f)));
    return run_job(c, &j);
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
    const char *e;
    uint32_t oh, ow;
    if ((e = check_cores(c)) ||
        (e = geometry("k_h/stride_h/pad_top/pad_bottom", p.in_h, kh, sh, p.pad_top, p.pad_bottom, &oh)) ||
        (e = geometry("k_w/stride_w/pad_left/pad_right", p.in_w, kw, sw, p.pad_left, p.pad_right, &ow))) {
        return e;
    }
    if ((e = qlr_op_expect_bytes(c, QLR_AVGPOOL_U8_T_X, prod4((uint64_t)p.n, (uint64_t)p.in_h, (uint64_t)p.in_w,
                                                              (uint64_t)p.c))) ||
        (e = qlr_op_expect_bytes(c, QLR_AVGPOOL_U8_T_Y, prod4((uint64_t)p.n, oh, ow, (uint64_t)p.c)))) {
        return e;
    }
    *a = (qlr_avgpool_u8_args_t){
        .x = c->tensor[QLR_AVGPOOL_U8_T_X], .y = c->tensor[QLR_AVGPOOL_U8_T_Y], .n = (uint32_t)p.n,
        .in_h = (uint32_t)p.in_h, .in_w = (uint32_t)p.in_w, .c = (uint32_t)p.c, .k_h = kh, .k_w = kw, .stride_h = sh,
        .stride_w = sw, .pad_top = (uint32_t)p.pad_top, .pad_bottom = (uint32_t)p.pad_bottom,
        .pad_left = (uint32_t)p.pad_left, .pad_right = (uint32_t)p.pad_right, .in_zp = p.in_zp};
    return check_requant(c, p.out_zp, p.act_min, p.act_max, p.rq_channels, a->c, QLR_AVGPOOL_U8_T_MULT, &a->rq);
}

static const char *pool_check(const qlr_op_call_t *c)
{
    qlr_avgpool_u8_args_t a;
    return pool_args(c, &a);
}

static uint64_t pool_macs(const qlr_op_call_t *c)
{
    qlr_avgpool_u8_args_t a;
    if (pool_args(c, &a) != NULL) {
        return 0u; /* not reached: the call was checked before */
    }
    uint64_t oh = qlr_int8_out_size(a.in_h, a.k_h, a.stride_h, a.pad_top, a.pad_bottom);
    uint64_t ow = qlr_int8_out_size(a.in_w, a.k_w, a.stride_w, a.pad_left, a.pad_right);
    return prod4(a.n, oh, ow, a.c) * ((uint64_t)a.k_h * a.k_w); /* additions */
}

static qlr_status_t pool_run(const qlr_op_call_t *c)
{
    job_t j = {.kernel = K_POOL, .bias_eff = NULL}; /* fold() adds the folding */
    return pool_args(c, &j.u.pool) != NULL ? QLR_E_ARG : run_job(c, &j);
}

/* ---- add_u8 ---------------------------------------------------------------------------- */

static const char *add_args(const qlr_op_call_t *c, qlr_add_u8_args_t *a)
{
    const qlr_add_u8_params_t p = qlr_add_u8_params(c);
    if (p.act_min > p.act_max) {
        snprintf(msg, sizeof msg, "parameter act_min = %ld is above act_max = %ld", (long)p.act_min, (long)p.act_max);
        return msg;
    }
    const uint64_t count = prod4((uint64_t)p.n, (uint64_t)p.h, (uint64_t)p.w, (uint64_t)p.c);
    const char *e;
    if ((e = check_cores(c)) || (e = qlr_op_expect_bytes(c, QLR_ADD_U8_T_A, count)) ||
        (e = qlr_op_expect_bytes(c, QLR_ADD_U8_T_B, count)) || (e = qlr_op_expect_bytes(c, QLR_ADD_U8_T_Y, count))) {
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
    job_t j = {.kernel = K_ADD, .bias_eff = NULL}; /* fold() adds the folding */
    return add_args(c, &j.u.add) != NULL ? QLR_E_ARG : run_job(c, &j);
}

/* ---- requant_u8: acc [m][channels] int32 -> y [m][channels] u8 --------------------------------- */

static const char *rq_args(const qlr_op_call_t *c, qlr_requant_u8_args_t *a)
{
    const qlr_requant_u8_params_t p = qlr_requant_u8_params(c);
    const uint64_t count = qlr_mul_sat64((uint64_t)p.m, (uint64_t)p.channels);
    const char *e;
    if ((e = check_cores(c)) || (e = qlr_op_expect_bytes(c, QLR_REQUANT_U8_T_ACC, qlr_mul_sat64(4u, count))) ||
        (e = qlr_op_expect_bytes(c, QLR_REQUANT_U8_T_Y, count))) {
        return e;
    }
    *a = (qlr_requant_u8_args_t){.acc = (const int32_t *)(void *)c->tensor[QLR_REQUANT_U8_T_ACC],
                                 .y = c->tensor[QLR_REQUANT_U8_T_Y], .m = (uint32_t)p.m,
                                 .channels = (uint32_t)p.channels};
    return check_requant(c, p.out_zp, p.act_min, p.act_max, p.rq_channels, a->channels, QLR_REQUANT_U8_T_MULT, &a->rq);
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
    job_t j = {.kernel = K_REQUANT, .bias_eff = NULL}; /* fold() adds the folding */
    return rq_args(c, &j.u.requant) != NULL ? QLR_E_ARG : run_job(c, &j);
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

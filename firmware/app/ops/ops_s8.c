/*
 * Ops of the s8 family (qlr/op.h, docs/kernels.md): the int8 front-end kernels of
 * qlr/kernels_s8.h, plus requant_u8 (the requantization alone, for its edge cases).
 *
 * Every conv/linear op takes the RAW bias (as the image and the golden model do). With a
 * non-zero input zero point the op folds it first (in parallel, inside the timed run: part of
 * what the layer costs when the bias is not folded at load time); with in_zp = 0 the raw bias is
 * the folded one. Scratch (folded bias, im2col, centred weights) goes in L1 when it fits, else in
 * the free L2 after the tensors.
 *
 * check() names the parameter or tensor at fault: ranges per parameter, geometry, tensor sizes,
 * the requantization arrays (first bad entry) and the int32 accumulator bound (first channel).
 */
#include <stddef.h>
#include <stdio.h>

#include "qlr/kernels_s8.h"
#include "qlr/matmul_f32.h" /* qlr_share */
#include "qlr/op.h"
#include "qlr/runtime.h"

#define MAX_CORES 64u
#define I32MAX 2147483647

static char msg[160];

typedef struct {
    const char *name;
    int32_t lo, hi;
} rule_t;

#define DIM(nm) {nm, 1, 65535}
#define CH(nm) {nm, 1, 1 << 24}
#define KER(nm) {nm, 1, 255}
#define PAD(nm) {nm, 0, 255}
#define ZP_U8(nm) {nm, 0, 255}

static const char *check_rules(const qlr_op_call_t *c, const rule_t *r)
{
    for (unsigned i = 0; i < c->nparam; i++) {
        int32_t v = c->param[i];
        if (v < r[i].lo || v > r[i].hi) {
            snprintf(msg, sizeof msg, "parameter %s = %ld is outside [%ld, %ld]", r[i].name, (long)v, (long)r[i].lo,
                     (long)r[i].hi);
            return msg;
        }
    }
    if (c->cores > MAX_CORES) {
        return "more cores than the s8 ops support (64)";
    }
    return NULL;
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    return (b != 0u && a > UINT64_MAX / b) ? UINT64_MAX : a * b;
}

static uint64_t prod4(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    return mul_sat(mul_sat(a, b), mul_sat(c, d));
}

/* out_zp, act_min, act_max at q[0..2]; rq_channels q[3] must be 1 or `channels`; mult and shift
 * tensors (indices tm, tm + 1) of rq_channels entries, every entry in range. */
static const char *check_requant(const qlr_op_call_t *c, const int32_t *q, uint32_t channels, unsigned tm,
                                 qlr_requant_t *rq)
{
    if (q[1] > q[2]) {
        snprintf(msg, sizeof msg, "parameter act_min = %ld is above act_max = %ld", (long)q[1], (long)q[2]);
        return msg;
    }
    if (q[3] != 1 && (uint32_t)q[3] != channels) {
        snprintf(msg, sizeof msg, "parameter rq_channels = %ld must be 1 or the %lu output channels", (long)q[3],
                 (unsigned long)channels);
        return msg;
    }
    const char *e;
    if ((e = qlr_op_expect_bytes(c, tm, 4u * (uint64_t)q[3])) || (e = qlr_op_expect_bytes(c, tm + 1u, (uint64_t)q[3]))) {
        return e;
    }
    rq->mult = (const int32_t *)(const void *)c->tensor[tm];
    rq->shift = c->tensor[tm + 1u];
    rq->n = (uint32_t)q[3];
    rq->out_zp = q[0];
    rq->act_min = q[1];
    rq->act_max = q[2];
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

static const char *check_bound(const qlr_op_call_t *c, const int8_t *w, const int32_t *bias, uint32_t channels,
                               uint32_t taps, int depthwise, int32_t in_zp, int32_t w_zp)
{
    uint32_t bad;
    if (!qlr_s8_accumulator_bound_ok(w, bias, channels, taps, depthwise, in_zp, w_zp, &bad)) {
        (void)c;
        snprintf(msg, sizeof msg,
                 "tensors w/bias: the int32 accumulator could overflow in output channel %lu (%lu taps); "
                 "reduce the bias or the fan-in",
                 (unsigned long)bad, (unsigned long)taps);
        return msg;
    }
    return NULL;
}

static const char *geometry(const char *what, uint32_t n, uint32_t k, uint32_t s, uint32_t p0, uint32_t p1,
                            uint32_t *out)
{
    *out = qlr_s8_out_size(n, k, s, p0, p1);
    if (*out == 0u) {
        snprintf(msg, sizeof msg, "parameter %s: kernel %lu does not fit the padded input %lu+%lu+%lu", what,
                 (unsigned long)k, (unsigned long)n, (unsigned long)p0, (unsigned long)p1);
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

static size_t align16(size_t v)
{
    return (v + 15u) & ~(size_t)15u;
}

/* Per-run state shared by the team: the folded bias is written by every core for its channel
 * share, then a barrier, then the kernel. */
typedef struct {
    const int8_t *w;
    const int32_t *bias;
    int32_t *bias_eff; /* NULL: no folding (in_zp == 0) */
    uint32_t channels, taps;
    int depthwise;
    int32_t in_zp, w_zp;
    qlr_status_t status[MAX_CORES];
} fold_t;

static void fold_share(fold_t *f)
{
    if (f->bias_eff == NULL) {
        return;
    }
    uint32_t c0, c1;
    qlr_share(f->channels, qlr_core_id(), qlr_core_count(), &c0, &c1);
    qlr_status_t st = f->depthwise ? qlr_dwconv2d_s8_fold_bias(f->w, f->bias, f->taps, f->channels, f->in_zp, f->w_zp,
                                                               c0, c1, f->bias_eff)
                                   : qlr_conv2d_s8_fold_bias(f->w, f->bias, f->taps, f->in_zp, f->w_zp, c0, c1,
                                                             f->bias_eff);
    f->status[qlr_core_id()] = st;
    qlr_team_barrier();
}

static qlr_status_t team_status(const fold_t *f, unsigned cores)
{
    for (unsigned i = 0; i < cores; i++) {
        if (f->status[i] != QLR_OK) {
            return f->status[i];
        }
    }
    return QLR_OK;
}

static void fold_init(fold_t *f, const int8_t *w, const int32_t *bias, uint32_t channels, uint32_t taps, int depthwise,
                      int32_t in_zp, int32_t w_zp, uint8_t *scratch)
{
    f->w = w;
    f->bias = bias;
    f->bias_eff = in_zp != 0 ? (int32_t *)(void *)scratch : NULL;
    f->channels = channels;
    f->taps = taps;
    f->depthwise = depthwise;
    f->in_zp = in_zp;
    f->w_zp = w_zp;
    for (unsigned i = 0; i < MAX_CORES; i++) {
        f->status[i] = QLR_OK;
    }
}

static size_t fold_bytes(int32_t in_zp, uint32_t channels)
{
    return in_zp != 0 ? align16(4u * (size_t)channels) : 0u;
}

#define T_X 0u
#define T_W 1u
#define T_BIAS 2u
#define T_MULT 3u
#define T_SHIFT 4u
#define T_Y 5u

static const char *const conv_tensors[] = {"x", "w", "bias", "mult", "shift", "y"};

/* ---- conv2d_s8 ------------------------------------------------------------------------- */
/* params: n in_h in_w in_c out_c k_h k_w stride_h stride_w pad_top pad_bottom pad_left pad_right
 *         in_zp w_zp out_zp act_min act_max rq_channels */

static const rule_t conv_rules[] = {
    DIM("n"), DIM("in_h"), DIM("in_w"), CH("in_c"), CH("out_c"), KER("k_h"), KER("k_w"), KER("stride_h"),
    KER("stride_w"), PAD("pad_top"), PAD("pad_bottom"), PAD("pad_left"), PAD("pad_right"), ZP_U8("in_zp"),
    {"w_zp", -128, 127}, ZP_U8("out_zp"), ZP_U8("act_min"), ZP_U8("act_max"), {"rq_channels", 1, 1 << 24},
};

static const char *conv_args(const qlr_op_call_t *c, qlr_conv2d_s8_args_t *a)
{
    const int32_t *q = c->param;
    const char *e;
    if ((e = check_rules(c, conv_rules))) {
        return e;
    }
    uint32_t oh, ow;
    if ((e = geometry("k_h/stride_h/pad_top/pad_bottom", (uint32_t)q[1], (uint32_t)q[5], (uint32_t)q[7], (uint32_t)q[9],
                      (uint32_t)q[10], &oh)) ||
        (e = geometry("k_w/stride_w/pad_left/pad_right", (uint32_t)q[2], (uint32_t)q[6], (uint32_t)q[8],
                      (uint32_t)q[11], (uint32_t)q[12], &ow))) {
        return e;
    }
    uint64_t n = (uint64_t)q[0], cin = (uint64_t)q[3], cout = (uint64_t)q[4];
    if ((e = qlr_op_expect_bytes(c, T_X, prod4(n, (uint64_t)q[1], (uint64_t)q[2], cin))) ||
        (e = qlr_op_expect_bytes(c, T_W, prod4(cout, (uint64_t)q[5], (uint64_t)q[6], cin))) ||
        (e = qlr_op_expect_bytes(c, T_BIAS, 4u * cout)) ||
        (e = qlr_op_expect_bytes(c, T_Y, prod4(n, oh, ow, cout)))) {
        return e;
    }
    *a = (qlr_conv2d_s8_args_t){
        .x = c->tensor[T_X], .w = (const int8_t *)c->tensor[T_W], .bias = (const int32_t *)(void *)c->tensor[T_BIAS],
        .y = c->tensor[T_Y], .n = (uint32_t)q[0], .in_h = (uint32_t)q[1], .in_w = (uint32_t)q[2],
        .in_c = (uint32_t)q[3], .out_c = (uint32_t)q[4], .k_h = (uint32_t)q[5], .k_w = (uint32_t)q[6],
        .stride_h = (uint32_t)q[7], .stride_w = (uint32_t)q[8], .pad_top = (uint32_t)q[9],
        .pad_bottom = (uint32_t)q[10], .pad_left = (uint32_t)q[11], .pad_right = (uint32_t)q[12], .in_zp = q[13],
        .w_zp = q[14]};
    if ((e = check_requant(c, q + 15, a->out_c, T_MULT, &a->rq))) {
        return e;
    }
    return NULL;
}

static size_t conv_scratch(const qlr_op_call_t *c, const qlr_conv2d_s8_args_t *a)
{
    return fold_bytes(a->in_zp, a->out_c) + qlr_conv2d_s8_scratch_size(a, c->cores);
}

static const char *conv_check(const qlr_op_call_t *c)
{
    qlr_conv2d_s8_args_t a;
    const char *e;
    if ((e = conv_args(c, &a)) || (e = check_scratch(c, conv_scratch(c, &a)))) {
        return e;
    }
    return check_bound(c, a.w, a.bias, a.out_c, a.k_h * a.k_w * a.in_c, 0, a.in_zp, a.w_zp);
}

static uint64_t conv_macs(const qlr_op_call_t *c)
{
    const int32_t *q = c->param;
    uint64_t oh = qlr_s8_out_size((uint32_t)q[1], (uint32_t)q[5], (uint32_t)q[7], (uint32_t)q[9], (uint32_t)q[10]);
    uint64_t ow = qlr_s8_out_size((uint32_t)q[2], (uint32_t)q[6], (uint32_t)q[8], (uint32_t)q[11], (uint32_t)q[12]);
    return prod4((uint64_t)q[0], oh, ow, (uint64_t)q[4]) * ((uint64_t)q[5] * (uint64_t)q[6] * (uint64_t)q[3]);
}

typedef struct {
    qlr_conv2d_s8_args_t a;
    fold_t f;
} conv_job_t;

static void conv_task(void *p)
{
    conv_job_t *j = p;
    fold_share(&j->f);
    qlr_status_t st = qlr_conv2d_s8(&j->a);
    if (j->f.status[qlr_core_id()] == QLR_OK) {
        j->f.status[qlr_core_id()] = st;
    }
}

static qlr_status_t conv_run(const qlr_op_call_t *c)
{
    conv_job_t j;
    if (conv_args(c, &j.a) != NULL) {
        return QLR_E_ARG;
    }
    uint8_t *s = scratch_for(c, conv_scratch(c, &j.a));
    size_t fb = fold_bytes(j.a.in_zp, j.a.out_c);
    fold_init(&j.f, j.a.w, j.a.bias, j.a.out_c, j.a.k_h * j.a.k_w * j.a.in_c, 0, j.a.in_zp, j.a.w_zp, s);
    if (j.f.bias_eff != NULL) {
        j.a.bias = j.f.bias_eff;
    }
    j.a.scratch = s + fb;
    j.a.scratch_size = qlr_conv2d_s8_scratch_size(&j.a, c->cores);
    qlr_team_fork(c->cores, conv_task, &j);
    return team_status(&j.f, c->cores);
}

/* ---- dwconv2d_s8 ----------------------------------------------------------------------- */
/* params: n in_h in_w c k_h k_w stride_h stride_w pad_top pad_bottom pad_left pad_right
 *         in_zp w_zp out_zp act_min act_max rq_channels */

static const rule_t dw_rules[] = {
    DIM("n"), DIM("in_h"), DIM("in_w"), CH("c"), KER("k_h"), KER("k_w"), KER("stride_h"), KER("stride_w"),
    PAD("pad_top"), PAD("pad_bottom"), PAD("pad_left"), PAD("pad_right"), ZP_U8("in_zp"), {"w_zp", -128, 127},
    ZP_U8("out_zp"), ZP_U8("act_min"), ZP_U8("act_max"), {"rq_channels", 1, 1 << 24},
};

static const char *dw_args(const qlr_op_call_t *c, qlr_dwconv2d_s8_args_t *a)
{
    const int32_t *q = c->param;
    const char *e;
    if ((e = check_rules(c, dw_rules))) {
        return e;
    }
    uint32_t oh, ow;
    if ((e = geometry("k_h/stride_h/pad_top/pad_bottom", (uint32_t)q[1], (uint32_t)q[4], (uint32_t)q[6], (uint32_t)q[8],
                      (uint32_t)q[9], &oh)) ||
        (e = geometry("k_w/stride_w/pad_left/pad_right", (uint32_t)q[2], (uint32_t)q[5], (uint32_t)q[7],
                      (uint32_t)q[10], (uint32_t)q[11], &ow))) {
        return e;
    }
    uint64_t n = (uint64_t)q[0], ch = (uint64_t)q[3];
    if ((e = qlr_op_expect_bytes(c, T_X, prod4(n, (uint64_t)q[1], (uint64_t)q[2], ch))) ||
        (e = qlr_op_expect_bytes(c, T_W, prod4(1u, (uint64_t)q[4], (uint64_t)q[5], ch))) ||
        (e = qlr_op_expect_bytes(c, T_BIAS, 4u * ch)) || (e = qlr_op_expect_bytes(c, T_Y, prod4(n, oh, ow, ch)))) {
        return e;
    }
    *a = (qlr_dwconv2d_s8_args_t){
        .x = c->tensor[T_X], .w = (const int8_t *)c->tensor[T_W], .bias = (const int32_t *)(void *)c->tensor[T_BIAS],
        .y = c->tensor[T_Y], .n = (uint32_t)q[0], .in_h = (uint32_t)q[1], .in_w = (uint32_t)q[2],
        .c = (uint32_t)q[3], .k_h = (uint32_t)q[4], .k_w = (uint32_t)q[5], .stride_h = (uint32_t)q[6],
        .stride_w = (uint32_t)q[7], .pad_top = (uint32_t)q[8], .pad_bottom = (uint32_t)q[9],
        .pad_left = (uint32_t)q[10], .pad_right = (uint32_t)q[11], .in_zp = q[12], .w_zp = q[13]};
    return check_requant(c, q + 14, a->c, T_MULT, &a->rq);
}

static size_t dw_scratch(const qlr_op_call_t *c, const qlr_dwconv2d_s8_args_t *a)
{
    return fold_bytes(a->in_zp, a->c) + qlr_dwconv2d_s8_scratch_size(a, c->cores);
}

static const char *dw_check(const qlr_op_call_t *c)
{
    qlr_dwconv2d_s8_args_t a;
    const char *e;
    if ((e = dw_args(c, &a)) || (e = check_scratch(c, dw_scratch(c, &a)))) {
        return e;
    }
    return check_bound(c, a.w, a.bias, a.c, a.k_h * a.k_w, 1, a.in_zp, a.w_zp);
}

static uint64_t dw_macs(const qlr_op_call_t *c)
{
    const int32_t *q = c->param;
    uint64_t oh = qlr_s8_out_size((uint32_t)q[1], (uint32_t)q[4], (uint32_t)q[6], (uint32_t)q[8], (uint32_t)q[9]);
    uint64_t ow = qlr_s8_out_size((uint32_t)q[2], (uint32_t)q[5], (uint32_t)q[7], (uint32_t)q[10], (uint32_t)q[11]);
    return prod4((uint64_t)q[0], oh, ow, (uint64_t)q[3]) * ((uint64_t)q[4] * (uint64_t)q[5]);
}

typedef struct {
    qlr_dwconv2d_s8_args_t a;
    fold_t f;
} dw_job_t;

static void dw_task(void *p)
{
    dw_job_t *j = p;
    fold_share(&j->f);
    qlr_status_t st = qlr_dwconv2d_s8(&j->a);
    if (j->f.status[qlr_core_id()] == QLR_OK) {
        j->f.status[qlr_core_id()] = st;
    }
}

static qlr_status_t dw_run(const qlr_op_call_t *c)
{
    dw_job_t j;
    if (dw_args(c, &j.a) != NULL) {
        return QLR_E_ARG;
    }
    uint8_t *s = scratch_for(c, dw_scratch(c, &j.a));
    size_t fb = fold_bytes(j.a.in_zp, j.a.c);
    fold_init(&j.f, j.a.w, j.a.bias, j.a.c, j.a.k_h * j.a.k_w, 1, j.a.in_zp, j.a.w_zp, s);
    if (j.f.bias_eff != NULL) {
        j.a.bias = j.f.bias_eff;
    }
    j.a.scratch = s + fb;
    j.a.scratch_size = qlr_dwconv2d_s8_scratch_size(&j.a, c->cores);
    qlr_team_fork(c->cores, dw_task, &j);
    return team_status(&j.f, c->cores);
}

/* ---- pwconv_s8 ------------------------------------------------------------------------- */
/* params: n in_h in_w in_c out_c stride_h stride_w in_zp w_zp out_zp act_min act_max rq_channels */

static const rule_t pw_rules[] = {
    DIM("n"), DIM("in_h"), DIM("in_w"), CH("in_c"), CH("out_c"), KER("stride_h"), KER("stride_w"),
    ZP_U8("in_zp"), {"w_zp", -128, 127}, ZP_U8("out_zp"), ZP_U8("act_min"), ZP_U8("act_max"),
    {"rq_channels", 1, 1 << 24},
};

static const char *pw_args(const qlr_op_call_t *c, qlr_pwconv_s8_args_t *a)
{
    const int32_t *q = c->param;
    const char *e;
    if ((e = check_rules(c, pw_rules))) {
        return e;
    }
    uint64_t oh = ((uint64_t)q[1] - 1u) / (uint64_t)q[5] + 1u, ow = ((uint64_t)q[2] - 1u) / (uint64_t)q[6] + 1u;
    uint64_t n = (uint64_t)q[0], cin = (uint64_t)q[3], cout = (uint64_t)q[4];
    if ((e = qlr_op_expect_bytes(c, T_X, prod4(n, (uint64_t)q[1], (uint64_t)q[2], cin))) ||
        (e = qlr_op_expect_bytes(c, T_W, mul_sat(cout, cin))) || (e = qlr_op_expect_bytes(c, T_BIAS, 4u * cout)) ||
        (e = qlr_op_expect_bytes(c, T_Y, prod4(n, oh, ow, cout)))) {
        return e;
    }
    *a = (qlr_pwconv_s8_args_t){
        .x = c->tensor[T_X], .w = (const int8_t *)c->tensor[T_W], .bias = (const int32_t *)(void *)c->tensor[T_BIAS],
        .y = c->tensor[T_Y], .n = (uint32_t)q[0], .in_h = (uint32_t)q[1], .in_w = (uint32_t)q[2],
        .in_c = (uint32_t)q[3], .out_c = (uint32_t)q[4], .stride_h = (uint32_t)q[5], .stride_w = (uint32_t)q[6],
        .in_zp = q[7], .w_zp = q[8]};
    return check_requant(c, q + 9, a->out_c, T_MULT, &a->rq);
}

static const char *pw_check(const qlr_op_call_t *c)
{
    qlr_pwconv_s8_args_t a;
    const char *e;
    if ((e = pw_args(c, &a)) || (e = check_scratch(c, fold_bytes(a.in_zp, a.out_c)))) {
        return e;
    }
    return check_bound(c, a.w, a.bias, a.out_c, a.in_c, 0, a.in_zp, a.w_zp);
}

static uint64_t pw_macs(const qlr_op_call_t *c)
{
    const int32_t *q = c->param;
    uint64_t oh = ((uint64_t)q[1] - 1u) / (uint64_t)q[5] + 1u, ow = ((uint64_t)q[2] - 1u) / (uint64_t)q[6] + 1u;
    return prod4((uint64_t)q[0], oh, ow, (uint64_t)q[4]) * (uint64_t)q[3];
}

typedef struct {
    qlr_pwconv_s8_args_t a;
    fold_t f;
} pw_job_t;

static void pw_task(void *p)
{
    pw_job_t *j = p;
    fold_share(&j->f);
    qlr_status_t st = qlr_pwconv_s8(&j->a);
    if (j->f.status[qlr_core_id()] == QLR_OK) {
        j->f.status[qlr_core_id()] = st;
    }
}

static qlr_status_t pw_run(const qlr_op_call_t *c)
{
    pw_job_t j;
    if (pw_args(c, &j.a) != NULL) {
        return QLR_E_ARG;
    }
    uint8_t *s = scratch_for(c, fold_bytes(j.a.in_zp, j.a.out_c));
    fold_init(&j.f, j.a.w, j.a.bias, j.a.out_c, j.a.in_c, 0, j.a.in_zp, j.a.w_zp, s);
    if (j.f.bias_eff != NULL) {
        j.a.bias = j.f.bias_eff;
    }
    qlr_team_fork(c->cores, pw_task, &j);
    return team_status(&j.f, c->cores);
}

/* ---- linear_s8 ------------------------------------------------------------------------- */
/* params: n in_f out_f in_zp w_zp out_zp act_min act_max rq_channels */

static const rule_t linear_rules[] = {
    DIM("n"), CH("in_f"), CH("out_f"), ZP_U8("in_zp"), {"w_zp", -128, 127}, ZP_U8("out_zp"), ZP_U8("act_min"),
    ZP_U8("act_max"), {"rq_channels", 1, 1 << 24},
};

static const char *linear_args(const qlr_op_call_t *c, qlr_linear_s8_args_t *a)
{
    const int32_t *q = c->param;
    const char *e;
    if ((e = check_rules(c, linear_rules))) {
        return e;
    }
    uint64_t n = (uint64_t)q[0], in = (uint64_t)q[1], out = (uint64_t)q[2];
    if ((e = qlr_op_expect_bytes(c, T_X, mul_sat(n, in))) || (e = qlr_op_expect_bytes(c, T_W, mul_sat(out, in))) ||
        (e = qlr_op_expect_bytes(c, T_BIAS, 4u * out)) || (e = qlr_op_expect_bytes(c, T_Y, mul_sat(n, out)))) {
        return e;
    }
    *a = (qlr_linear_s8_args_t){.x = c->tensor[T_X], .w = (const int8_t *)c->tensor[T_W],
                                .bias = (const int32_t *)(void *)c->tensor[T_BIAS], .y = c->tensor[T_Y],
                                .n = (uint32_t)q[0], .in_f = (uint32_t)q[1], .out_f = (uint32_t)q[2],
                                .in_zp = q[3], .w_zp = q[4]};
    return check_requant(c, q + 5, a->out_f, T_MULT, &a->rq);
}

static const char *linear_check(const qlr_op_call_t *c)
{
    qlr_linear_s8_args_t a;
    const char *e;
    if ((e = linear_args(c, &a)) || (e = check_scratch(c, fold_bytes(a.in_zp, a.out_f)))) {
        return e;
    }
    return check_bound(c, a.w, a.bias, a.out_f, a.in_f, 0, a.in_zp, a.w_zp);
}

static uint64_t linear_macs(const qlr_op_call_t *c)
{
    return (uint64_t)c->param[0] * (uint64_t)c->param[1] * (uint64_t)c->param[2];
}

typedef struct {
    qlr_linear_s8_args_t a;
    fold_t f;
} linear_job_t;

static void linear_task(void *p)
{
    linear_job_t *j = p;
    fold_share(&j->f);
    qlr_status_t st = qlr_linear_s8(&j->a);
    if (j->f.status[qlr_core_id()] == QLR_OK) {
        j->f.status[qlr_core_id()] = st;
    }
}

static qlr_status_t linear_run(const qlr_op_call_t *c)
{
    linear_job_t j;
    if (linear_args(c, &j.a) != NULL) {
        return QLR_E_ARG;
    }
    uint8_t *s = scratch_for(c, fold_bytes(j.a.in_zp, j.a.out_f));
    fold_init(&j.f, j.a.w, j.a.bias, j.a.out_f, j.a.in_f, 0, j.a.in_zp, j.a.w_zp, s);
    if (j.f.bias_eff != NULL) {
        j.a.bias = j.f.bias_eff;
    }
    qlr_team_fork(c->cores, linear_task, &j);
    return team_status(&j.f, c->cores);
}

/* ---- avgpool_u8 ------------------------------------------------------------------------ */
/* params: n in_h in_w c k_h k_w stride_h stride_w pad_top pad_bottom pad_left pad_right
 *         in_zp out_zp act_min act_max rq_channels; k = 0: the whole input (global); stride 0: = k */

static const char *const pool_tensors[] = {"x", "mult", "shift", "y"};

static const rule_t pool_rules[] = {
    DIM("n"), DIM("in_h"), DIM("in_w"), CH("c"), {"k_h", 0, 65535}, {"k_w", 0, 65535}, {"stride_h", 0, 65535},
    {"stride_w", 0, 65535}, PAD("pad_top"), PAD("pad_bottom"), PAD("pad_left"), PAD("pad_right"),
    ZP_U8("in_zp"), ZP_U8("out_zp"), ZP_U8("act_min"), ZP_U8("act_max"), {"rq_channels", 1, 1 << 24},
};

static const char *pool_args(const qlr_op_call_t *c, qlr_avgpool_u8_args_t *a)
{
    const int32_t *q = c->param;
    const char *e;
    if ((e = check_rules(c, pool_rules))) {
        return e;
    }
    uint32_t kh = q[4] != 0 ? (uint32_t)q[4] : (uint32_t)q[1], kw = q[5] != 0 ? (uint32_t)q[5] : (uint32_t)q[2];
    uint32_t sh = q[6] != 0 ? (uint32_t)q[6] : kh, sw = q[7] != 0 ? (uint32_t)q[7] : kw;
    if ((uint64_t)kh * kw > 2147483647u / 255u) {
        return "parameters k_h*k_w: the window could overflow the int32 sum";
    }
    uint32_t oh, ow;
    if ((e = geometry("k_h/stride_h/pad_top/pad_bottom", (uint32_t)q[1], kh, sh, (uint32_t)q[8], (uint32_t)q[9], &oh)) ||
        (e = geometry("k_w/stride_w/pad_left/pad_right", (uint32_t)q[2], kw, sw, (uint32_t)q[10], (uint32_t)q[11],
                      &ow))) {
        return e;
    }
    uint64_t n = (uint64_t)q[0], ch = (uint64_t)q[3];
    if ((e = qlr_op_expect_bytes(c, 0, prod4(n, (uint64_t)q[1], (uint64_t)q[2], ch))) ||
        (e = qlr_op_expect_bytes(c, 3, prod4(n, oh, ow, ch)))) {
        return e;
    }
    *a = (qlr_avgpool_u8_args_t){.x = c->tensor[0], .y = c->tensor[3], .n = (uint32_t)q[0], .in_h = (uint32_t)q[1],
                                 .in_w = (uint32_t)q[2], .c = (uint32_t)q[3], .k_h = kh, .k_w = kw, .stride_h = sh,
                                 .stride_w = sw, .pad_top = (uint32_t)q[8], .pad_bottom = (uint32_t)q[9],
                                 .pad_left = (uint32_t)q[10], .pad_right = (uint32_t)q[11], .in_zp = q[12]};
    return check_requant(c, q + 13, a->c, 1u, &a->rq);
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
        return 0;
    }
    uint64_t oh = qlr_s8_out_size(a.in_h, a.k_h, a.stride_h, a.pad_top, a.pad_bottom);
    uint64_t ow = qlr_s8_out_size(a.in_w, a.k_w, a.stride_w, a.pad_left, a.pad_right);
    return prod4(a.n, oh, ow, a.c) * ((uint64_t)a.k_h * a.k_w); /* additions */
}

typedef struct {
    qlr_avgpool_u8_args_t a;
    qlr_status_t status;
} pool_job_t;

static void pool_task(void *p)
{
    pool_job_t *j = p;
    qlr_status_t st = qlr_avgpool_u8(&j->a);
    if (qlr_core_id() == 0u) {
        j->status = st;
    }
}

static qlr_status_t pool_run(const qlr_op_call_t *c)
{
    pool_job_t j;
    if (pool_args(c, &j.a) != NULL) {
        return QLR_E_ARG;
    }
    j.status = QLR_OK;
    qlr_team_fork(c->cores, pool_task, &j);
    return j.status;
}

/* ---- add_u8 ---------------------------------------------------------------------------- */
/* params: n h w c a_zp b_zp mult_a mult_b shift out_zp act_min act_max */

static const char *const add_tensors[] = {"a", "b", "y"};

static const rule_t add_rules[] = {
    DIM("n"), DIM("h"), DIM("w"), CH("c"), ZP_U8("a_zp"), ZP_U8("b_zp"), {"mult_a", 0, (1 << 21) - 1},
    {"mult_b", 0, (1 << 21) - 1}, {"shift", 1, 31}, ZP_U8("out_zp"), ZP_U8("act_min"), ZP_U8("act_max"),
};

static const char *add_args(const qlr_op_call_t *c, qlr_add_u8_args_t *a)
{
    const int32_t *q = c->param;
    const char *e;
    if ((e = check_rules(c, add_rules))) {
        return e;
    }
    if (q[10] > q[11]) {
        snprintf(msg, sizeof msg, "parameter act_min = %ld is above act_max = %ld", (long)q[10], (long)q[11]);
        return msg;
    }
    uint64_t count = prod4((uint64_t)q[0], (uint64_t)q[1], (uint64_t)q[2], (uint64_t)q[3]);
    if ((e = qlr_op_expect_bytes(c, 0, count)) || (e = qlr_op_expect_bytes(c, 1, count)) ||
        (e = qlr_op_expect_bytes(c, 2, count))) {
        return e;
    }
    *a = (qlr_add_u8_args_t){.a = c->tensor[0], .b = c->tensor[1], .y = c->tensor[2], .count = (uint32_t)count,
                             .a_zp = q[4], .b_zp = q[5], .mult_a = q[6], .mult_b = q[7], .shift = q[8],
                             .out_zp = q[9], .act_min = q[10], .act_max = q[11]};
    return NULL;
}

static const char *add_check(const qlr_op_call_t *c)
{
    qlr_add_u8_args_t a;
    return add_args(c, &a);
}

static uint64_t add_macs(const qlr_op_call_t *c)
{
    return prod4((uint64_t)c->param[0], (uint64_t)c->param[1], (uint64_t)c->param[2], (uint64_t)c->param[3]);
}

typedef struct {
    qlr_add_u8_args_t a;
    qlr_status_t status;
} add_job_t;

static void add_task(void *p)
{
    add_job_t *j = p;
    qlr_status_t st = qlr_add_u8(&j->a);
    if (qlr_core_id() == 0u) {
        j->status = st;
    }
}

static qlr_status_t add_run(const qlr_op_call_t *c)
{
    add_job_t j;
    if (add_args(c, &j.a) != NULL) {
        return QLR_E_ARG;
    }
    j.status = QLR_OK;
    qlr_team_fork(c->cores, add_task, &j);
    return j.status;
}

/* ---- requant_u8 ------------------------------------------------------------------------ */
/* params: m channels out_zp act_min act_max rq_channels; tensors acc [m][channels] int32,
 * mult, shift, y [m][channels] */

static const char *const rq_tensors[] = {"acc", "mult", "shift", "y"};

static const rule_t rq_rules[] = {
    {"m", 1, I32MAX}, CH("channels"), ZP_U8("out_zp"), ZP_U8("act_min"), ZP_U8("act_max"), {"rq_channels", 1, 1 << 24},
};

static const char *rq_args(const qlr_op_call_t *c, qlr_requant_u8_args_t *a)
{
    const int32_t *q = c->param;
    const char *e;
    if ((e = check_rules(c, rq_rules))) {
        return e;
    }
    uint64_t count = mul_sat((uint64_t)q[0], (uint64_t)q[1]);
    if ((e = qlr_op_expect_bytes(c, 0, mul_sat(4u, count))) || (e = qlr_op_expect_bytes(c, 3, count))) {
        return e;
    }
    *a = (qlr_requant_u8_args_t){.acc = (const int32_t *)(void *)c->tensor[0], .y = c->tensor[3], .m = (uint32_t)q[0],
                                 .channels = (uint32_t)q[1]};
    return check_requant(c, q + 2, a->channels, 1u, &a->rq);
}

static const char *rq_check(const qlr_op_call_t *c)
{
    qlr_requant_u8_args_t a;
    return rq_args(c, &a);
}

static uint64_t rq_macs(const qlr_op_call_t *c)
{
    return mul_sat((uint64_t)c->param[0], (uint64_t)c->param[1]);
}

typedef struct {
    qlr_requant_u8_args_t a;
    qlr_status_t status;
} rq_job_t;

static void rq_task(void *p)
{
    rq_job_t *j = p;
    qlr_status_t st = qlr_requant_u8_run(&j->a);
    if (qlr_core_id() == 0u) {
        j->status = st;
    }
}

static qlr_status_t rq_run(const qlr_op_call_t *c)
{
    rq_job_t j;
    if (rq_args(c, &j.a) != NULL) {
        return QLR_E_ARG;
    }
    j.status = QLR_OK;
    qlr_team_fork(c->cores, rq_task, &j);
    return j.status;
}

#define NPARAM(rules) ((unsigned)(sizeof(rules) / sizeof((rules)[0])))

const qlr_op_t qlr_ops_s8[] = {
    {"conv2d_s8", NPARAM(conv_rules), 6, conv_tensors, conv_check, conv_macs, conv_run},
    {"dwconv2d_s8", NPARAM(dw_rules), 6, conv_tensors, dw_check, dw_macs, dw_run},
    {"pwconv_s8", NPARAM(pw_rules), 6, conv_tensors, pw_check, pw_macs, pw_run},
    {"linear_s8", NPARAM(linear_rules), 6, conv_tensors, linear_check, linear_macs, linear_run},
    {"avgpool_u8", NPARAM(pool_rules), 4, pool_tensors, pool_check, pool_macs, pool_run},
    {"add_u8", NPARAM(add_rules), 3, add_tensors, add_check, add_macs, add_run},
    {"requant_u8", NPARAM(rq_rules), 4, rq_tensors, rq_check, rq_macs, rq_run},
    {NULL, 0, 0, NULL, NULL, NULL, NULL},
};

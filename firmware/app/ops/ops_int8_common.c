/*
 * The checks and the parallel run the int8 ops share (ops_int8_common.h).
 */
#include "ops_int8_common.h"

#include <stdio.h>

#include "qlr/kernel.h"
#include "qlr/runtime.h"

static char msg[160];

uint64_t qlr_int8_op_prod4(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    return qlr_mul_sat64(qlr_mul_sat64(a, b), qlr_mul_sat64(c, d));
}

const char *qlr_int8_op_check_cores(const qlr_op_call_t *c)
{
    return c->cores > QLR_INT8_OP_MAX_CORES ? "more cores than the int8 ops support (64)" : NULL;
}

const char *qlr_int8_op_act_range(int32_t act_min, int32_t act_max)
{
    if (act_min > act_max) {
        snprintf(msg, sizeof msg, "parameter act_min = %ld is above act_max = %ld", (long)act_min, (long)act_max);
        return msg;
    }
    return NULL;
}

const char *qlr_int8_op_requant(const qlr_op_call_t *c, int32_t out_zp, int32_t act_min, int32_t act_max,
                                int32_t rq_channels, uint32_t channels, unsigned tm, qlr_requant_t *rq)
{
    const char *e;
    if ((e = qlr_int8_op_act_range(act_min, act_max))) {
        return e;
    }
    if (rq_channels != 1 && (uint32_t)rq_channels != channels) {
        snprintf(msg, sizeof msg, "parameter rq_channels = %ld must be 1 or the %lu output channels", (long)rq_channels,
                 (unsigned long)channels);
        return msg;
    }
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

static const char *axis(const char *what, uint32_t n, uint32_t k, uint32_t s, uint32_t p0, uint32_t p1, uint32_t *out)
{
    *out = qlr_int8_out_size(n, k, s, p0, p1);
    if (*out == 0u) {
        snprintf(msg, sizeof msg, "parameter %s: kernel %lu does not fit the padded input %ld+%ld+%ld", what,
                 (unsigned long)k, (long)n, (long)p0, (long)p1);
        return msg;
    }
    return NULL;
}

const char *qlr_int8_op_window(const qlr_int8_window_t *w, uint32_t *oh, uint32_t *ow)
{
    const char *e = axis("k_h/stride_h/pad_top/pad_bottom", w->in_h, w->k_h, w->stride_h, w->pad_top, w->pad_bottom, oh);
    return e != NULL ? e
                     : axis("k_w/stride_w/pad_left/pad_right", w->in_w, w->k_w, w->stride_w, w->pad_left, w->pad_right,
                            ow);
}

size_t qlr_int8_op_fold_bytes(const qlr_int8_fold_t *f)
{
    return f->in_zp != 0 ? (4u * (size_t)f->channels + 15u) & ~(size_t)15u : 0u;
}

uint8_t *qlr_int8_op_scratch(const qlr_op_call_t *c, size_t bytes)
{
    if (bytes <= c->l1_size) {
        return c->l1;
    }
    if (bytes <= c->l2_scratch_size) {
        return c->l2_scratch;
    }
    return NULL;
}

const char *qlr_int8_op_check_weighted(const qlr_op_call_t *c, size_t bytes, const qlr_int8_fold_t *f)
{
    if (qlr_int8_op_scratch(c, bytes) == NULL) {
        snprintf(msg, sizeof msg, "needs %lu bytes of scratch (folded bias, im2col), L1 has %lu and free L2 %lu",
                 (unsigned long)bytes, (unsigned long)c->l1_size, (unsigned long)c->l2_scratch_size);
        return msg;
    }
    uint32_t bad;
    if (!qlr_int8_accumulator_bound_ok(f->w, f->bias, f->channels, f->taps, f->depthwise, f->in_zp, f->w_zp, &bad)) {
        snprintf(msg, sizeof msg,
                 "tensors w/bias: the int32 accumulator could overflow in output channel %lu (%lu taps); "
                 "reduce the bias or the fan-in",
                 (unsigned long)bad, (unsigned long)f->taps);
        return msg;
    }
    return NULL;
}

/* ---- the run -------------------------------------------------------------------------------- */

static void job_task(void *arg)
{
    qlr_int8_job_t *j = arg;
    const unsigned id = qlr_core_id();
    qlr_status_t st = QLR_OK;
    if (j->bias_eff != NULL) {
        const qlr_int8_fold_t *f = &j->fold;
        uint32_t c0, c1;
        qlr_my_share(f->channels, &c0, &c1);
        st = f->depthwise ? qlr_dwconv2d_u8s8_fold_bias(f->w, f->bias, f->taps, f->channels, f->in_zp, f->w_zp, c0,
                                                         c1, j->bias_eff)
                          : qlr_conv2d_u8s8_fold_bias(f->w, f->bias, f->taps, f->in_zp, f->w_zp, c0, c1, j->bias_eff);
        qlr_team_barrier();
    }
    qlr_status_t k;
    switch (j->kernel) {
    case QLR_I8_CONV: k = qlr_conv2d_u8s8(&j->u.conv); break;
    case QLR_I8_DW: k = qlr_dwconv2d_u8s8(&j->u.dw); break;
    case QLR_I8_PW: k = qlr_pwconv_u8s8(&j->u.pw); break;
    case QLR_I8_LINEAR: k = qlr_linear_u8s8(&j->u.linear); break;
    case QLR_I8_POOL: k = qlr_avgpool_u8(&j->u.pool); break;
    case QLR_I8_ADD: k = qlr_add_u8(&j->u.add); break;
    default: k = qlr_requant_u8_run(&j->u.requant); break;
    }
    j->status[id] = st != QLR_OK ? st : k;
}

const int32_t *qlr_int8_op_fold(qlr_int8_job_t *j, const qlr_int8_fold_t *f, uint8_t *scratch)
{
    if (f->in_zp == 0) {
        return f->bias;
    }
    j->fold = *f;
    j->bias_eff = (int32_t *)(void *)scratch;
    return j->bias_eff;
}

qlr_status_t qlr_int8_op_run_job(const qlr_op_call_t *c, qlr_int8_job_t *j)
{
    for (unsigned i = 0; i < QLR_INT8_OP_MAX_CORES; i++) {
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

/*
 * Requantization checks and the array form of qlr_requant_u8; output geometry; the accumulator
 * bound and bias folding shared by the int8 kernels (qlr/kernels_int8.h).
 */
#include "int8_core.h"

#define I32_MAX 2147483647LL

qlr_status_t qlr_requant_check(const qlr_requant_t *rq, uint32_t channels, uint32_t *bad)
{
    if (bad != NULL) {
        *bad = UINT32_MAX;
    }
    if (rq->mult == NULL || rq->shift == NULL || (rq->n != 1u && rq->n != channels)) {
        return QLR_E_ARG;
    }
    if (rq->out_zp < 0 || rq->out_zp > 255 || rq->act_min < 0 || rq->act_min > rq->act_max || rq->act_max > 255) {
        return QLR_E_ARG;
    }
    for (uint32_t i = 0; i < rq->n; i++) {
        if (rq->mult[i] < 0 || rq->shift[i] < QLR_RQ_SHIFT_MIN || rq->shift[i] > QLR_RQ_SHIFT_MAX) {
            if (bad != NULL) {
                *bad = i;
            }
            return QLR_E_ARG;
        }
    }
    return QLR_OK;
}

qlr_status_t qlr_requant_u8_run(const qlr_requant_u8_args_t *a)
{
    if (a->acc == NULL || a->y == NULL || a->channels == 0u) {
        return QLR_E_ARG;
    }
    if (a->m != 0u && qlr_elems2(a->m, a->channels) == 0u) {
        return QLR_E_SIZE;
    }
    qlr_status_t st = qlr_requant_check(&a->rq, a->channels, NULL);
    if (st != QLR_OK) {
        return st;
    }
    uint32_t r0, r1;
    qlr_share(a->m, qlr_core_id(), qlr_core_count(), &r0, &r1);
    const qlr_requant_t *rq = &a->rq;
    uint32_t per_channel = rq->n != 1u;
    for (uint32_t r = r0; r < r1; r++) {
        const int32_t *acc = a->acc + (size_t)r * a->channels;
        uint8_t *y = a->y + (size_t)r * a->channels;
        for (uint32_t c = 0; c < a->channels; c++) {
            uint32_t q = per_channel ? c : 0u;
            y[c] = qlr_requant_u8(acc[c], rq->mult[q], rq->shift[q], rq->out_zp, rq->act_min, rq->act_max);
        }
    }
    qlr_team_barrier();
    return QLR_OK;
}

void qlr_requant_u8_strided(const int32_t *acc, size_t acc_step, uint8_t *y, size_t y_step, uint32_t n, int32_t mult,
                            uint32_t shift, int32_t out_zp, int32_t act_min, int32_t act_max)
{
    const int32_t *end = acc + (size_t)n * acc_step;
    if (shift >= 33u) {
        /* qlr_requant_u8's shift >= 33 path; |q| < 2^30, so q + out_zp cannot overflow */
        const int32_t rnd = (int32_t)(1u << (shift - 33u)), sh = (int32_t)(shift - 32u);
        for (; acc != end; acc += acc_step, y += y_step) {
            int32_t q = (((int32_t)(((int64_t)*acc * mult) >> 32) + rnd) >> sh) + out_zp;
            q = q < act_min ? act_min : q;
            *y = (uint8_t)(q > act_max ? act_max : q);
        }
        return;
    }
    for (; acc != end; acc += acc_step, y += y_step) {
        *y = qlr_requant_u8(*acc, mult, shift, out_zp, act_min, act_max);
    }
}

uint32_t qlr_int8_out_size(uint32_t n, uint32_t k, uint32_t s, uint32_t p0, uint32_t p1)
{
    uint64_t padded = (uint64_t)n + p0 + p1;
    if (k == 0u || s == 0u || n == 0u || padded < k) {
        return 0;
    }
    uint64_t o = (padded - k) / s + 1u;
    return o > UINT32_MAX ? 0u : (uint32_t)o;
}

int qlr_int8_accumulator_bound_ok(const int8_t *w, const int32_t *bias, uint32_t channels, uint32_t taps,
                                int depthwise, int32_t in_zp, int32_t w_zp, uint32_t *first_bad)
{
    for (uint32_t c = 0; c < channels; c++) {
        int32_t wmax = 0;
        for (uint32_t t = 0; t < taps; t++) {
            int32_t v = (int32_t)w[depthwise ? (size_t)t * channels + c : (size_t)c * taps + t] - w_zp;
            v = v < 0 ? -v : v;
            wmax = v > wmax ? v : wmax;
        }
        int64_t b = bias != NULL ? (int64_t)bias[c] : 0;
        b = b < 0 ? -b : b;
        /* taps < 2^32, wmax <= 255, 255 + in_zp <= 510: the product stays below 2^49 */
        if (b + (int64_t)taps * wmax * (255 + in_zp) > I32_MAX) {
            if (first_bad != NULL) {
                *first_bad = c;
            }
            return 0;
        }
    }
    return 1;
}

static qlr_status_t fold(const int8_t *w, const int32_t *bias, uint32_t taps, size_t tap_stride, size_t ch_stride,
                         int32_t in_zp, int32_t w_zp, uint32_t c_begin, uint32_t c_end, int32_t *bias_eff)
{
    qlr_status_t st = QLR_OK;
    for (uint32_t c = c_begin; c < c_end; c++) {
        int64_t s = 0;
        const int8_t *wc = w + (size_t)c * ch_stride;
        for (uint32_t t = 0; t < taps; t++) {
            s += wc[(size_t)t * tap_stride];
        }
        s -= (int64_t)w_zp * taps;
        int64_t v = (bias != NULL ? (int64_t)bias[c] : 0) - (int64_t)in_zp * s;
        if (v > I32_MAX || v < -I32_MAX - 1) {
            st = QLR_E_ARG;
            v = 0;
        }
        bias_eff[c] = (int32_t)v;
    }
    return st;
}

qlr_status_t qlr_conv2d_u8s8_fold_bias(const int8_t *w, const int32_t *bias, uint32_t taps, int32_t in_zp,
                                     int32_t w_zp, uint32_t c_begin, uint32_t c_end, int32_t *bias_eff)
{
    if (in_zp == 0) { /* the common case after a ReLU: nothing to fold */
        for (uint32_t c = c_begin; c < c_end; c++) {
            bias_eff[c] = bias != NULL ? bias[c] : 0;
        }
        return QLR_OK;
    }
    return fold(w, bias, taps, 1u, taps, in_zp, w_zp, c_begin, c_end, bias_eff);
}

qlr_status_t qlr_dwconv2d_u8s8_fold_bias(const int8_t *w, const int32_t *bias, uint32_t taps, uint32_t channels,
                                       int32_t in_zp, int32_t w_zp, uint32_t c_begin, uint32_t c_end,
                                       int32_t *bias_eff)
{
    if (in_zp == 0) {
        for (uint32_t c = c_begin; c < c_end; c++) {
            bias_eff[c] = bias != NULL ? bias[c] : 0;
        }
        return QLR_OK;
    }
    return fold(w, bias, taps, channels, 1u, in_zp, w_zp, c_begin, c_end, bias_eff);
}

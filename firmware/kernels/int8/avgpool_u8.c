/*
 * uint8 average pooling, windowed or global, count-include-pad (qlr/kernels_int8.h):
 * acc = sum over the valid taps of x - (valid taps) * in_zp (padded taps hold in_zp and add 0),
 * then qlr_requant_u8 with mult * 2^-shift ~= S_x / (k_h * k_w * S_y). Four channels at a time in
 * registers. Split over the team by output pixels, or by channels when that balances better
 * (global pooling has one pixel per image).
 */
#include "int8_core.h"

#define MAX_TAPS (2147483647u / 255u)

qlr_status_t qlr_avgpool_u8(const qlr_avgpool_u8_args_t *a)
{
    if (a->x == NULL || a->y == NULL || a->n == 0u || a->c == 0u) {
        return QLR_E_ARG;
    }
    uint32_t oh = qlr_int8_out_size(a->in_h, a->k_h, a->stride_h, a->pad_top, a->pad_bottom);
    uint32_t ow = qlr_int8_out_size(a->in_w, a->k_w, a->stride_w, a->pad_left, a->pad_right);
    if (oh == 0u || ow == 0u) {
        return QLR_E_SHAPE;
    }
    if ((uint64_t)a->k_h * a->k_w > MAX_TAPS || a->in_zp < 0 || a->in_zp > 255) {
        return QLR_E_ARG;
    }
    if (qlr_elems4(a->n, a->in_h, a->in_w, a->c) == 0u || qlr_elems4(a->n, oh, ow, a->c) == 0u) {
        return QLR_E_SIZE;
    }
    qlr_status_t st = qlr_requant_check(&a->rq, a->c, NULL);
    if (st != QLR_OK) {
        return st;
    }
    const qlr_requant_t *rq = &a->rq;
    uint32_t pixels = a->n * oh * ow;
    unsigned id = qlr_core_id(), cores = qlr_core_count();
    uint32_t p0 = 0, p1 = pixels, c0 = 0, c1 = a->c;
    if (qlr_split_first(pixels, a->c, cores)) {
        qlr_share(pixels, id, cores, &p0, &p1);
    } else {
        qlr_share(a->c, id, cores, &c0, &c1);
    }
    size_t row_step = (size_t)a->in_w * a->c;
    for (uint32_t p = p0; p < p1; p++) {
        uint32_t ox = p % ow, oy = (p / ow) % oh, b = p / (ow * oh);
        int64_t iy0 = (int64_t)oy * a->stride_h - a->pad_top, ix0 = (int64_t)ox * a->stride_w - a->pad_left;
        uint32_t ky0 = qlr_int8_clip_taps(-iy0, a->k_h), ky1 = qlr_int8_clip_taps((int64_t)a->in_h - iy0, a->k_h);
        uint32_t kx0 = qlr_int8_clip_taps(-ix0, a->k_w), kx1 = qlr_int8_clip_taps((int64_t)a->in_w - ix0, a->k_w);
        uint32_t valid = (ky1 > ky0 && kx1 > kx0) ? (ky1 - ky0) * (kx1 - kx0) : 0u;
        int32_t zsum = (int32_t)valid * a->in_zp; /* <= MAX_TAPS * 255 */
        const uint8_t *x0 = valid != 0u ? a->x + (((size_t)b * a->in_h + (size_t)(iy0 + ky0)) * a->in_w +
                                                  (size_t)(ix0 + kx0)) * a->c
                                        : a->x;
        uint8_t *y = a->y + (size_t)p * a->c;
        for (uint32_t c = c0; c < c1;) {
            uint32_t nc = c1 - c < 4u ? c1 - c : 4u;
            int32_t s[4] = {0, 0, 0, 0};
            if (valid != 0u) {
                const uint8_t *xr = x0 + c;
                for (uint32_t ky = ky0; ky < ky1; ky++, xr += row_step) {
                    const uint8_t *xp = xr;
                    for (uint32_t kx = kx0; kx < kx1; kx++, xp += a->c) {
                        if (nc == 4u) {
                            s[0] += xp[0];
                            s[1] += xp[1];
                            s[2] += xp[2];
                            s[3] += xp[3];
                        } else {
                            for (uint32_t j = 0; j < nc; j++) {
                                s[j] += xp[j];
                            }
                        }
                    }
                }
            }
            for (uint32_t j = 0; j < nc; j++, c++) {
                uint32_t q = rq->n != 1u ? c : 0u;
                y[c] = qlr_requant_u8(s[j] - zsum, rq->mult[q], rq->shift[q], rq->out_zp, rq->act_min, rq->act_max);
            }
        }
    }
    qlr_team_barrier();
    return QLR_OK;
}

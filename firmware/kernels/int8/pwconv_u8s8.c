/*
 * int8 pointwise (1x1) convolution, any stride, no padding (qlr/kernels_int8.h): a product of the
 * [pixels][in_c] input rows with the [out_c][in_c] weights through qlr_int8_rows, two pixels at a
 * time. Split over the team by output pixels, or by output channels when that balances better
 * (fewer pixels than cores).
 */
#include "int8_core.h"

static qlr_status_t pw_check(const qlr_pwconv_u8s8_args_t *a, uint32_t *oh, uint32_t *ow)
{
    if (a->x == NULL || a->w == NULL || a->y == NULL) {
        return QLR_E_ARG;
    }
    if (a->n == 0u || a->in_h == 0u || a->in_w == 0u || a->in_c == 0u || a->out_c == 0u || a->stride_h == 0u ||
        a->stride_w == 0u) {
        return QLR_E_ARG;
    }
    if (a->in_zp < 0 || a->in_zp > 255 || a->w_zp < -128 || a->w_zp > 127) {
        return QLR_E_ARG;
    }
    *oh = (a->in_h - 1u) / a->stride_h + 1u;
    *ow = (a->in_w - 1u) / a->stride_w + 1u;
    if (qlr_elems4(a->n, a->in_h, a->in_w, a->in_c) == 0u || qlr_elems4(a->n, *oh, *ow, a->out_c) == 0u ||
        qlr_elems2(a->out_c, a->in_c) == 0u) {
        return QLR_E_SIZE;
    }
    return qlr_requant_check(&a->rq, a->out_c, NULL);
}

qlr_status_t qlr_pwconv_u8s8(const qlr_pwconv_u8s8_args_t *a)
{
    uint32_t oh, ow;
    qlr_status_t st = pw_check(a, &oh, &ow);
    if (st != QLR_OK) {
        return st;
    }
    uint32_t pixels = a->n * oh * ow;
    const qlr_int8_rows_t g = {.w = a->w, .bias = a->bias, .rq = a->rq, .k = a->in_c, .w_zp = a->w_zp};
    unsigned id = qlr_core_id(), cores = qlr_core_count();
    uint32_t p0 = 0, p1 = pixels, c0 = 0, c1 = a->out_c;
    if (qlr_split_first(pixels, a->out_c, cores)) {
        qlr_share(pixels, id, cores, &p0, &p1);
    } else {
        qlr_share(a->out_c, id, cores, &c0, &c1);
    }
    const uint8_t *xr[2];
    uint8_t *yr[2];
    uint32_t ox = p0 % ow, oy = (p0 / ow) % oh, b = p0 / (ow * oh);
    for (uint32_t p = p0; p < p1;) {
        unsigned nr = p + 1u < p1 ? 2u : 1u;
        for (unsigned r = 0; r < nr; r++, p++) {
            size_t in_pix = ((size_t)b * a->in_h + (size_t)oy * a->stride_h) * a->in_w + (size_t)ox * a->stride_w;
            xr[r] = a->x + in_pix * a->in_c;
            yr[r] = a->y + (size_t)p * a->out_c;
            if (++ox == ow) {
                ox = 0;
                if (++oy == oh) {
                    oy = 0;
                    b++;
                }
            }
        }
        qlr_int8_rows(&g, xr[0], nr == 2u ? xr[1] : NULL, yr[0], nr == 2u ? yr[1] : NULL, c0, c1);
    }
    qlr_team_barrier();
    return QLR_OK;
}

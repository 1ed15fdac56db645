/*
 * int8 linear (fully connected) layer (qlr/kernels_int8.h): [n][in_f] x [out_f][in_f] through
 * qlr_int8_rows, two input rows at a time. Split over the team by output features (a linear layer
 * usually sees one or a few rows), or by rows when they balance better.
 */
#include "int8_core.h"

qlr_status_t qlr_linear_u8s8(const qlr_linear_u8s8_args_t *a)
{
    if (a->x == NULL || a->w == NULL || a->y == NULL || a->n == 0u || a->in_f == 0u || a->out_f == 0u) {
        return QLR_E_ARG;
    }
    if (a->in_zp < 0 || a->in_zp > 255 || a->w_zp < -128 || a->w_zp > 127) {
        return QLR_E_ARG;
    }
    if (qlr_elems2(a->n, a->in_f) == 0u || qlr_elems2(a->n, a->out_f) == 0u || qlr_elems2(a->out_f, a->in_f) == 0u) {
        return QLR_E_SIZE;
    }
    qlr_status_t st = qlr_requant_check(&a->rq, a->out_f, NULL);
    if (st != QLR_OK) {
        return st;
    }
    const qlr_int8_rows_t g = {.w = a->w, .bias = a->bias, .rq = a->rq, .k = a->in_f, .w_zp = a->w_zp};
    unsigned id = qlr_core_id(), cores = qlr_core_count();
    uint32_t r0 = 0, r1 = a->n, c0 = 0, c1 = a->out_f;
    if (qlr_split_first(a->out_f, a->n, cores)) {
        qlr_share(a->out_f, id, cores, &c0, &c1);
    } else {
        qlr_share(a->n, id, cores, &r0, &r1);
    }
    for (uint32_t r = r0; r < r1; r += 2u) {
        const uint8_t *x0 = a->x + (size_t)r * a->in_f;
        uint8_t *y0 = a->y + (size_t)r * a->out_f;
        int two = r + 1u < r1;
        qlr_int8_rows(&g, x0, two ? x0 + a->in_f : NULL, y0, two ? y0 + a->out_f : NULL, c0, c1);
    }
    qlr_team_barrier();
    return QLR_OK;
}

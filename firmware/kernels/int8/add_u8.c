/*
 * uint8 residual add with two input scales (qlr/kernels_int8.h): 32-bit arithmetic only,
 * |acc| < 2^30, round half up by adding 2^(shift-1) before an arithmetic shift. Split over the
 * team by elements.
 */
#include "qlr/kernel.h"
#include "qlr/kernels_int8.h"

qlr_status_t qlr_add_u8(const qlr_add_u8_args_t *a)
{
    if (a->a == NULL || a->b == NULL || a->y == NULL) {
        return QLR_E_ARG;
    }
    if (a->a_zp < 0 || a->a_zp > 255 || a->b_zp < 0 || a->b_zp > 255 || a->mult_a < 0 ||
        a->mult_a >= QLR_ADD_MULT_LIMIT || a->mult_b < 0 || a->mult_b >= QLR_ADD_MULT_LIMIT || a->shift < 1 ||
        a->shift > QLR_ADD_SHIFT_MAX || a->out_zp < 0 || a->out_zp > 255 || a->act_min < 0 ||
        a->act_min > a->act_max || a->act_max > 255) {
        return QLR_E_ARG;
    }
    if (a->count > QLR_MAX_ELEMS) {
        return QLR_E_SIZE;
    }
    uint32_t i0, i1;
    qlr_share(a->count, qlr_core_id(), qlr_core_count(), &i0, &i1);
    int32_t round = (int32_t)(1u << (a->shift - 1));
    int32_t hi = a->act_max - a->out_zp, lo = a->act_min - a->out_zp;
    for (uint32_t i = i0; i < i1; i++) {
        int32_t acc = ((int32_t)a->a[i] - a->a_zp) * a->mult_a + ((int32_t)a->b[i] - a->b_zp) * a->mult_b;
        int32_t v = (acc + round) >> a->shift; /* arithmetic: floor */
        a->y[i] = (uint8_t)(v >= hi ? a->act_max : (v <= lo ? a->act_min : v + a->out_zp));
    }
    qlr_team_barrier();
    return QLR_OK;
}

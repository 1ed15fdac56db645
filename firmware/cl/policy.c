/*
 * Mixing and the replacement policy (qlr/cl_policy.h), line for line with host/qlr/cl/policy.py.
 */
#include "qlr/cl_policy.h"

qlr_cl_mix_t qlr_cl_mixing(uint32_t n_new, uint32_t filled, uint32_t mb)
{
    qlr_cl_mix_t m = {0};
    if (n_new == 0u || mb == 0u) {
        return m;
    }
    if (filled == 0u) {
        m.cur = n_new < mb ? n_new : mb;
        m.rep = 0u;
    } else {
        uint32_t nb = (n_new + filled) / mb;
        if (nb < 1u) {
            nb = 1u;
        }
        uint32_t c = n_new / nb;
        if (c < 1u) {
            c = 1u;
        }
        m.cur = c < mb ? c : mb;
        m.rep = mb - m.cur;
    }
    m.iterations = (n_new + m.cur - 1u) / m.cur;
    return m;
}

void qlr_cl_admitted(uint32_t n_lr, uint32_t filled, uint32_t update_index, uint32_t n_new, uint32_t *h,
                     uint32_t *fill)
{
    *h = 0u;
    *fill = 0u;
    if (n_lr == 0u || filled > n_lr) {
        return;
    }
    uint32_t free_slots = n_lr - filled;
    uint32_t share = n_lr / (update_index + 1u);
    uint32_t want = share > free_slots ? share : free_slots;
    *h = n_new < want ? n_new : want;
    *fill = free_slots < *h ? free_slots : *h;
}

uint32_t qlr_cl_memory_update(qlr_rng_t *rng, uint32_t n_lr, uint32_t filled, uint32_t update_index,
                              uint32_t n_new, uint32_t *work, uint32_t *new_index, uint32_t *slots)
{
    uint32_t h, fill;
    qlr_cl_admitted(n_lr, filled, update_index, n_new, &h, &fill);
    qlr_rng_sample(rng, n_new, h, work, new_index);
    for (uint32_t j = 0; j < fill; j++) {
        slots[j] = filled + j;
    }
    if (h > fill) {
        qlr_rng_sample(rng, filled, h - fill, work, slots + fill);
    }
    return h;
}

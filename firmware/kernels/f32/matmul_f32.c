/*
 * FP32 matrix-multiply micro-kernels (qlr/matmul_f32.h). Portable reference version: split by
 * rows of C over the team, one dot product per element. To be replaced by register-blocked
 * versions; the contract stays.
 */
#include "qlr/matmul_f32.h"
#include "qlr/runtime.h"

static float start_value(const qlr_matmul_f32_args_t *p, uint32_t i, uint32_t j)
{
    if (p->accumulate) {
        return p->c[i * p->ldc + j];
    }
    return p->bias != NULL ? p->bias[j] : 0.0f;
}

void qlr_matmul_f32_nn(const qlr_matmul_f32_args_t *p)
{
    uint32_t r0, r1;
    qlr_share(p->m, qlr_core_id(), qlr_core_count(), &r0, &r1);
    for (uint32_t i = r0; i < r1; i++) {
        for (uint32_t j = 0; j < p->n; j++) {
            float s = start_value(p, i, j);
            for (uint32_t t = 0; t < p->k; t++) {
                s += p->a[i * p->lda + t] * p->b[t * p->ldb + j];
            }
            p->c[i * p->ldc + j] = s;
        }
    }
}

void qlr_matmul_f32_nt(const qlr_matmul_f32_args_t *p)
{
    uint32_t r0, r1;
    qlr_share(p->m, qlr_core_id(), qlr_core_count(), &r0, &r1);
    for (uint32_t i = r0; i < r1; i++) {
        for (uint32_t j = 0; j < p->n; j++) {
            float s = start_value(p, i, j);
            for (uint32_t t = 0; t < p->k; t++) {
                s += p->a[i * p->lda + t] * p->b[j * p->ldb + t];
            }
            p->c[i * p->ldc + j] = s;
        }
    }
}

void qlr_matmul_f32_tn(const qlr_matmul_f32_args_t *p)
{
    uint32_t r0, r1;
    qlr_share(p->m, qlr_core_id(), qlr_core_count(), &r0, &r1);
    for (uint32_t i = r0; i < r1; i++) {
        for (uint32_t j = 0; j < p->n; j++) {
            float s = start_value(p, i, j);
            for (uint32_t t = 0; t < p->k; t++) {
                s += p->a[t * p->lda + i] * p->b[t * p->ldb + j];
            }
            p->c[i * p->ldc + j] = s;
        }
    }
}

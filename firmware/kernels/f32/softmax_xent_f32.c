/*
 * FP32 softmax cross-entropy with its gradient (qlr/kernels_f32.h), the golden's definition:
 *   m = max_k z[k];  e[k] = exp(z[k] - m);  s = sum_k e[k]
 *   row_loss = log(s) - (z[label] - m);  dlogits[k] = (e[k] / s - [k == label]) / D
 *   loss = sum of row_loss over the batch / D  (D = norm, or N when norm is 0).
 * Subtracting the row maximum keeps every exp() argument <= 0: no overflow, s in [1, K].
 * Rows are split over the cores; core 0 sums the per-row losses after a barrier.
 */
#include <math.h>

#include "f32_common.h"

qlr_status_t qlr_softmax_xent_f32(const qlr_softmax_xent_f32_args_t *a)
{
    if (a->n == 0 || a->k == 0 || a->row_loss == NULL || a->loss == NULL || (a->norm != 0 && a->norm < a->n)) {
        return QLR_E_ARG;
    }
    if (qlr_elems2(a->n, a->k) == 0u) {
        return QLR_E_SIZE;
    }
    for (uint32_t r = 0; r < a->n; r++) {
        if (a->labels[r] < 0 || (uint32_t)a->labels[r] >= a->k) {
            return QLR_E_ARG;
        }
    }
    const uint32_t K = a->k;
    const uint32_t denom = a->norm != 0 ? a->norm : a->n;
    const float inv_n = 1.0f / (float)denom;
    uint32_t r0, r1;
    qlr_my_share(a->n, &r0, &r1);
    for (uint32_t r = r0; r < r1; r++) {
        const float *z = a->logits + (size_t)r * K;
        float *d = a->dlogits + (size_t)r * K;
        const uint32_t label = (uint32_t)a->labels[r];
        float m = z[0];
        for (uint32_t k = 1; k < K; k++) {
            if (z[k] > m) {
                m = z[k];
            }
        }
        const float z_label = z[label] - m; /* read before d (which may alias z) is written */
        float s = 0.0f;
        for (uint32_t k = 0; k < K; k++) {
            float e = expf(z[k] - m);
            d[k] = e;
            s += e;
        }
        a->row_loss[r] = logf(s) - z_label;
        const float inv_s = 1.0f / s;
        const float p_label = d[label] * inv_s;
        for (uint32_t k = 0; k < K; k++) {
            d[k] = d[k] * inv_s * inv_n;
        }
        d[label] = (p_label - 1.0f) * inv_n; /* p - 1 is exact for p >= 1/2 (Sterbenz) */
    }
    qlr_team_barrier();
    if (qlr_core_id() == 0) {
        float total = 0.0f;
        for (uint32_t r = 0; r < a->n; r++) {
            total += a->row_loss[r];
        }
        *a->loss = total / (float)denom;
    }
    qlr_team_barrier();
    return QLR_OK;
}

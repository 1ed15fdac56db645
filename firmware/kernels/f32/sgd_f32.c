/*
 * FP32 SGD with momentum and weight decay (qlr/kernels_f32.h), in the golden's order:
 *   v = momentum * v;  v = v + g;  if (weight_decay != 0) v = v + weight_decay * w;  w = w - lr * v
 * One statement per rounding so that the order of the roundings is the golden's (a compiler
 * that contracts a*b+c into an FMA still rounds fewer times, never differently ordered).
 */
#include "f32_common.h"

void qlr_sgd_f32(const qlr_sgd_f32_args_t *a)
{
    size_t b, e;
    qlr_my_share_size(a->count, &b, &e);
    const float lr = a->lr, mom = a->momentum, wd = a->weight_decay;
    float *w = a->w, *v = a->v;
    const float *g = a->g;
    if (v == NULL) { /* no momentum buffer (momentum 0): v = 0 * 0 + g (+ wd * w), not kept */
        for (size_t i = b; i < e; i++) {
            float vi = g[i];
            if (wd != 0.0f) {
                vi = vi + wd * w[i];
            }
            w[i] = w[i] - lr * vi;
        }
        qlr_team_barrier();
        return;
    }
    if (wd != 0.0f) {
        for (size_t i = b; i < e; i++) {
            float vi = mom * v[i];
            vi = vi + g[i];
            vi = vi + wd * w[i];
            v[i] = vi;
            w[i] = w[i] - lr * vi;
        }
    } else {
        for (size_t i = b; i < e; i++) {
            float vi = mom * v[i];
            vi = vi + g[i];
            v[i] = vi;
            w[i] = w[i] - lr * vi;
        }
    }
    qlr_team_barrier();
}

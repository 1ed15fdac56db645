/*
 * FP32 activations (qlr/kernels_f32.h), element-wise, split evenly over the team. The forward
 * passes compare with `<` so that a NaN input stays NaN (as NumPy's maximum/clip do): a
 * diverged training shows up instead of being clamped to 0. The backward passes read the
 * forward output y: dx = dy where y > 0 (ReLU), where 0 < y < 6 (ReLU6), else 0.
 */
#include "f32_common.h"

void qlr_relu_f32_fw(const float *x, float *y, size_t count)
{
    size_t b, e;
    qlr_my_share_size(count, &b, &e);
    for (size_t i = b; i < e; i++) {
        float v = x[i];
        y[i] = v < 0.0f ? 0.0f : v;
    }
    qlr_team_barrier();
}

void qlr_relu_f32_bw(const float *dy, const float *y, float *dx, size_t count)
{
    size_t b, e;
    qlr_my_share_size(count, &b, &e);
    for (size_t i = b; i < e; i++) {
        dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
    }
    qlr_team_barrier();
}

void qlr_relu6_f32_fw(const float *x, float *y, size_t count)
{
    size_t b, e;
    qlr_my_share_size(count, &b, &e);
    for (size_t i = b; i < e; i++) {
        float v = x[i];
        y[i] = v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v);
    }
    qlr_team_barrier();
}

void qlr_relu6_f32_bw(const float *dy, const float *y, float *dx, size_t count)
{
    size_t b, e;
    qlr_my_share_size(count, &b, &e);
    for (size_t i = b; i < e; i++) {
        float v = y[i];
        dx[i] = (v > 0.0f && v < 6.0f) ? dy[i] : 0.0f;
    }
    qlr_team_barrier();
}

/*
 * Helpers shared by the FP32 training kernels (not a public API): geometry checks, work shares
 * and the small parallel loops (zero fill, column sums) several kernels need.
 */
#ifndef QLR_F32_COMMON_H
#define QLR_F32_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "matmul_f32_share.h"
#include "qlr/kernel.h"
#include "qlr/kernels_f32.h"

/* Channels per work item of the direct kernels (depthwise, pooling): four accumulators. */
#define QLR_F32_GROUP 4u

/* c + a*b, rounded once where the FPU has a fused multiply-add that the compiler reports as fast
 * (GCC for RISC-V F and Cortex-M4F: GCC in ISO C mode does not contract a*b + c by itself);
 * plain a*b + c elsewhere (clang contracts that into fmadd.s on Zfinx; x86 without FMA keeps
 * two roundings). Either way the result is within the FP32 tolerance of the golden model. */
#if defined(__FP_FAST_FMAF)
#define QLR_F32_MAC(c, a, b) __builtin_fmaf((a), (b), (c))
#else
#define QLR_F32_MAC(c, a, b) ((c) + (a) * (b))
#endif

/* QLR_OK when every size of the window is >= 1 and the window fits the padded input (else
 * QLR_E_ARG), and the input, the output and one window (Kh*Kw*C) have at most QLR_MAX_ELEMS
 * elements (else QLR_E_SIZE). */
qlr_status_t qlr_f32_window_check(const qlr_f32_window_t *g);

/* Zeroes this core's share of p[0..count). No barrier. */
void qlr_f32_zero_share(float *p, size_t count);

/* out[j] (+)= sum over rows r of a[r*cols + j], for this core's share of the columns j
 * (accumulate 0 overwrites, 1 adds). No barrier. */
void qlr_f32_colsum_share(const float *a, uint32_t rows, uint32_t cols, float *out, int accumulate);

/* Calls fn(ctx, pixel, c_lo, c_hi) for this core's share of the (pixel, group of
 * QLR_F32_GROUP channels) items of `pixels` pixels of `c` channels, merging the consecutive
 * groups of one pixel into one call. Balanced to one group whatever c and the pixel count. */
typedef void (*qlr_f32_pixel_fn)(const void *ctx, uint32_t pixel, uint32_t c_lo, uint32_t c_hi);
void qlr_f32_for_my_pixel_groups(uint32_t pixels, uint32_t c, const void *ctx, qlr_f32_pixel_fn fn);

/* Valid tap range [lo, hi) of a window of k taps starting at padded position `start`
 * (= output index * stride - pad) over an input of `size` elements. Empty when lo >= hi. */
static inline void qlr_f32_tap_range(int32_t start, uint32_t k, uint32_t size, int32_t *lo, int32_t *hi)
{
    int32_t l = start < 0 ? -start : 0;
    int32_t h = (int32_t)size - start;
    *lo = l;
    *hi = h < (int32_t)k ? h : (int32_t)k;
}

/* Taps of one axis that reach input position `pos`: i = first, first + s, ... <= last, with
 * output index o = (pos + pad - i) / s counting down from o_first. Empty when first > last. */
typedef struct {
    int32_t first, last;
    uint32_t o_first;
} qlr_f32_taps_t;

static inline qlr_f32_taps_t qlr_f32_taps_reaching(uint32_t pos, uint32_t pad, uint32_t k, uint32_t s, uint32_t out)
{
    qlr_f32_taps_t t;
    int32_t tp = (int32_t)(pos + pad);                   /* position in the padded input */
    int32_t lo = tp - (int32_t)(s * (out - 1u));         /* i >= lo keeps o <= out - 1 */
    if (lo < 0) {
        lo = 0;
    }
    t.first = lo + (int32_t)((uint32_t)(tp - lo) % s);   /* first i >= lo with (tp - i) % s == 0 */
    t.last = tp < (int32_t)k - 1 ? tp : (int32_t)k - 1;  /* i <= tp keeps o >= 0 */
    t.o_first = (uint32_t)(tp - t.first) / s;
    return t;
}

#endif /* QLR_F32_COMMON_H */

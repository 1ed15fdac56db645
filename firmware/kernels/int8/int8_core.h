/*
 * Building blocks shared by the int8 kernels (qlr/kernels_int8.h), internal to
 * firmware/kernels/: the row-times-weights core of pointwise, linear and conv2d (after im2col)
 * and the Cortex-M4 DSP helpers. Not an API for other code: use the kernels.
 */
#ifndef QLR_INT8_CORE_H
#define QLR_INT8_CORE_H

#include <stdint.h>
#include <string.h>

#include "qlr/kernel.h"
#include "qlr/kernels_int8.h"

/* The Cortex-M4 DSP paths; build with -DQLR_INT8_PORTABLE to run the portable C there instead
 * (for comparisons: same results, more instructions per MAC). */
#if defined(__ARM_FEATURE_DSP) && !defined(QLR_INT8_PORTABLE)
#define QLR_INT8_DSP 1
#include <arm_acle.h>
#else
#define QLR_INT8_DSP 0
#endif

/* The PULP Xpulpv2 paths (pulp-open's cluster cores: 4-way SIMD dot products, hardware loops,
 * post-increment loads; qlr/pulp/), selected by the board's -DQLR_ISA_XPULPV2; -DQLR_INT8_PORTABLE
 * runs the portable C there instead. */
#if defined(QLR_ISA_XPULPV2) && !defined(QLR_INT8_PORTABLE)
#define QLR_INT8_XPULP 1
#else
#define QLR_INT8_XPULP 0
#endif

#if defined(__GNUC__)
#define QLR_INT8_INLINE static inline __attribute__((always_inline))
#else
#define QLR_INT8_INLINE static inline
#endif

/* v clamped to [0, k]: the first valid tap of a window starting at input index i is
 * clip(-i, k); the end of the valid taps is clip(n - i, k) for an input of n. */
static inline uint32_t qlr_int8_clip_taps(int64_t v, uint32_t k)
{
    return v <= 0 ? 0u : (v >= (int64_t)k ? k : (uint32_t)v);
}

/* 4 bytes from any address (one LDR on the M4, which allows unaligned word loads). */
QLR_INT8_INLINE uint32_t qlr_int8_load4(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

#if QLR_INT8_DSP
/* SXTB16 / UXTB16 of the operand rotated right by 8 (bytes 1 and 3 into two 16-bit lanes).
 * ACLE has no rotated form and GCC does not fold a separate ROR into it: one instruction here
 * instead of two. */
QLR_INT8_INLINE int32_t qlr_int8_sxtb16_ror8(uint32_t v)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}
QLR_INT8_INLINE uint32_t qlr_int8_uxtb16_ror8(uint32_t v)
{
    uint32_t r;
    __asm__("uxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}
#endif

/* Weights and requantization of a row-times-weights product (pointwise, linear, conv2d). */
typedef struct {
    const int8_t *w;        /* [channels][k] */
    const int32_t *bias;    /* folded [channels] or NULL */
    qlr_requant_t rq;
    uint32_t k;
    int32_t w_zp;
} qlr_int8_rows_t;

/* For c in [c_begin, c_end): y0[c] = requant(bias[c] + sum_i x0[i] * (w[c][i] - w_zp)), and the
 * same for x1 -> y1 when x1 is not NULL. Rows are k bytes at any alignment. */
void qlr_int8_rows(const qlr_int8_rows_t *g, const uint8_t *x0, const uint8_t *x1, uint8_t *y0, uint8_t *y1,
                 uint32_t c_begin, uint32_t c_end);

#endif /* QLR_INT8_CORE_H */

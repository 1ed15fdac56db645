/*
 * int8 front-end kernels: conv2d, depthwise conv2d, pointwise conv, linear, average pooling and
 * residual add, bit-exact to the golden model (host/qlr/golden/int8_*.py, requant.py).
 *
 * Names say the element types, activations first: `_u8s8` = uint8 activations (input and
 * output) with int8 weights (qlr_conv2d_u8s8); kernels without weights name the activation type
 * alone (qlr_avgpool_u8, qlr_add_u8); qlr_requant_u8 names what it produces (uint8) from the
 * int32 accumulators every kernel here uses inside. The family (files, ops, this header) is
 * "int8": integer quantized inference, whatever the signedness of each operand.
 *
 * Data: activations uint8 HWC with a batch outermost ([n][h][w][c]); weights int8, conv2d
 * [out_c][k_h][k_w][in_c], depthwise [k_h][k_w][c], pointwise and linear [out_c][in_c]; one
 * per-layer weight zero point w_zp (the image format's; 0 for symmetric per-channel weights).
 *
 * Arithmetic of one output element of a conv/linear kernel, channel c, K taps:
 *
 *     acc = bias[c] + sum_k (x_k - in_zp) * (w_k - w_zp)        (padded x_k hold in_zp)
 *     y   = requant(acc)                                      (qlr_requant_u8, below)
 *
 * The kernels take the FOLDED bias  bias_eff[c] = bias[c] - in_zp * sum_k (w_k - w_zp)  made once
 * per layer by qlr_conv2d_u8s8_fold_bias / qlr_dwconv2d_u8s8_fold_bias (the golden's
 * conv2d_u8s8_fold_bias / dwconv2d_u8s8_fold_bias), and compute acc = bias_eff + sum_k x_k (w_k - w_zp)
 * on the raw inputs. Sums are taken modulo 2^32 (uint32 / SMLAD): the exact result fits int32 for
 * every layer the accumulator bound admits (qlr_int8_accumulator_bound_ok), so the wrap-around of
 * partial sums never changes it. A NULL bias pointer means zeros.
 *
 * Team kernels: the contract of qlr/kernel.h (every core, same arguments; checks first, the
 * same status on every core; QLR_E_SIZE for a shape beyond QLR_MAX_ELEMS; a barrier at the end
 * of a successful call). Each core takes output rows or pixels, or channels when they balance
 * better. Kernels that need scratch take a caller-owned buffer of
 * <kernel>_scratch_size(args, cores) bytes (4-byte aligned) shared by the team (each core uses
 * its own slice).
 *
 * Cortex-M4 (__ARM_FEATURE_DSP): the dot products use SMLAD / SMLABB on SXTB16/UXTB16-widened
 * operands; PULP Xpulpv2 (QLR_ISA_XPULPV2, pulp-open): pointwise, linear and conv2d use
 * pv.sdotusp.b in hardware loops (qlr/pulp/); every other target runs the portable C beside
 * them. Same results on every path.
 */
#ifndef QLR_KERNELS_INT8_H
#define QLR_KERNELS_INT8_H

#include <stddef.h>
#include <stdint.h>

#include "qlr/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- requantization ------------------------------------------------------------------- */

#define QLR_RQ_SHIFT_MIN 1
#define QLR_RQ_SHIFT_MAX 62
#define QLR_ADD_MULT_LIMIT (1L << 21) /* exclusive */
#define QLR_ADD_SHIFT_MAX 31

/* Per-channel (n == channels) or per-layer (n == 1) requantization of int32 accumulators to u8:
 * multiplier mult[i] in [0, 2^31 - 1] and right shift shift[i] in [1, 62] (the image's FE_MULT /
 * FE_SHIFT), then + out_zp and clamp to [act_min, act_max] with 0 <= act_min <= act_max <= 255
 * (none [0, 255], ReLU [z, 255], ReLU6 [z, min(255, z + round(6 / S_y))]). */
typedef struct {
    const int32_t *mult;
    const uint8_t *shift;
    uint32_t n;
    int32_t out_zp;
    int32_t act_min, act_max;
} qlr_requant_t;

/* QLR_OK when rq is usable for `channels` output channels: n is 1 or channels, every mult and
 * shift in range, out_zp in [0, 255] and 0 <= act_min <= act_max <= 255; else QLR_E_ARG. When
 * `bad` is not NULL it receives the index of the first bad mult/shift entry (or UINT32_MAX). */
qlr_status_t qlr_requant_check(const qlr_requant_t *rq, uint32_t channels, uint32_t *bad);

/*
 * One accumulator to u8 exactly as the golden `requantize`:
 *     y = clamp(((acc * mult + 2^(shift-1)) >> shift) + out_zp, act_min, act_max)
 * with the 64-bit product rounded half up (towards +infinity) and an arithmetic (flooring)
 * shift. No division and no 64-bit shift: one 32x32->64 multiply (SMULL; mul/mulh on RV32) and
 * 32-bit operations.
 * - shift >= 33 (the usual case: multipliers below 1/4): only the high word hi of the product
 *   matters, floor((hi*2^32 + lo + 2^(s-1)) / 2^s) = (hi + 2^(s-33)) >> (s-32), because
 *   lo / 2^32 < 1 cannot carry past an integer (one SMMUL/mulh, an add and a shift);
 * - shift == 32: hi plus the top bit of lo;
 * - shift < 32: the sum is shifted as two words and may exceed int32: it saturates.
 * Preconditions: mult in [0, 2^31 - 1], shift in [1, 62], out_zp and act_min <= act_max in
 * [0, 255] (qlr_requant_check).
 */
static inline uint8_t qlr_requant_u8(int32_t acc, int32_t mult, uint32_t shift, int32_t out_zp, int32_t act_min,
                                     int32_t act_max)
{
    int64_t prod = (int64_t)acc * (int64_t)mult; /* |prod| < 2^62 */
    int32_t hi = (int32_t)(prod >> 32);          /* a register, not a shift */
    int32_t y;
    if (shift >= 33u) {
        y = (hi + (int32_t)(1u << (shift - 33u))) >> (shift - 32u);
    } else if (shift == 32u) {
        y = hi + (int32_t)((uint32_t)prod >> 31);
    } else {
        /* (prod + 2^(s-1)) >> s as hi:lo words; the result may exceed int32: saturate. */
        uint32_t lo = (uint32_t)prod;
        uint32_t lo2 = lo + (1u << (shift - 1u));
        int32_t hi2 = hi + (lo2 < lo ? 1 : 0); /* |hi| < 2^30: no overflow */
        uint32_t ylo = (lo2 >> shift) | ((uint32_t)hi2 << (32u - shift));
        int32_t yhi = hi2 >> shift;
        if (yhi != ((int32_t)ylo >> 31)) {
            return (uint8_t)(yhi < 0 ? act_min : act_max);
        }
        y = (int32_t)ylo;
    }
    /* clamp before adding the zero point so that y + out_zp cannot overflow */
    if (y >= act_max - out_zp) {
        return (uint8_t)act_max;
    }
    if (y <= act_min - out_zp) {
        return (uint8_t)act_min;
    }
    return (uint8_t)(y + out_zp);
}

/* Requantizes acc[m][channels] (channels-last) into y[m][channels] with rq (n == 1 or channels).
 * Parallel over the team by rows. The test op `requant_u8` runs this. */
typedef struct {
    const int32_t *acc;
    uint8_t *y;
    uint32_t m, channels;
    qlr_requant_t rq;
} qlr_requant_u8_args_t;

qlr_status_t qlr_requant_u8_run(const qlr_requant_u8_args_t *a);

/* y[i * y_step] = qlr_requant_u8(acc[i * acc_step], mult, shift, ...) for i < n: one channel's
 * outputs. The loop for shift >= 33 keeps 2^(shift-33) and every parameter in registers. Used by
 * kernels that gather a row of accumulators first (depthwise). */
void qlr_requant_u8_strided(const int32_t *acc, size_t acc_step, uint8_t *y, size_t y_step, uint32_t n, int32_t mult,
                            uint32_t shift, int32_t out_zp, int32_t act_min, int32_t act_max);

/* ---- geometry and bias folding ---------------------------------------------------------- */

/* (n + p0 + p1 - k) / s + 1, or 0 when the kernel does not fit the padded input or k, s < 1. */
uint32_t qlr_int8_out_size(uint32_t n, uint32_t k, uint32_t s, uint32_t p0, uint32_t p1);

/* 1 when every partial sum of the layer fits int32: for every output channel
 * |bias[c]| + taps * max_k |w_k - w_zp| * (255 + in_zp) <= 2^31 - 1 (the golden's
 * check_accumulator_bound). `w` holds `channels` rows of `taps` weights (conv2d, pointwise,
 * linear: row stride taps, channel stride 1 for depthwise when `depthwise` is 1: w[t][c]).
 * `first_bad` (may be NULL) receives the first failing channel. */
int qlr_int8_accumulator_bound_ok(const int8_t *w, const int32_t *bias, uint32_t channels, uint32_t taps,
                                int depthwise, int32_t in_zp, int32_t w_zp, uint32_t *first_bad);

/* bias_eff[c] = bias[c] - in_zp * sum_k (w[c][k] - w_zp) for c in [c_begin, c_end), weights
 * [channels][taps] (conv2d, pointwise, linear). bias may be NULL (zeros). Returns QLR_E_ARG if a
 * value does not fit int32 (cannot happen when the accumulator bound holds). Not parallel by
 * itself: give each core a channel range (qlr_share) to fold in parallel. */
qlr_status_t qlr_conv2d_u8s8_fold_bias(const int8_t *w, const int32_t *bias, uint32_t taps, int32_t in_zp,
                                     int32_t w_zp, uint32_t c_begin, uint32_t c_end, int32_t *bias_eff);
/* The same for depthwise weights [taps][channels]. */
qlr_status_t qlr_dwconv2d_u8s8_fold_bias(const int8_t *w, const int32_t *bias, uint32_t taps, uint32_t channels,
                                       int32_t in_zp, int32_t w_zp, uint32_t c_begin, uint32_t c_end,
                                       int32_t *bias_eff);

/* ---- conv2d: any kernel, stride and padding (im2col into scratch) ---------------------- */

typedef struct {
    const uint8_t *x;       /* [n][in_h][in_w][in_c] */
    const int8_t *w;        /* [out_c][k_h][k_w][in_c] */
    const int32_t *bias;    /* folded bias [out_c] (qlr_conv2d_u8s8_fold_bias), or NULL */
    uint8_t *y;             /* [n][out_h][out_w][out_c] */
    uint32_t n, in_h, in_w, in_c, out_c;
    uint32_t k_h, k_w, stride_h, stride_w;
    uint32_t pad_top, pad_bottom, pad_left, pad_right;
    int32_t in_zp, w_zp;    /* [0, 255], [-128, 127] */
    qlr_requant_t rq;
    void *scratch;          /* qlr_conv2d_u8s8_scratch_size(args, cores) bytes, 4-byte aligned */
    size_t scratch_size;
} qlr_conv2d_u8s8_args_t;

size_t qlr_conv2d_u8s8_scratch_size(const qlr_conv2d_u8s8_args_t *a, unsigned cores);
qlr_status_t qlr_conv2d_u8s8(const qlr_conv2d_u8s8_args_t *a);

/* ---- depthwise conv2d (channel multiplier 1) -------------------------------------------- */

typedef struct {
    const uint8_t *x;       /* [n][in_h][in_w][c] */
    const int8_t *w;        /* [k_h][k_w][c] */
    const int32_t *bias;    /* folded bias [c] (qlr_dwconv2d_u8s8_fold_bias), or NULL */
    uint8_t *y;             /* [n][out_h][out_w][c] */
    uint32_t n, in_h, in_w, c;
    uint32_t k_h, k_w, stride_h, stride_w;
    uint32_t pad_top, pad_bottom, pad_left, pad_right;
    int32_t in_zp, w_zp;
    qlr_requant_t rq;
    void *scratch;          /* qlr_dwconv2d_u8s8_scratch_size(args, cores) bytes: centred weights */
    size_t scratch_size;
} qlr_dwconv2d_u8s8_args_t;

size_t qlr_dwconv2d_u8s8_scratch_size(const qlr_dwconv2d_u8s8_args_t *a, unsigned cores);
qlr_status_t qlr_dwconv2d_u8s8(const qlr_dwconv2d_u8s8_args_t *a);

/* ---- pointwise (1x1) conv, no padding ---------------------------------------------------- */

typedef struct {
    const uint8_t *x;       /* [n][in_h][in_w][in_c] */
    const int8_t *w;        /* [out_c][in_c] */
    const int32_t *bias;    /* folded bias [out_c], or NULL */
    uint8_t *y;             /* [n][out_h][out_w][out_c], out = (in - 1) / stride + 1 */
    uint32_t n, in_h, in_w, in_c, out_c;
    uint32_t stride_h, stride_w;
    int32_t in_zp, w_zp;
    qlr_requant_t rq;
} qlr_pwconv_u8s8_args_t;

qlr_status_t qlr_pwconv_u8s8(const qlr_pwconv_u8s8_args_t *a);

/* ---- linear ------------------------------------------------------------------------------ */

typedef struct {
    const uint8_t *x;       /* [n][in_f] */
    const int8_t *w;        /* [out_f][in_f] */
    const int32_t *bias;    /* folded bias [out_f], or NULL */
    uint8_t *y;             /* [n][out_f] */
    uint32_t n, in_f, out_f;
    int32_t in_zp, w_zp;
    qlr_requant_t rq;
} qlr_linear_u8s8_args_t;

qlr_status_t qlr_linear_u8s8(const qlr_linear_u8s8_args_t *a);

/* ---- average pooling (count includes padding; global = window of the whole input) -------- */

typedef struct {
    const uint8_t *x;       /* [n][in_h][in_w][c] */
    uint8_t *y;             /* [n][out_h][out_w][c] */
    uint32_t n, in_h, in_w, c;
    uint32_t k_h, k_w, stride_h, stride_w;
    uint32_t pad_top, pad_bottom, pad_left, pad_right;
    int32_t in_zp;
    qlr_requant_t rq;       /* usually n == 1: mult * 2^-shift ~= S_x / (k_h * k_w * S_y) */
} qlr_avgpool_u8_args_t;

/* acc = sum over the k_h x k_w window of (x - in_zp) (padding counts as in_zp, i.e. 0), then
 * qlr_requant_u8. Windows of more than (2^31 - 1) / 255 taps are rejected (QLR_E_ARG). */
qlr_status_t qlr_avgpool_u8(const qlr_avgpool_u8_args_t *a);

/* ---- residual add with two input scales ------------------------------------------------- */

typedef struct {
    const uint8_t *a, *b;   /* count elements each */
    uint8_t *y;             /* count elements (may alias a or b) */
    uint32_t count;
    int32_t a_zp, b_zp;     /* [0, 255] */
    int32_t mult_a, mult_b; /* [0, 2^21) */
    int32_t shift;          /* [1, 31] */
    int32_t out_zp, act_min, act_max;
} qlr_add_u8_args_t;

/* y = clamp(((a - a_zp) * mult_a + (b - b_zp) * mult_b + 2^(shift-1)) >> shift) + out_zp, ...):
 * 32-bit arithmetic only (|acc| < 2^30). */
qlr_status_t qlr_add_u8(const qlr_add_u8_args_t *a);

#ifdef __cplusplus
}
#endif

#endif /* QLR_KERNELS_INT8_H */

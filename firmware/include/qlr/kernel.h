/*
 * What every kernel promises, and the helpers every kernel family shares.
 *
 * The kernels are the team functions declared in qlr/kernels_int8.h, qlr/kernels_f32.h,
 * qlr/matmul_f32.h and qlr/tiled.h. Each of them keeps this contract; the family headers refer to
 * it instead of restating it.
 *
 * 1. Team. Call a kernel on EVERY core of a team with the same arguments (inside
 *    qlr_team_fork), or once outside a fork (a team of one, which computes everything alone).
 *    Each core takes its share of the work from qlr_core_id() and qlr_core_count().
 * 2. Checks first. Arguments are checked before any work, any write and any barrier, the same
 *    way on every core, so a bad call returns the same status (never QLR_OK) on every core and
 *    leaves every output untouched.
 * 3. Sizes. Every element count a kernel forms (a tensor, an im2col row, an index product) is at
 *    most QLR_MAX_ELEMS, checked with the qlr_elems* helpers below; a shape beyond that returns
 *    QLR_E_SIZE, never a wrapped-around size and a wrong answer.
 * 4. Barrier at the end. A kernel that succeeds returns after a team barrier: its whole output
 *    is written and visible to every core when it returns, so the next kernel may read it at
 *    once, on any core.
 *
 * Why the barrier is the kernel's and not the caller's: every caller in this project reads a
 * kernel's output at once (the next layer of the front-end, the loss after the logits, the
 * optimiser after the gradients), so the barrier is needed after every call anyway; inside the
 * kernel nobody can forget it. The FP32 kernels cannot be barrier-free in any case (im2col
 * chunks, the softmax reduction, col2im and the tiled pipelines synchronise inside), so "ends
 * with a barrier" is the one rule every family can keep. It costs one barrier per call (a
 * return outside a fork or on a single-core board): on pulp-open with 8 cores, +0.2 % on an
 * 8x8x64->64 pointwise layer, about 500 cycles on the smallest call (docs/performance.md).
 *
 * Building blocks that compute one core's share WITHOUT a barrier (for a kernel that composes
 * several of them between its own barriers) are internal to firmware/kernels/ and end in
 * `_share` (e.g. qlr_matmul_f32_nt_share); plain functions that take an explicit range
 * (qlr_conv2d_u8s8_fold_bias) or no team at all (qlr_requant_u8) are not kernels.
 *
 * Pure C11 plus the team queries of qlr/runtime.h.
 */
#ifndef QLR_KERNEL_H
#define QLR_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "qlr/runtime.h"
#include "qlr/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- size arithmetic ----------------------------------------------------------------------- */

/* Largest element count of any one tensor, and of any index product a kernel forms: 2^29 - 1,
 * so that the bytes of an FP32 tensor fit an int32 and every count and offset fits a uint32 (and
 * a 32-bit size_t) with room for one more factor of 4. */
#define QLR_MAX_ELEMS 0x1FFFFFFFu

/* a * b when both are >= 1 and the product is at most QLR_MAX_ELEMS; 0 otherwise (a zero
 * factor, or an overflow of the limit: both invalid shapes for a kernel). */
static inline uint32_t qlr_elems2(uint32_t a, uint32_t b)
{
    uint64_t p = (uint64_t)a * b;
    return p > QLR_MAX_ELEMS ? 0u : (uint32_t)p;
}

static inline uint32_t qlr_elems3(uint32_t a, uint32_t b, uint32_t c)
{
    return qlr_elems2(qlr_elems2(a, b), c);
}

static inline uint32_t qlr_elems4(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    return qlr_elems2(qlr_elems3(a, b, c), d);
}

/* a * b, or UINT64_MAX when that overflows 64 bits: byte counts of scratch buffers, which a
 * caller compares with what it has (a saturated count never fits). */
static inline uint64_t qlr_mul_sat64(uint64_t a, uint64_t b)
{
    return (b != 0u && a > UINT64_MAX / b) ? UINT64_MAX : a * b;
}

/* ---- work split ---------------------------------------------------------------------------- */

/* The [begin, end) share of `total` items for core `id` of `count` (contiguous, sizes differ by
 * at most one, the larger shares first). */
static inline void qlr_share(uint32_t total, unsigned id, unsigned count, uint32_t *begin, uint32_t *end)
{
    uint32_t base = total / count, rem = total % count;
    uint32_t b = id * base + (id < rem ? id : rem);
    *begin = b;
    *end = b + base + (id < rem ? 1u : 0u);
}

/* The calling core's share of `total` items. */
static inline void qlr_my_share(uint32_t total, uint32_t *begin, uint32_t *end)
{
    qlr_share(total, qlr_core_id(), qlr_core_count(), begin, end);
}

/* The calling core's share of a size_t count (element-wise kernels). */
static inline void qlr_my_share_size(size_t total, size_t *begin, size_t *end)
{
    size_t count = qlr_core_count(), id = qlr_core_id();
    size_t base = total / count, rem = total % count;
    *begin = id * base + (id < rem ? id : rem);
    *end = *begin + base + (id < rem ? 1u : 0u);
}

/* Which of two ways to split work over `cores` leaves the busiest core the smaller fraction of
 * the whole: 1 for `a` items (ceil(a/cores)/a <= ceil(b/cores)/b; ties go to a), 0 for `b`. */
static inline int qlr_split_first(uint32_t a, uint32_t b, unsigned cores)
{
    uint64_t ca = a / cores + (a % cores != 0u), cb = b / cores + (b % cores != 0u); /* ceilings, 32-bit division */
    return ca * b <= cb * a;
}

#ifdef __cplusplus
}
#endif

#endif /* QLR_KERNEL_H */

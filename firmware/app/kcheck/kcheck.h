/*
 * kcheck.elf: checks on a board that the kernels keep the contract of qlr/kernel.h.
 *
 *   sizes     a shape whose element counts exceed QLR_MAX_ELEMS (2^29 - 1; most also overflow 32
 *             bits) gets QLR_E_SIZE from every kernel, the same on every core of a team, and no
 *             output byte is written (the buffers are far smaller than the shape says: a kernel
 *             that computed a wrapped-around size would run over them);
 *   barrier   a kernel's output is complete on every core when it returns: every core but core 0
 *             first spins for a while, so core 0 finishes its share long before the others; a
 *             kernel without its final barrier then returns on core 0 with the others' shares
 *             unwritten, and core 0's comparison with the single-core result fails.
 *
 * The checks use the self-test's reporting (selftest/selftest.h: st_check).
 */
#ifndef QLR_KCHECK_H
#define QLR_KCHECK_H

#include "selftest/selftest.h"

void kc_sizes_int8(qlr_selftest_ctx_t *ctx);
void kc_sizes_f32(qlr_selftest_ctx_t *ctx);
void kc_barrier_int8(qlr_selftest_ctx_t *ctx);
void kc_barrier_f32(qlr_selftest_ctx_t *ctx);
void kc_barrier_tiled(qlr_selftest_ctx_t *ctx);

#endif

/*
 * isacheck.elf (pulp-open only): every Xpulpv2 intrinsic of qlr/pulp/ run on every cluster core
 * of GVSoC and compared with its meaning written in C: random and edge operands for the dot
 * products, MAC and clips; misaligned addresses and negative steps for the post-increment
 * accesses (values and the moved pointer); counts 1..N, constant counts and nesting for the
 * hardware loops. A wrong encoding either decodes as another instruction (a mismatch) or as
 * none (an illegal instruction: the run ends without its summary line).
 */
#ifndef QLR_ISACHECK_H
#define QLR_ISACHECK_H

#include <stdint.h>

#include "selftest/selftest.h"

/* What one core found: mismatches, and the operands of the first one. */
typedef struct {
    unsigned checks, bad;
    const char *what;
    uint32_t got, want, a, b;
} ic_result_t;

/* Records one comparison (the first mismatch is kept with its operands). */
void ic_expect(ic_result_t *r, const char *what, uint32_t got, uint32_t want, uint32_t a, uint32_t b);

/* Runs body(r, core) on every core of the team and reports each core's result to ctx. */
typedef void (*ic_body_fn)(ic_result_t *r, unsigned core);
void ic_on_every_core(qlr_selftest_ctx_t *ctx, ic_body_fn body);

void ic_vect(qlr_selftest_ctx_t *ctx);
void ic_postmod(qlr_selftest_ctx_t *ctx);
void ic_hwloop(qlr_selftest_ctx_t *ctx);
void ic_mac(qlr_selftest_ctx_t *ctx);

#endif

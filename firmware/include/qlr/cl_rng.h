/*
 * The random number generator shared with the golden twin (host/qlr/cl/rng.py, normative spec
 * and test vectors in docs/cl-protocol.md): xoshiro128** with a splitmix-style seeding, below(n)
 * by a 64-bit multiply-shift, and sample/shuffle by a partial Fisher-Yates. Every random choice
 * of a learning event comes from one stream of it, so device and twin choose the same slots.
 */
#ifndef QLR_CL_RNG_H
#define QLR_CL_RNG_H

#include <stdint.h>

typedef struct {
    uint32_t s[4];
} qlr_rng_t;

void qlr_rng_seed(qlr_rng_t *r, uint32_t seed);
uint32_t qlr_rng_next(qlr_rng_t *r);
/* An integer in [0, n) for n >= 1: (next() * n) >> 32. Consumes one output. */
uint32_t qlr_rng_below(qlr_rng_t *r, uint32_t n);
/* k distinct indices of [0, n) into out[0..k); `work` holds n entries (out may equal work).
 * Consumes exactly k outputs. */
void qlr_rng_sample(qlr_rng_t *r, uint32_t n, uint32_t k, uint32_t *work, uint32_t *out);

#endif

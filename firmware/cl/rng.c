/*
 * xoshiro128** and the project's seeding, below, sample (qlr/cl_rng.h; spec in
 * docs/cl-protocol.md, twin in host/qlr/cl/rng.py).
 */
#include "qlr/cl_rng.h"

static uint32_t rotl(uint32_t x, unsigned k)
{
    return (x << k) | (x >> (32u - k));
}

void qlr_rng_seed(qlr_rng_t *r, uint32_t seed)
{
    for (uint32_t i = 0; i < 4u; i++) {
        uint32_t z = seed + 0x9E3779B9u * (i + 1u);
        z = (z ^ (z >> 16)) * 0x85EBCA6Bu;
        z = (z ^ (z >> 13)) * 0xC2B2AE35u;
        r->s[i] = z ^ (z >> 16);
    }
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0u) {
        r->s[0] = 1u;
    }
}

uint32_t qlr_rng_next(qlr_rng_t *r)
{
    uint32_t *s = r->s;
    uint32_t result = rotl(s[1] * 5u, 7) * 9u;
    uint32_t t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
}

uint32_t qlr_rng_below(qlr_rng_t *r, uint32_t n)
{
    return (uint32_t)(((uint64_t)qlr_rng_next(r) * (uint64_t)n) >> 32);
}

void qlr_rng_sample(qlr_rng_t *r, uint32_t n, uint32_t k, uint32_t *work, uint32_t *out)
{
    for (uint32_t i = 0; i < n; i++) {
        work[i] = i;
    }
    for (uint32_t j = 0; j < k; j++) {
        uint32_t p = j + qlr_rng_below(r, n - j);
        uint32_t v = work[j];
        work[j] = work[p];
        work[p] = v;
    }
    if (out != work) {
        for (uint32_t j = 0; j < k; j++) {
            out[j] = work[j];
        }
    }
}

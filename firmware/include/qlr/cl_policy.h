/*
 * The integer side of a learning event, mirrored from host/qlr/cl/policy.py (normative rules in
 * its docstring and docs/cl-protocol.md): the mini-batch mixing of new and replayed latents and
 * the LR-memory replacement policy. Depends only on counts and the shared RNG.
 */
#ifndef QLR_CL_POLICY_H
#define QLR_CL_POLICY_H

#include <stdint.h>

#include "qlr/cl_rng.h"

typedef struct {
    uint32_t cur;        /* new latents per mini-batch */
    uint32_t rep;        /* replayed latents per mini-batch */
    uint32_t iterations; /* mini-batches per epoch: ceil(N / cur) */
} qlr_cl_mix_t;

/* The mixing rule for N new latents, F filled slots and a mini-batch of mb. */
qlr_cl_mix_t qlr_cl_mixing(uint32_t n_new, uint32_t filled, uint32_t mb);

/* (h, fill): how many new latents the update admits and how many fill empty slots. */
void qlr_cl_admitted(uint32_t n_lr, uint32_t filled, uint32_t update_index, uint32_t n_new, uint32_t *h,
                     uint32_t *fill);

/* Draws the memory update: new_index[j] -> slots[j] for j < h (returned). `work` holds
 * max(n_new, filled) entries. */
uint32_t qlr_cl_memory_update(qlr_rng_t *rng, uint32_t n_lr, uint32_t filled, uint32_t update_index,
                              uint32_t n_new, uint32_t *work, uint32_t *new_index, uint32_t *slots);

#endif

/*
 * The double-buffered step pipeline shared by the tiled executors (private to kernels/tiled).
 *
 * A run is `steps` steps. Step s reads its inputs from tile set s % 2 and writes into output
 * buffer out_buf(s) (0 or 1). Outputs are produced at the steps where last(s) holds; an output
 * buffer is written from the step where first(s) holds. Every core calls qlr_tiled_run(); the
 * leader (the last core of the team) issues the copies (issue_in for step s+1 while step s
 * computes; issue_out after the step that completed an output), one team barrier per step. Returns after a final barrier with every
 * output copy complete.
 */
#ifndef QLR_TILED_PIPELINE_H
#define QLR_TILED_PIPELINE_H

#include <stdint.h>

#include "qlr/runtime.h"

typedef struct {
    void *ctx;
    uint32_t steps;
    void (*issue_in)(void *ctx, uint32_t s, qlr_copy_t *job);   /* the leader */
    void (*compute)(void *ctx, uint32_t s);                     /* every core */
    void (*issue_out)(void *ctx, uint32_t s, qlr_copy_t *job);  /* the leader, when last(s) */
    int (*first)(void *ctx, uint32_t s);
    int (*last)(void *ctx, uint32_t s);
    uint32_t (*out_buf)(void *ctx, uint32_t s);
} qlr_tiled_pipeline_t;

void qlr_tiled_run(const qlr_tiled_pipeline_t *p);

#endif /* QLR_TILED_PIPELINE_H */

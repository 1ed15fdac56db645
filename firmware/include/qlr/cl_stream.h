/*
 * Streaming tensors between L3 and L2 by whole rows (qlr/cl_plan.h: "streamed" buffers).
 *
 * A pass over the rows [0, rows) of up to QLR_CL_STREAM_PARTS tensors (a weight, its momentum
 * and its gradient, say), in chunks: for every chunk, each part is either read from L3 into a
 * slice of a staging buffer before the chunk's work or, when it lives in L2, used in place; after
 * the work, parts marked `write` go back to L3. Two staging buffers alternate: while the team
 * works on chunk c in one, the controller has already started the L3 reads of chunk c+1 into the
 * other (qlr_l3_read_async), and the writes of chunk c-1 are completed before their buffer is
 * refilled. Runs on the controller; `work` forks the team itself.
 */
#ifndef QLR_CL_STREAM_H
#define QLR_CL_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "qlr/cl_plan.h"
#include "qlr/status.h"

#define QLR_CL_STREAM_PARTS 3u

typedef struct {
    qlr_cl_buf_t where;   /* the tensor: L2 (ptr) or L3 (offset) */
    uint32_t row_bytes;   /* bytes of one row */
    int read;             /* bring each chunk in before the work (0: the work only writes it) */
    int write;            /* take each chunk back to L3 after the work */
} qlr_cl_stream_part_t;

/* Bytes moved between L3 and L2 and the chunks run, summed over passes. */
typedef struct {
    uint64_t l3_to_l2, l2_to_l3;
    uint32_t chunks, passes;
} qlr_cl_traffic_t;

/* The work on rows [r0, r1): part[i] points at row r0 of tensor i (in a staging buffer or in
 * place in L2). Returns a status; a non-OK status stops the pass. */
typedef qlr_status_t (*qlr_cl_rows_fn)(void *ctx, uint32_t r0, uint32_t r1, uint8_t *const part[]);

/* Rows per chunk for these parts and staging buffers of `stage_bytes` (0: a row does not fit). */
uint32_t qlr_cl_stream_chunk_rows(const qlr_cl_stream_part_t *parts, unsigned nparts, uint32_t stage_bytes);

/* The pass (see above). `stage[0..1]` are the L2 staging buffers of `stage_bytes` each; unused
 * (may be NULL) when no part is in L3. A part in L3 must be streamed (its where.streamed set)
 * and `rows * row_bytes` must fit its allocation. `t` (may be NULL) accumulates the traffic. */
qlr_status_t qlr_cl_stream_rows(const qlr_cl_stream_part_t *parts, unsigned nparts, uint32_t rows,
                                uint8_t *const stage[2], uint32_t stage_bytes, qlr_cl_rows_fn work, void *ctx,
                                qlr_cl_traffic_t *t);

#endif /* QLR_CL_STREAM_H */

/*
 * Row streaming between L3 and the L2 staging buffers (qlr/cl_stream.h).
 */
#include "qlr/cl_stream.h"

#include <string.h>

#include "qlr/runtime.h"

static int in_l3(const qlr_cl_stream_part_t *p)
{
    return p->where.level == QLR_MEM_L3;
}

uint32_t qlr_cl_stream_chunk_rows(const qlr_cl_stream_part_t *parts, unsigned nparts, uint32_t stage_bytes)
{
    uint64_t per_row = 0;
    for (unsigned i = 0; i < nparts; i++) {
        if (in_l3(&parts[i])) {
            per_row += parts[i].row_bytes;
        }
    }
    if (per_row == 0u) {
        return UINT32_MAX; /* everything in place: one chunk */
    }
    return (uint32_t)(stage_bytes / per_row);
}

/* Where part i's rows of a chunk go in a staging buffer: the streamed parts one after another,
 * each slice 4-byte aligned (FP32 rows). */
static void slices(const qlr_cl_stream_part_t *parts, unsigned nparts, uint32_t rows, uint8_t *stage,
                   uint8_t *out[])
{
    size_t at = 0;
    for (unsigned i = 0; i < nparts; i++) {
        if (in_l3(&parts[i])) {
            out[i] = stage + at;
            at += ((size_t)rows * parts[i].row_bytes + 3u) & ~(size_t)3u;
        }
    }
}

static int transfer(const qlr_cl_stream_part_t *parts, unsigned nparts, uint32_t r0, uint32_t r1, uint8_t *const sl[],
                    int write, qlr_copy_t *job, qlr_cl_traffic_t *t)
{
    for (unsigned i = 0; i < nparts; i++) {
        const qlr_cl_stream_part_t *p = &parts[i];
        if (!in_l3(p) || !(write ? p->write : p->read)) {
            continue;
        }
        uint32_t off = p->where.offset + r0 * p->row_bytes;
        size_t bytes = (size_t)(r1 - r0) * p->row_bytes;
        int rc = write ? qlr_l3_write_async(job, off, sl[i], bytes) : qlr_l3_read_async(job, sl[i], off, bytes);
        if (rc != 0) {
            return -1;
        }
        if (t != NULL) {
            *(write ? &t->l2_to_l3 : &t->l3_to_l2) += bytes;
        }
    }
    return 0;
}

qlr_status_t qlr_cl_stream_rows(const qlr_cl_stream_part_t *parts, unsigned nparts, uint32_t rows,
                                uint8_t *const stage[2], uint32_t stage_bytes, qlr_cl_rows_fn work, void *ctx,
                                qlr_cl_traffic_t *t)
{
    if (nparts == 0u || nparts > QLR_CL_STREAM_PARTS || rows == 0u) {
        return QLR_E_ARG;
    }
    for (unsigned i = 0; i < nparts; i++) {
        const qlr_cl_stream_part_t *p = &parts[i];
        if (p->row_bytes == 0u || (uint64_t)rows * p->row_bytes > p->where.size ||
            (in_l3(p) && (!p->where.streamed || stage == NULL)) || (!in_l3(p) && p->where.ptr == NULL)) {
            return QLR_E_ARG;
        }
    }
    uint32_t per = qlr_cl_stream_chunk_rows(parts, nparts, stage_bytes);
    if (per == 0u) {
        return QLR_E_NOMEM;
    }
    if (per > rows) {
        per = rows;
    }
    uint32_t chunks = (rows + per - 1u) / per;
    qlr_copy_t rd[2], wr[2];
    memset(rd, 0, sizeof rd);
    memset(wr, 0, sizeof wr);
    uint8_t *sl[2][QLR_CL_STREAM_PARTS] = {{NULL}};
    for (unsigned s = 0; s < 2u && stage != NULL; s++) {
        slices(parts, nparts, per, stage[s], sl[s]);
    }
    qlr_status_t st = QLR_OK;
    if (transfer(parts, nparts, 0, per, sl[0], 0, &rd[0], t) != 0) {
        st = QLR_E_ARG;
    }
    for (uint32_t c = 0; c < chunks && st == QLR_OK; c++) {
        unsigned s = c & 1u;
        uint32_t r0 = c * per, r1 = r0 + per < rows ? r0 + per : rows;
        qlr_copy_wait(&rd[s]);
        if (c + 1u < chunks) {
            uint32_t n0 = r1, n1 = n0 + per < rows ? n0 + per : rows;
            qlr_copy_wait(&wr[s ^ 1u]); /* the other buffer's write-back must be out before it is refilled */
            if (transfer(parts, nparts, n0, n1, sl[s ^ 1u], 0, &rd[s ^ 1u], t) != 0) {
                st = QLR_E_ARG;
                break;
            }
        }
        uint8_t *ptr[QLR_CL_STREAM_PARTS];
        for (unsigned i = 0; i < nparts; i++) {
            ptr[i] = in_l3(&parts[i]) ? sl[s][i] : parts[i].where.ptr + (size_t)r0 * parts[i].row_bytes;
        }
        st = work(ctx, r0, r1, ptr);
        if (st == QLR_OK && transfer(parts, nparts, r0, r1, sl[s], 1, &wr[s], t) != 0) {
            st = QLR_E_ARG;
        }
        if (t != NULL) {
            t->chunks++;
        }
    }
    for (unsigned s = 0; s < 2u; s++) {
        qlr_copy_wait(&rd[s]);
        qlr_copy_wait(&wr[s]);
    }
    if (t != NULL) {
        t->passes++;
    }
    return st;
}

/*
 * The memory plan on the device (host: host/qlr/cl/plan/, format in host/qlr/cl/plan/device.py
 * and docs/memory.md). The host computes where every buffer of a learning session lives; the
 * firmware copies that table at CL_SETUP, checks it against its own memory windows and then
 * takes every buffer it uses from it, by name ("be.24.weight", "act.input", "stage.0", ...):
 * nothing in the learning code chooses an address itself.
 *
 * An allocation lives in L1, L2 (an address in the level's free window) or L3 (an offset, reached
 * only through qlr_l3_read/write). "Streamed" allocations are tensors kept in L3 that the code
 * brings through the two L2 staging buffers ("stage.0/1") chunk by chunk. Allocations of the
 * "front" and "train" phases share one overlay region of L2: the front-end's buffers are never
 * live while training runs, and the reverse.
 */
#ifndef QLR_CL_PLAN_H
#define QLR_CL_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "qlr/runtime.h"

#define QLR_CL_PLAN_MAGIC 0x50524C51u /* "QLRP" */
#define QLR_CL_PLAN_VERSION 1u
#define QLR_CL_PLAN_HEADER_BYTES 64u
#define QLR_CL_PLAN_ENTRY_BYTES 16u
#define QLR_CL_PLAN_MAX_BYTES 8192u
#define QLR_CL_PLAN_MAX_ENTRIES 192u
#define QLR_CL_PLAN_NAME_MAX 63u
#define QLR_CL_PLAN_PER_CHANNEL 1u /* header flags */
#define QLR_CL_PLAN_STREAMED 1u    /* entry flags */

typedef enum { QLR_PLAN_ALL = 0, QLR_PLAN_FRONT = 1, QLR_PLAN_TRAIN = 2 } qlr_plan_phase_t;

/* The header's settings (the session's shape as the host planned it). */
typedef struct {
    uint32_t count;       /* allocations */
    uint32_t ub;          /* micro-batch */
    uint32_t mb;          /* mini-batch */
    uint32_t n_lr, q_lr, n_new, epochs, n_eval;
    uint32_t stage_bytes; /* bytes of each staging buffer (0: nothing streamed) */
    uint32_t row_bytes;   /* bytes of one packed latent row */
    uint32_t flags;
} qlr_cl_plan_info_t;

/* One buffer of the plan, resolved. */
typedef struct {
    qlr_mem_level_t level;
    uint32_t offset;      /* from the start of the level's free window */
    uint32_t size;
    uint8_t phase;        /* qlr_plan_phase_t */
    uint8_t streamed;     /* a tensor kept in L3 and brought through the staging buffers */
    uint8_t *ptr;         /* its address in L1/L2; NULL in L3 (use offset) */
} qlr_cl_buf_t;

/* Copies and checks a plan: CRC, magic, version, sizes, every entry's level, category, phase,
 * alignment (64 bytes), range inside the level's window (qlr_mem_region), unique names, and no
 * two buffers overlapping unless one is a front-end and the other a training buffer. Returns
 * NULL, or a message naming the field or the allocation at fault (the previous plan is gone
 * either way). */
const char *qlr_cl_plan_load(const uint8_t *blob, size_t len);
/* The loaded plan's header (all zero when none is loaded). */
const qlr_cl_plan_info_t *qlr_cl_plan_info(void);

/* The buffer `name` of at least `need` bytes. Returns NULL and fills *out, or a message naming
 * the buffer ("plan: buffer 'act.24' is 1024 bytes, the firmware needs 2048"). Unless
 * `allow_l3`, a buffer planned in L3 is an error; `optional` makes a missing buffer a success
 * with out->size == 0 and out->ptr == NULL (e.g. no momentum buffers at momentum 0, no test
 * images). */
const char *qlr_cl_plan_bind(const char *name, size_t need, int allow_l3, int optional, qlr_cl_buf_t *out);
/* Like qlr_cl_plan_bind for a name made from a format with one unsigned argument ("act.%u"). */
const char *qlr_cl_plan_bindf(const char *fmt, unsigned arg, size_t need, int allow_l3, int optional,
                              qlr_cl_buf_t *out);

#endif /* QLR_CL_PLAN_H */

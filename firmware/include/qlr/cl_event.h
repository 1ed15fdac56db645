/*
 * The learning event on the device (issue 5; golden twin host/qlr/cl/event.py, rules in
 * docs/cl-protocol.md): front-end to the latent, Q-bit codes, E epochs of mini-batches mixing
 * new latents with replayed ones read from the LR memory in L3, and the memory update. Also
 * evaluation on test images kept in L3.
 *
 * LR memory in L3 (from offset 0 of the L3 window): N_LR rows of ceil(E*Q/8) bytes (the packed
 * codes of one latent, docs/quantization.md), then N_LR u16 labels at a 64-byte aligned offset.
 * A copy of the labels is kept in L2. Replayed rows come to L2 through qlr_l3_read_async,
 * double-buffered: the rows of the next mini-batch are in flight while the current one trains.
 * Codes are dequantized on the fly (float(code) * S_Q) into the back-end's FP32 input.
 */
#ifndef QLR_CL_EVENT_H
#define QLR_CL_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "qlr/cl_backend.h"
#include "qlr/cl_policy.h"
#include "qlr/cl_rng.h"
#include "qlr/runtime.h"
#include "qlr/status.h"

/* A latent of the front-end: the hook the event calls for every image (u8 image -> u8 latent
 * of `elems` values). Set by the firmware that knows the front-end (the image's int8 layers). */
typedef qlr_status_t (*qlr_cl_front_fn)(void *ctx, const uint8_t *image, uint8_t *latent, unsigned cores);

typedef struct {
    uint32_t n_lr, q_bits, epochs, mb;
    uint32_t n_max;       /* most new images in one event */
    float lr, momentum, weight_decay;
    float scale;          /* S_Q: the back-end sees float(code) * scale */
    unsigned cores;
} qlr_cl_config_t;

typedef enum { QLR_CL_PHASE_FRONT, QLR_CL_PHASE_LR_LOAD, QLR_CL_PHASE_FORWARD, QLR_CL_PHASE_BACKWARD,
               QLR_CL_PHASE_UPDATE, QLR_CL_PHASES } qlr_cl_phase_t;

typedef struct {
    qlr_cl_mix_t mix;
    uint32_t h;                       /* new latents admitted to the memory */
    uint32_t iterations_run;          /* epochs * mix.iterations */
    uint64_t counter[QLR_CL_PHASES];  /* qlr_counter() per phase */
} qlr_cl_event_report_t;

typedef struct {
    qlr_cl_config_t cfg;
    uint32_t elems;                   /* E: values of one latent */
    uint32_t image_bytes;             /* bytes of one input image */
    uint32_t row_bytes;               /* ceil(E * Q / 8) */
    uint32_t l3_rows, l3_labels, l3_end; /* L3 layout (offsets) */
    qlr_rng_t rng;
    uint32_t filled, updates, events;
    qlr_cl_front_fn front;
    void *front_ctx;
    qlr_cl_backend_t bk;
    /* L2 buffers */
    uint16_t *labels;                 /* [n_lr] mirror of the L3 labels */
    uint8_t *new_codes;               /* [n_max][E] one byte per code */
    uint8_t *latent;                  /* [E] u8 latent of one image */
    uint8_t *image;                   /* [image_bytes] (evaluation: an image read from L3) */
    uint8_t *rows[2];                 /* [mb][row_bytes] replay rows, double-buffered */
    uint32_t *perm_new, *perm_rep, *work, *new_index, *slots;
    float *losses;                    /* [epochs * n_max] mean loss per iteration */
    int32_t *pred;                    /* [mb] */
    /* allocator over the L2 work area */
    uint8_t *base;
    size_t size, used;
} qlr_cl_t;

/* Lays out every buffer in the L2 work area [work, work + size) for this configuration and the
 * back-end chain already in cl->bk (layers with parameter pointers into the image or elsewhere;
 * set bk.layer[], bk.n before). Copies nothing. Returns NULL or a message naming what does not
 * fit (and cl->used says how much was needed so far). */
const char *qlr_cl_layout(qlr_cl_t *cl, uint8_t *work, size_t size);

/* Bump allocation in the work area, 64-byte aligned; NULL when it does not fit. */
void *qlr_cl_alloc(qlr_cl_t *cl, size_t bytes);

/* One learning event on n_new images ([n][image_bytes], u8) with labels (u16). */
qlr_status_t qlr_cl_event(qlr_cl_t *cl, const uint8_t *images, const uint16_t *labels, uint32_t n_new,
                          qlr_cl_event_report_t *rep);

/* Evaluation on n images stored in L3 at `l3_images` ([n][image_bytes]); labels (u16) in L3 at
 * `l3_labels`. Writes predictions to pred_out[n] (u16) and returns the number correct. */
qlr_status_t qlr_cl_evaluate(qlr_cl_t *cl, uint32_t l3_images, uint32_t l3_labels, uint32_t n, uint16_t *pred_out,
                             uint32_t *correct, uint64_t *front_counter, uint64_t *back_counter);

#endif

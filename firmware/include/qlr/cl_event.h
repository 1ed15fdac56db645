/*
 * The learning event on the device (golden twin host/qlr/cl/event.py, rules in
 * docs/cl-protocol.md): front-end to the packed Q-bit latent of every new image, E epochs of
 * mini-batches mixing new latents with replayed ones from the LR memory in L3, and the memory
 * update. Also evaluation on the test images kept in L3.
 *
 * Every buffer comes from the memory plan (qlr/cl_plan.h; qlr_cl_bind): the LR memory
 * ("lr.latents" rows of ceil(E*Q/8) bytes and "lr.labels" u16, in L3, mirrored labels in
 * "event.labels"), the event's data ("data.images", "data.labels", "data.latents": packed rows,
 * in L2 or L3), the bookkeeping ("event.*"), the back-end's buffers and the staging buffers.
 *
 * A mini-batch runs as micro-batches of `ub` samples (the plan's): the packed rows of a
 * micro-batch are gathered into "stream.lr.0/1" (replayed rows from L3 with qlr_l3_read_async,
 * new rows from wherever "data.latents" lives), double-buffered so that the next micro-batch's
 * rows are in flight while the current one trains, then dequantized (float(code) * S_Q) into the
 * back-end's input. Weight gradients accumulate over the micro-batches; one SGD update follows.
 */
#ifndef QLR_CL_EVENT_H
#define QLR_CL_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "qlr/cl_backend.h"
#include "qlr/cl_plan.h"
#include "qlr/cl_policy.h"
#include "qlr/cl_rng.h"
#include "qlr/runtime.h"
#include "qlr/status.h"

/* The front-end: one u8 image in L2 -> the packed Q-bit row of its latent (row_bytes). Set by the
 * firmware that knows the front-end (the image's int8 layers). */
typedef qlr_status_t (*qlr_cl_front_fn)(void *ctx, const uint8_t *image, uint8_t *row, unsigned cores);

typedef struct {
    uint32_t n_lr, q_bits, epochs, mb, ub;
    uint32_t n_max;       /* most new images in one event */
    uint32_t n_eval;      /* most test images in one evaluation */
    float lr, momentum, weight_decay;
    unsigned cores;
} qlr_cl_config_t;

typedef enum { QLR_CL_PHASE_FRONT, QLR_CL_PHASE_LR_LOAD, QLR_CL_PHASE_FORWARD, QLR_CL_PHASE_BACKWARD,
               QLR_CL_PHASE_UPDATE, QLR_CL_PHASES } qlr_cl_phase_t;

typedef struct {
    qlr_cl_mix_t mix;
    uint32_t h;                       /* new latents admitted to the memory */
    uint32_t iterations_run;          /* epochs * mix.iterations */
    uint32_t micro_batches;           /* back-end micro-batches run */
    uint64_t counter[QLR_CL_PHASES];  /* qlr_counter() per phase */
    uint64_t rows_l3;                 /* packed latent rows read from L3 (bytes) */
    uint64_t data_l3;                 /* images read from and latent rows written to L3 (bytes) */
    qlr_cl_traffic_t params;          /* streamed parameter rows (bytes each way, chunks) */
    uint64_t tiles;                   /* L1 tile steps of the back-end's products and depthwise passes */
} qlr_cl_event_report_t;

typedef struct {
    qlr_cl_config_t cfg;
    uint32_t elems;                   /* E: values of one latent */
    uint32_t channels;                /* C: the latent's last dimension */
    uint32_t image_bytes;             /* bytes of one input image */
    uint32_t row_bytes;               /* ceil(E * Q / 8) */
    uint32_t classes;
    qlr_rng_t rng;
    uint32_t filled, updates, events;
    qlr_cl_front_fn front;
    void *front_ctx;
    void (*progress)(void); /* called now and then during an event (NULL: nothing); the CL firmware's
                                link progress frames */
    qlr_cl_backend_t bk;
    /* buffers of the plan */
    const float *scale;               /* "lr.scale": 1 or C values */
    uint32_t scale_count;
    qlr_cl_buf_t lr_rows, lr_labels;  /* L3 */
    qlr_cl_buf_t data_images, data_latents; /* L2 or L3 */
    uint16_t *data_labels;            /* [n_max] */
    qlr_cl_buf_t eval_images, eval_labels;  /* L3 */
    uint16_t *eval_pred;              /* [n_eval] */
    uint16_t *labels;                 /* [n_lr] mirror of the L3 labels */
    uint32_t *perm_new, *perm_rep, *work, *new_index, *slots;
    float *losses;                    /* [epochs * n_max] loss per iteration */
    int32_t *batch_labels;            /* [mb] labels of the current mini-batch */
    int32_t *pred;                    /* [mb] */
    uint8_t *codes;                   /* [ub][row_bytes]: rows made by the front-end on their way */
    uint8_t *rows[2];                 /* [ub][row_bytes] packed rows of a micro-batch, double-buffered */
    uint8_t *fe_input;                /* [image_bytes] an image brought from L3 */
} qlr_cl_t;

/* Takes every buffer of the session from the loaded plan. Before: cfg, elems, channels,
 * image_bytes, row_bytes, classes and bk.layer[]/bk.n (kinds and shapes) set. Binds the back-end's
 * parameters, gradients, momentum, activations, staging and tiles too. Copies nothing. Returns
 * NULL or a message naming the buffer at fault. */
const char *qlr_cl_bind(qlr_cl_t *cl);

/* One learning event on the n_new images in "data.images" with their labels in "data.labels". */
qlr_status_t qlr_cl_event(qlr_cl_t *cl, uint32_t n_new, qlr_cl_event_report_t *rep);

/* Evaluation on the first n test images of "eval.images" (labels in "eval.labels"): writes the
 * predictions to "eval.pred" and the number correct to *correct. */
qlr_status_t qlr_cl_evaluate(qlr_cl_t *cl, uint32_t n, uint32_t *correct, uint64_t *front_counter,
                             uint64_t *back_counter);

#endif

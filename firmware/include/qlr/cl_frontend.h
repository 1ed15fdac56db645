/*
 * The int8 front-end executor: runs the FRONT-stage layers of an open image (qlr/image.h) on u8
 * HWC input images and produces the u8 latents (the output of the last front-end layer), with
 * the int8 kernels of qlr/kernels_int8.h. Golden twin: qlr.image.execute.run_front_end, which this
 * matches bit for bit.
 *
 * Layers: conv2d, dwconv2d, pwconv, linear, avgpool, global_avgpool, add (residual, any earlier
 * layer or the network input as either operand), flatten (no data movement: an alias of its
 * input), relu and relu6 (clamp to [act_min, act_max]); ReLU/ReLU6 fused into conv/linear/add
 * come through the records' act_min/act_max.
 *
 * Scratch (caller-owned, in L2, 64-byte aligned, qlr_frontend_scratch_size() bytes), laid out by
 * qlr_frontend_init():
 *   [folded biases: int32 per output channel of every conv / linear layer, 64-byte rounded]
 *   [activation slots: S x max layer output bytes, each 64-byte rounded][kernel scratch (im2col,
 *   centred depthwise weights): the largest any layer needs for the team size, 64-byte rounded]
 * The layer table lives in the qlr_frontend_t itself (at most QLR_FRONTEND_MAX_LAYERS layers), so
 * the scratch size depends only on the network and the team size, never on the ABI: the host's
 * memory plan computes the same figure (host/qlr/cl/plan/frontend.py).
 * Each layer's output goes to the lowest slot whose owner is no longer read (last reader before
 * this layer); S is the largest number of outputs alive at once (2 for a chain, 3 around a
 * residual), at most QLR_FRONTEND_MAX_SLOTS.
 *
 * Folded biases (bias - in_zp * sum(w - w_zp), what the kernels take) are computed once by
 * qlr_frontend_init, so running many images costs only the layers.
 *
 * Parallel: qlr_frontend_run forks the team once (cores 1..cores_max given to init) and runs
 * every image inside that fork: each layer on all cores (the kernels take their share from
 * qlr_core_id), a barrier between layers and after the latent is written.
 */
#ifndef QLR_CL_FRONTEND_H
#define QLR_CL_FRONTEND_H

#include <stddef.h>
#include <stdint.h>

#include "qlr/image.h"
#include "qlr/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define QLR_FRONTEND_MAX_SLOTS 8u
#define QLR_FRONTEND_MAX_LAYERS 96u

/* Sizes of a front-end run (qlr_frontend_plan). */
typedef struct {
    uint32_t layers;          /* F: front-end layers */
    uint32_t slots;           /* activation slots needed at once */
    size_t slot_bytes;        /* bytes of one slot (the largest activation, 64-byte rounded) */
    size_t bias_bytes;        /* folded biases of all conv / linear layers */
    size_t kernel_scratch;    /* largest kernel scratch for the team size */
    size_t total;             /* bytes of scratch qlr_frontend_init needs */
    uint32_t in_elements;     /* bytes of one input image */
    uint32_t latent_elements; /* bytes of one u8 latent */
} qlr_frontend_plan_t;

/* Plans the front-end of `img` for teams of up to `cores_max` cores. Returns NULL, or a static
 * message saying why it cannot run (no front-end layers, more than QLR_FRONTEND_MAX_LAYERS, an
 * activation above 2^31 bytes, more than QLR_FRONTEND_MAX_SLOTS live outputs, a kernel that
 * rejects the layer's geometry). */
const char *qlr_frontend_plan(const qlr_image_t *img, unsigned cores_max, qlr_frontend_plan_t *plan);

/* Scratch bytes for the image's front-end on up to qlr_team_max() cores; 0 if it cannot run. */
size_t qlr_frontend_scratch_size(const qlr_image_t *img);

/* One front-end layer as the executor runs it (filled by qlr_frontend_init). */
typedef struct {
    qlr_layer_t rec;           /* the decoded record */
    const int8_t *w;           /* FE_WEIGHT or NULL */
    const int32_t *mult;       /* FE_MULT or NULL */
    const uint8_t *shift;      /* FE_SHIFT or NULL */
    uint32_t mult_count;
    int32_t *bias_eff;         /* folded bias [out_c] (conv / linear), else NULL */
    int16_t slot;              /* slot of the output; -1: the network input (a flatten of it) */
    int16_t in0, in1;          /* slots of the inputs (-1: the network input) */
} qlr_frontend_layer_t;

/* A front-end ready to run: the plan and its scratch, with the folded biases computed. */
typedef struct {
    const qlr_image_t *img;
    qlr_frontend_plan_t plan;
    unsigned cores_max;
    qlr_frontend_layer_t layers[QLR_FRONTEND_MAX_LAYERS]; /* [F] */
    int32_t *bias_eff;         /* folded biases, layer after layer */
    uint8_t *slots;            /* plan.slots x plan.slot_bytes */
    uint8_t *kscratch;         /* plan.kernel_scratch bytes */
    int16_t latent_slot;       /* where the last layer's output is (-1: the input itself) */
} qlr_frontend_t;

/* Plans, lays out `scratch` (64-byte aligned, `size` >= plan.total) and folds the biases. The
 * image must stay open (its sections are used in place) while fe is used. Returns QLR_OK,
 * QLR_E_NOMEM (scratch too small), QLR_E_ALIGN (scratch not 64-byte aligned), or
 * QLR_E_UNSUPPORTED (the plan failed; qlr_frontend_plan says why). */
qlr_status_t qlr_frontend_init(qlr_frontend_t *fe, const qlr_image_t *img, void *scratch, size_t size,
                               unsigned cores_max);

/* Runs `count` images (each plan.in_elements bytes, one after another) to their latents. out:
 * count rows of `out_row` bytes each. q_bits 0: the u8 latent (latent_elements bytes per row);
 * 1..8: Q-bit codes (qlr/cl_latent.h; m from the image's LR_CODE_MAX, else 255), one byte per
 * code when pack is 0, a packed row of ceil(E * Q / 8) bytes when pack is 1. cores 1..cores_max.
 * Returns the first kernel status that is not QLR_OK, QLR_E_ARG for bad arguments. */
qlr_status_t qlr_frontend_run(const qlr_frontend_t *fe, const uint8_t *images, uint32_t count, uint8_t *out,
                              size_t out_row, unsigned q_bits, int pack, unsigned cores);

/* Bytes of one output row of qlr_frontend_run for (q_bits, pack). */
size_t qlr_frontend_out_row(const qlr_frontend_t *fe, unsigned q_bits, int pack);

/* ---- the continual-learning firmware's front-end (one image at a time) ------------------- */

/* Prepares the front-end of `img` in `scratch` (qlr_frontend_scratch_size(img) bytes, 64-byte
 * aligned) for qlr_cl_frontend_one; it stays prepared until qlr_cl_frontend_release (which
 * CL_IMAGE_OPEN calls when the current image changes) or the next prepare. */
qlr_status_t qlr_cl_frontend_prepare(const qlr_image_t *img, void *scratch, size_t size);
void qlr_cl_frontend_release(void);
/* The packed Q-bit row (qlr_latent_row_bytes(latent_elements, q_bits) bytes) of one image's
 * latent with the prepared front-end on `cores` cores; QLR_E_ARG when nothing is prepared. */
qlr_status_t qlr_cl_frontend_row(const uint8_t *image, uint8_t *row, unsigned q_bits, unsigned cores);

#ifdef __cplusplus
}
#endif

#endif /* QLR_CL_FRONTEND_H */

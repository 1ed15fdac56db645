/*
 * The trainable back-end on the device: a chain of FP32 layers (pointwise, depthwise, linear,
 * average pooling, global average pooling, flatten, ReLU/ReLU6, with a ReLU/ReLU6 optionally
 * fused into the layer before it) trained with softmax cross-entropy and SGD with momentum and
 * weight decay. The golden twin is host/qlr/cl/event.py (BackEnd.train_step).
 *
 * Memory (qlr/cl_plan.h): every buffer comes from the plan. Activations and activation
 * gradients of one micro-batch (`ub` samples) are in L2; a mini-batch runs as micro-batches whose
 * weight gradients accumulate (qlr_cl_backend_micro with accumulate = 0 for the first), then one
 * SGD update (qlr_cl_backend_update). The weight, momentum and gradient of a pointwise or linear
 * layer may live in L3: they are streamed through the L2 staging buffers by output rows
 * (qlr/cl_stream.h). Pointwise, linear and depthwise passes run on L1 tiles (qlr/tiled.h); the
 * element-wise layers, pooling and the loss work on L2 directly. A flatten is a view: its output
 * buffer is its input's (act[i+1] == act[i]) and it moves no data either way.
 *
 * Runs on the controller: every function forks the team itself (once per layer pass, or once per
 * streamed chunk) and returns when the team is done.
 */
#ifndef QLR_CL_BACKEND_H
#define QLR_CL_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "qlr/cl_plan.h"
#include "qlr/cl_stream.h"
#include "qlr/status.h"
#include "qlr/tiled.h"

#define QLR_CL_MAX_LAYERS 16u

typedef enum {
    QLR_CL_PWCONV = 1,
    QLR_CL_DWCONV = 2,
    QLR_CL_LINEAR = 3,
    QLR_CL_AVGPOOL = 4,
    QLR_CL_GLOBAL_AVGPOOL = 5,
    QLR_CL_FLATTEN = 6,
    QLR_CL_RELU = 7,
    QLR_CL_RELU6 = 8,
} qlr_cl_kind_t;

typedef enum { QLR_CL_ACT_NONE = 0, QLR_CL_ACT_RELU = 1, QLR_CL_ACT_RELU6 = 2 } qlr_cl_act_t;

typedef struct {
    qlr_cl_kind_t kind;
    qlr_cl_act_t act;                 /* fused after the layer */
    uint32_t pos;                     /* position in the image's layer table (names its buffers) */
    uint32_t ih, iw, ic;              /* input H, W, C of one sample */
    uint32_t oh, ow, oc;              /* output H, W, C of one sample */
    uint32_t kh, kw, sh, sw;          /* depthwise / pooling window */
    uint32_t pad[4];                  /* top, bottom, left, right */
    uint32_t nw, nb;                  /* element counts of the weight and the bias (0: none) */
    qlr_cl_buf_t w, b;                /* parameters (L2, or w streamed from L3) */
    qlr_cl_buf_t dw, db;              /* their gradients, accumulated over micro-batches */
    qlr_cl_buf_t vw, vb;              /* their momentum buffers (size 0 at momentum 0) */
} qlr_cl_layer_t;

/* Where time and bytes went (qlr_counter() differences on the controller, bytes by level). */
typedef struct {
    uint64_t forward, backward, update;
    qlr_cl_traffic_t l3;              /* streamed parameter rows between L3 and L2 */
    uint64_t tiles;                   /* L1 tile steps of the tiled products and depthwise passes */
} qlr_cl_step_counters_t;

typedef struct {
    qlr_cl_layer_t layer[QLR_CL_MAX_LAYERS];
    unsigned n;                       /* layers */
    uint32_t ub;                      /* samples the activation buffers hold */
    float *act[QLR_CL_MAX_LAYERS + 1]; /* act[0]: the input [ub][E]; act[i+1]: output of layer i */
    float *grad[2];                   /* two buffers of the largest activation [ub][...] */
    float *row_loss;                  /* [ub] */
    float lr, momentum, weight_decay;
    uint8_t *stage[2];                /* L2 staging buffers of stage_bytes (NULL: nothing streamed) */
    uint32_t stage_bytes;
    qlr_tiled_l1_t l1;                /* the kernel tiles */
} qlr_cl_backend_t;

/* Elements of one sample's activation at position i (0 = the input). */
uint32_t qlr_cl_backend_act_elems(const qlr_cl_backend_t *bk, unsigned i);
/* Checks the chain: shapes agree from layer to layer, kinds known, parameter buffers as big as
 * the shapes need, only pointwise/linear weights streamed, L2 buffers for everything else.
 * NULL or a message naming the layer. */
const char *qlr_cl_backend_check(const qlr_cl_backend_t *bk);

/* Forward, loss and backward of one micro-batch of `n` <= ub samples already in act[0], with
 * labels[0..n). The gradient is the sum over the micro-batch divided by `norm` (the mini-batch's
 * sample count), so micro-batches add up to the mini-batch's mean; `accumulate` = 0 overwrites
 * the weight gradients (the first micro-batch of a step), 1 adds to them. *loss = the sum of
 * the micro-batch's per-sample losses divided by norm. */
qlr_status_t qlr_cl_backend_micro(qlr_cl_backend_t *bk, uint32_t n, const int32_t *labels, uint32_t norm,
                                  int accumulate, unsigned cores, float *loss, qlr_cl_step_counters_t *c);
/* SGD on every parameter with the accumulated gradients (after the micro-batches of a step). */
qlr_status_t qlr_cl_backend_update(qlr_cl_backend_t *bk, unsigned cores, qlr_cl_step_counters_t *c);
/* Forward only on `n` <= ub samples in act[0]; pred[i] = first index of the largest logit. */
qlr_status_t qlr_cl_backend_predict(qlr_cl_backend_t *bk, uint32_t n, unsigned cores, int32_t *pred,
                                    qlr_cl_step_counters_t *c);

#endif

/*
 * The trainable back-end on the device: a chain of FP32 layers (pointwise, depthwise, linear,
 * average pooling, global average pooling, flatten, ReLU/ReLU6, with a ReLU/ReLU6 optionally
 * fused into the layer before it) trained with softmax cross-entropy and SGD with momentum and
 * weight decay, through the FP32 kernels of qlr/kernels_f32.h. The golden twin is
 * host/qlr/cl/event.py (BackEnd.train_step): forward, mean loss, backward to the first layer
 * with parameters (no input gradient below it), then SGD on every weight and bias.
 *
 * Buffers are caller-placed (firmware/cl/event.c allocates them in the L2 work area): one
 * activation buffer per layer output for `batch_max` samples (kept for the backward pass), two
 * gradient buffers of the largest activation, the gradients and momentum of every parameter.
 */
#ifndef QLR_CL_BACKEND_H
#define QLR_CL_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "qlr/status.h"

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
    uint32_t ih, iw, ic;              /* input H, W, C of one sample */
    uint32_t oh, ow, oc;              /* output H, W, C of one sample */
    uint32_t kh, kw, sh, sw;          /* depthwise / pooling window */
    uint32_t pad[4];                  /* top, bottom, left, right */
    float *w, *b;                     /* parameters (NULL when the layer has none / no bias) */
    float *dw, *db;                   /* their gradients */
    float *vw, *vb;                   /* their momentum buffers */
    uint32_t nw, nb;                  /* element counts of w and b */
} qlr_cl_layer_t;

typedef struct {
    qlr_cl_layer_t layer[QLR_CL_MAX_LAYERS];
    unsigned n;                       /* layers */
    uint32_t batch_max;               /* samples the buffers hold */
    float *act[QLR_CL_MAX_LAYERS + 1]; /* act[0]: the input [B][E]; act[i+1]: output of layer i */
    float *grad[2];                   /* two buffers of the largest activation [B][...] */
    float *row_loss;                  /* [batch_max] */
    int32_t *labels;                  /* [batch_max] */
    float lr, momentum, weight_decay;
} qlr_cl_backend_t;

/* Counters of one training step (differences of qlr_counter(), read on core 0). */
typedef struct {
    uint64_t forward, backward, update;
} qlr_cl_step_counters_t;

/* Elements of one sample's activation at position i (0 = the input). */
uint32_t qlr_cl_backend_act_elems(const qlr_cl_backend_t *bk, unsigned i);
/* Checks the chain (shapes agree from layer to layer, kinds known). NULL or a message. */
const char *qlr_cl_backend_check(const qlr_cl_backend_t *bk);

/* One SGD step on `batch` samples already in act[0] with labels in bk->labels, on `cores`
 * cores. Returns the mean loss in *loss (before the step). */
qlr_status_t qlr_cl_backend_train_step(qlr_cl_backend_t *bk, uint32_t batch, unsigned cores, float *loss,
                                       qlr_cl_step_counters_t *counters);
/* Forward only on `batch` samples in act[0]; pred[i] = first index of the largest logit. */
qlr_status_t qlr_cl_backend_predict(qlr_cl_backend_t *bk, uint32_t batch, unsigned cores, int32_t *pred);

#endif

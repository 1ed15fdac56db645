/*
 * FP32 training kernels: forward (fw), input gradient (bw_input) and weight/bias gradient
 * (bw_weight) of conv2d, depthwise conv2d, pointwise conv and linear; ReLU/ReLU6; average
 * pooling (windowed and global); softmax cross-entropy; SGD with momentum and weight decay.
 *
 * Each kernel has a NumPy twin of the same name in host/qlr/golden/ (the specification).
 *
 * Layout (DESIGN.md): activations NHWC with the batch N outermost, row-major, no padding between
 * rows; conv2d weights [Cout][Kh][Kw][Cin]; depthwise [Kh][Kw][C]; pointwise and linear
 * [Out][In]; biases [Cout]. Zero padding is (top, bottom, left, right); output size
 * Ho = (H + top + bottom - Kh) / sh + 1 (integer division), likewise Wo; input rows/columns that
 * no window reaches are ignored (their input gradient is 0).
 *
 * Gradients: bw_weight sums over the whole batch (and every output pixel), as the golden model
 * does. Its `accumulate` flag chooses 0: dw, db = gradient (the golden's definition) or 1:
 * dw, db += gradient (to sum micro-batches in place). db may be NULL (no bias) in every
 * bw_weight; b may be NULL (no bias) in every fw.
 *
 * Team kernels: the contract of qlr/kernel.h (every core, same arguments; checks first, the same
 * status on every core: QLR_E_ARG, QLR_E_NOMEM, QLR_E_ALIGN, or QLR_E_SIZE for a tensor beyond
 * QLR_MAX_ELEMS; a barrier at the end, so the next kernel may read the output at once).
 *
 * Pointers: 4-byte aligned float arrays. Inputs and outputs must not overlap unless a
 * kernel says so (element-wise kernels, softmax: in place allowed). Scratch is caller-owned
 * (L1 or L2) with a _scratch_size() companion; see conv2d.
 *
 * Work split: pointwise/linear/conv2d delegate the products to the matmul micro-kernels
 * (qlr/matmul_f32.h). Direct kernels (depthwise, pooling) split (output pixel, group of 4
 * channels) items evenly over the cores, so the balance holds whatever C and the pixel count.
 *
 * Pure C11 plus the team queries of qlr/runtime.h: no platform code.
 *
 * Example: one training step of a linear head, in a task forked on the team (every core runs
 * the same code; each kernel's output is complete when it returns):
 *
 *   qlr_linear_f32_fw_args_t fw = {.n = 128, .in = 1024, .out = 50, .x = x, .w = w, .b = b, .y = z};
 *   qlr_linear_f32_fw(&fw);
 *   qlr_softmax_xent_f32_args_t xe = {.n = 128, .k = 50, .logits = z, .labels = y, .dlogits = dz,
 *                                     .row_loss = rl, .loss = &loss};
 *   qlr_softmax_xent_f32(&xe);
 *   qlr_linear_f32_bw_weight_args_t bw = {.n = 128, .in = 1024, .out = 50, .x = x, .dy = dz,
 *                                         .dw = dw, .db = db, .accumulate = 0};
 *   qlr_linear_f32_bw_weight(&bw);
 *   qlr_sgd_f32_args_t sgd = {.w = w, .g = dw, .v = vw, .count = 50 * 1024, .lr = 5e-5f,
 *                             .momentum = 0.9f, .weight_decay = 5e-4f};
 *   qlr_sgd_f32(&sgd);    (and likewise for b with db and its own momentum buffer)
 */
#ifndef QLR_KERNELS_F32_H
#define QLR_KERNELS_F32_H

#include <stddef.h>
#include <stdint.h>

#include "qlr/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- window geometry (conv2d, depthwise, average pooling) ------------------------------ */

typedef struct {
    uint32_t n;          /* batch size N >= 1 */
    uint32_t h, w;       /* input height H and width W >= 1 */
    uint32_t c;          /* input channels (Cin for conv2d; C for depthwise and pooling) >= 1 */
    uint32_t kh, kw;     /* window height and width >= 1 */
    uint32_t sh, sw;     /* strides >= 1 */
    uint32_t pad_top, pad_bottom, pad_left, pad_right; /* zero padding */
} qlr_f32_window_t;

/* Output height Ho and width Wo of a window; 0 when the window does not fit the padded input
 * or a stride is 0. */
uint32_t qlr_f32_window_ho(const qlr_f32_window_t *g);
uint32_t qlr_f32_window_wo(const qlr_f32_window_t *g);

/* ---- pointwise (1x1, stride 1, no padding) convolution: a matmul over all pixels -------- */

/* x [pixels][cin] with pixels = N*H*W (an NHWC tensor seen as rows of pixels). */
typedef struct {
    uint32_t pixels;     /* N*H*W >= 1 */
    uint32_t cin, cout;  /* >= 1 */
    const float *x;      /* [pixels][cin] */
    const float *w;      /* [cout][cin] */
    const float *b;      /* [cout] or NULL */
    float *y;            /* [pixels][cout] */
} qlr_pwconv_f32_fw_args_t;

typedef struct {
    uint32_t pixels, cin, cout;
    const float *dy;     /* [pixels][cout] */
    const float *w;      /* [cout][cin] */
    float *dx;           /* [pixels][cin] = dy * w */
} qlr_pwconv_f32_bw_input_args_t;

typedef struct {
    uint32_t pixels, cin, cout;
    const float *x;      /* [pixels][cin], the forward input */
    const float *dy;     /* [pixels][cout] */
    float *dw;           /* [cout][cin] (+)= dy^T x */
    float *db;           /* [cout] (+)= column sums of dy, or NULL */
    int accumulate;      /* 0: overwrite dw, db; 1: add to them */
} qlr_pwconv_f32_bw_weight_args_t;

qlr_status_t qlr_pwconv_f32_fw(const qlr_pwconv_f32_fw_args_t *a);
qlr_status_t qlr_pwconv_f32_bw_input(const qlr_pwconv_f32_bw_input_args_t *a);
qlr_status_t qlr_pwconv_f32_bw_weight(const qlr_pwconv_f32_bw_weight_args_t *a);

/* ---- linear (fully connected): x [n][in], w [out][in] ------------------------------------- */

typedef struct {
    uint32_t n;          /* batch >= 1 */
    uint32_t in, out;    /* features >= 1 */
    const float *x;      /* [n][in] */
    const float *w;      /* [out][in] */
    const float *b;      /* [out] or NULL */
    float *y;            /* [n][out] */
} qlr_linear_f32_fw_args_t;

typedef struct {
    uint32_t n, in, out;
    const float *dy;     /* [n][out] */
    const float *w;      /* [out][in] */
    float *dx;           /* [n][in] = dy * w */
} qlr_linear_f32_bw_input_args_t;

typedef struct {
    uint32_t n, in, out;
    const float *x;      /* [n][in] */
    const float *dy;     /* [n][out] */
    float *dw;           /* [out][in] (+)= dy^T x */
    float *db;           /* [out] (+)= sum over the batch of dy, or NULL */
    int accumulate;      /* 0: overwrite dw, db; 1: add to them */
} qlr_linear_f32_bw_weight_args_t;

qlr_status_t qlr_linear_f32_fw(const qlr_linear_f32_fw_args_t *a);
qlr_status_t qlr_linear_f32_bw_input(const qlr_linear_f32_bw_input_args_t *a);
qlr_status_t qlr_linear_f32_bw_weight(const qlr_linear_f32_bw_weight_args_t *a);

/* ---- conv2d (any kernel, stride, padding): im2col + matmul, in chunks of output pixels -----
 *
 * The im2col matrix has one row per output pixel (M = N*Ho*Wo rows) of K = Kh*Kw*Cin floats,
 * in (i, j, c) order (the memory order of one output channel's weights). The kernels build it
 * R rows at a time in `scratch`, R = min(M, scratch_bytes / (4*K)), so the scratch (e.g. in L1)
 * bounds the memory whatever the batch: one row is the minimum, more rows mean fewer chunks
 * and barriers. fw: cols * w^T -> y. bw_weight: dy^T * cols -> dw. bw_input: dy * w -> cols
 * (the column gradient), then col2im scatter-adds it into dx, split over the input channels
 * (race-free; cores beyond Cin idle during col2im, a 1/Cout share of the work).
 *
 * A 1x1 kernel with stride 1 and no padding needs no im2col: the kernels then use x, dx
 * directly and ignore the scratch (may be NULL). */

/* Bytes of scratch for `rows` im2col rows of this geometry (rows >= 1; 0 on overflow). */
size_t qlr_conv2d_f32_scratch_size(const qlr_f32_window_t *g, uint32_t rows);

typedef struct {
    qlr_f32_window_t g;  /* batch, input size, Cin (g.c), kernel, stride, padding */
    uint32_t cout;       /* >= 1 */
    const float *x;      /* [N][H][W][Cin] */
    const float *w;      /* [Cout][Kh][Kw][Cin] */
    const float *b;      /* [Cout] or NULL */
    float *y;            /* [N][Ho][Wo][Cout] */
    float *scratch;      /* im2col rows (4-byte aligned) */
    size_t scratch_bytes; /* >= qlr_conv2d_f32_scratch_size(&g, 1) */
} qlr_conv2d_f32_fw_args_t;

typedef struct {
    qlr_f32_window_t g;  /* geometry of the forward pass (g.h, g.w, g.c: the shape of dx) */
    uint32_t cout;
    const float *dy;     /* [N][Ho][Wo][Cout] */
    const float *w;      /* [Cout][Kh][Kw][Cin] */
    float *dx;           /* [N][H][W][Cin] (overwritten) */
    float *scratch;      /* column-gradient rows */
    size_t scratch_bytes; /* >= qlr_conv2d_f32_scratch_size(&g, 1) */
} qlr_conv2d_f32_bw_input_args_t;

typedef struct {
    qlr_f32_window_t g;
    uint32_t cout;
    const float *x;      /* [N][H][W][Cin], the forward input */
    const float *dy;     /* [N][Ho][Wo][Cout] */
    float *dw;           /* [Cout][Kh][Kw][Cin] */
    float *db;           /* [Cout] or NULL */
    int accumulate;      /* 0: overwrite dw, db; 1: add to them */
    float *scratch;
    size_t scratch_bytes; /* >= qlr_conv2d_f32_scratch_size(&g, 1) */
} qlr_conv2d_f32_bw_weight_args_t;

qlr_status_t qlr_conv2d_f32_fw(const qlr_conv2d_f32_fw_args_t *a);
qlr_status_t qlr_conv2d_f32_bw_input(const qlr_conv2d_f32_bw_input_args_t *a);
qlr_status_t qlr_conv2d_f32_bw_weight(const qlr_conv2d_f32_bw_weight_args_t *a);

/* ---- depthwise conv2d (one filter per channel): direct loops, no scratch ----------------- *
 * fw and bw_input split (pixel, 4-channel group) items over the cores (bw_input gathers per
 * input pixel, so no two cores write the same element); bw_weight splits (tap, 4-channel
 * group) items, plus one item per group for db. */

typedef struct {
    qlr_f32_window_t g;  /* g.c = C */
    const float *x;      /* [N][H][W][C] */
    const float *w;      /* [Kh][Kw][C] */
    const float *b;      /* [C] or NULL */
    float *y;            /* [N][Ho][Wo][C] */
} qlr_dwconv2d_f32_fw_args_t;

typedef struct {
    qlr_f32_window_t g;
    const float *dy;     /* [N][Ho][Wo][C] */
    const float *w;      /* [Kh][Kw][C] */
    float *dx;           /* [N][H][W][C] (overwritten) */
} qlr_dwconv2d_f32_bw_input_args_t;

typedef struct {
    qlr_f32_window_t g;
    const float *x;      /* [N][H][W][C] */
    const float *dy;     /* [N][Ho][Wo][C] */
    float *dw;           /* [Kh][Kw][C] */
    float *db;           /* [C] or NULL */
    int accumulate;      /* 0: overwrite dw, db; 1: add to them */
} qlr_dwconv2d_f32_bw_weight_args_t;

qlr_status_t qlr_dwconv2d_f32_fw(const qlr_dwconv2d_f32_fw_args_t *a);
qlr_status_t qlr_dwconv2d_f32_bw_input(const qlr_dwconv2d_f32_bw_input_args_t *a);
qlr_status_t qlr_dwconv2d_f32_bw_weight(const qlr_dwconv2d_f32_bw_weight_args_t *a);

/* ---- average pooling ----------------------------------------------------------------------
 * Windowed: each output is the window sum divided by Kh*Kw, zero padding included in the count
 * (padding must be smaller than the window: QLR_E_ARG otherwise). Global: mean over H x W. */

typedef struct {
    qlr_f32_window_t g;
    const float *x;      /* [N][H][W][C] */
    float *y;            /* [N][Ho][Wo][C] */
} qlr_avgpool_f32_fw_args_t;

typedef struct {
    qlr_f32_window_t g;
    const float *dy;     /* [N][Ho][Wo][C] */
    float *dx;           /* [N][H][W][C] (overwritten) */
} qlr_avgpool_f32_bw_args_t;

typedef struct {
    uint32_t n, h, w, c; /* input [N][H][W][C], all >= 1 */
    const float *x;
    float *y;            /* [N][C] (= [N][1][1][C]) */
} qlr_global_avgpool_f32_fw_args_t;

typedef struct {
    uint32_t n, h, w, c;
    const float *dy;     /* [N][C] */
    float *dx;           /* [N][H][W][C] = dy / (H*W) at every pixel */
} qlr_global_avgpool_f32_bw_args_t;

qlr_status_t qlr_avgpool_f32_fw(const qlr_avgpool_f32_fw_args_t *a);
qlr_status_t qlr_avgpool_f32_bw(const qlr_avgpool_f32_bw_args_t *a);
qlr_status_t qlr_global_avgpool_f32_fw(const qlr_global_avgpool_f32_fw_args_t *a);
qlr_status_t qlr_global_avgpool_f32_bw(const qlr_global_avgpool_f32_bw_args_t *a);

/* ---- activations, element-wise on `count` floats (in place allowed: y == x, dx == dy) ----
 * The backward passes take the forward OUTPUT y: ReLU passes dy where y > 0, ReLU6 where
 * 0 < y < 6; the gradient is 0 at the kinks. A NaN input stays NaN in the forward pass. */

void qlr_relu_f32_fw(const float *x, float *y, size_t count);
void qlr_relu_f32_bw(const float *dy, const float *y, float *dx, size_t count);
void qlr_relu6_f32_fw(const float *x, float *y, size_t count);
void qlr_relu6_f32_bw(const float *dy, const float *y, float *dx, size_t count);

/* ---- softmax cross-entropy ------------------------------------------------------------------
 * For each row n: m = max_k z[n][k], s = sum_k exp(z[n][k] - m),
 *   row_loss[n] = log(s) - (z[n][label[n]] - m),
 *   dlogits[n][k] = (exp(z[n][k] - m) / s - [k == label[n]]) / D;
 * *loss = (sum over n of row_loss) / D (the golden's mean loss when D = N). D is `norm` when it
 * is not 0 (the samples of a whole mini-batch of which these N rows are one micro-batch: the
 * micro-batches' gradients and losses then add up to the mini-batch's), else N. Rows are split
 * over the cores; core 0 sums row_loss after a barrier. dlogits may alias logits (in place). */

typedef struct {
    uint32_t n;             /* batch >= 1 */
    uint32_t k;             /* classes >= 1 */
    const float *logits;    /* [N][K] */
    const int32_t *labels;  /* [N], each in [0, K) (QLR_E_ARG otherwise) */
    float *dlogits;         /* [N][K] */
    float *row_loss;        /* [N]: per-sample loss (also the reduction buffer; required) */
    float *loss;            /* one float: sum of row_loss / D */
    uint32_t norm;          /* D: 0 = N; else >= N */
} qlr_softmax_xent_f32_args_t;

qlr_status_t qlr_softmax_xent_f32(const qlr_softmax_xent_f32_args_t *a);

/* ---- SGD with momentum and weight decay (the golden's order, per element) -----------------
 *   v = momentum * v;  v = v + g;  if (weight_decay != 0) v = v + weight_decay * w;
 *   w = w - lr * v
 * (decay added to the gradient, momentum buffer without dampening, no Nesterov). Without
 * momentum (momentum == 0) v may be NULL: the same update with v taken as 0 and not kept. */

typedef struct {
    float *w;               /* [count] parameters, updated in place */
    const float *g;         /* [count] gradient */
    float *v;               /* [count] momentum buffer, updated in place (zero it to start); may be
                               NULL when momentum == 0 */
    size_t count;
    float lr, momentum, weight_decay;
} qlr_sgd_f32_args_t;

void qlr_sgd_f32(const qlr_sgd_f32_args_t *a);

#ifdef __cplusplus
}
#endif

#endif /* QLR_KERNELS_F32_H */

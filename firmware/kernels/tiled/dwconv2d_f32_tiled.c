/*
 * Tiled depthwise convolution, forward (qlr/tiled.h).
 *
 * A step is one image and one group of cg channels: the group's input planes x[n][:][:][c0:c0+cg]
 * (a 2-D strided copy of the HWC tensor: H*W rows of cg floats, C floats apart), its weights
 * w[:][:][c0:c0+cg] and biases come into L1 packed as a [H][W][cg] tensor, the depthwise kernel
 * (qlr_dwconv2d_f32_fw, qlr/kernels_f32.h) runs on it with the whole team, and the [Ho][Wo][cg]
 * output goes back with the same kind of copy. Whole planes per step: no halos; the largest
 * group that fits the budget is taken, then the groups are evened out.
 */
#include <stddef.h>

#include "f32/f32_common.h"
#include "qlr/tiled.h"
#include "tiled_pipeline.h"

#define ALIGN_BYTES 16u

static size_t round_up(size_t v)
{
    return (v + ALIGN_BYTES - 1u) & ~(size_t)(ALIGN_BYTES - 1u);
}

typedef struct {
    size_t x_off, w_off, b_off, y_off, bytes;
} dw_layout_t;

static dw_layout_t dw_layout(const qlr_f32_window_t *g, uint32_t ho, uint32_t wo, uint32_t cg)
{
    dw_layout_t l;
    l.x_off = 0;
    l.w_off = round_up(4u * (size_t)g->h * g->w * cg);
    l.b_off = l.w_off + round_up(4u * (size_t)g->kh * g->kw * cg);
    l.y_off = l.b_off + round_up(4u * (size_t)cg);
    l.bytes = l.y_off + round_up(4u * (size_t)ho * wo * cg);
    return l;
}

uint32_t qlr_dwconv2d_f32_fw_tile_channels(const qlr_f32_window_t *g, const qlr_tiled_l1_t *l1)
{
    uint32_t ho = qlr_f32_window_ho(g), wo = qlr_f32_window_wo(g);
    if (ho == 0u || wo == 0u || g->c == 0u || l1->l1 == NULL || l1->tile_budget > l1->l1_size / 2u) {
        return 0;
    }
    size_t budget = l1->tile_budget != 0u ? l1->tile_budget : l1->l1_size / 2u;
    /* Largest fitting group (the layout grows with cg), by bisection. */
    uint32_t lo = 0, hi = g->c;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1u) / 2u;
        if (dw_layout(g, ho, wo, mid).bytes <= budget) {
            lo = mid;
        } else {
            hi = mid - 1u;
        }
    }
    if (lo == 0u) {
        return 0;
    }
    /* Even the groups out, in multiples of 4 channels where that still fits. */
    uint32_t groups = (g->c + lo - 1u) / lo;
    uint32_t cg = (g->c + groups - 1u) / groups;
    uint32_t cg4 = (cg + 3u) & ~3u;
    return cg4 <= lo ? cg4 : cg;
}

typedef struct {
    const qlr_dwconv2d_f32_fw_args_t *a;
    uint32_t ho, wo, cg, groups;
    dw_layout_t lay;
    uint8_t *set[2];
} dw_exec_t;

typedef struct {
    uint32_t n, c0, cw;
} dw_step_t;

static dw_step_t dw_step(const dw_exec_t *e, uint32_t s)
{
    dw_step_t st;
    st.n = s / e->groups;
    st.c0 = (s % e->groups) * e->cg;
    st.cw = e->a->g.c - st.c0 < e->cg ? e->a->g.c - st.c0 : e->cg;
    return st;
}

static float *at(const dw_exec_t *e, uint32_t s, size_t off)
{
    return (float *)(void *)(e->set[s & 1u] + off);
}

static void dw_issue_in(void *ctx, uint32_t s, qlr_copy_t *job)
{
    const dw_exec_t *e = ctx;
    const qlr_dwconv2d_f32_fw_args_t *a = e->a;
    const qlr_f32_window_t *g = &a->g;
    dw_step_t st = dw_step(e, s);
    const size_t row = 4u * (size_t)st.cw, stride = 4u * (size_t)g->c;
    const float *x = a->x + (size_t)st.n * g->h * g->w * g->c + st.c0;
    qlr_copy_2d(job, at(e, s, e->lay.x_off), x, row, (size_t)g->h * g->w, row, stride);
    qlr_copy_2d(job, at(e, s, e->lay.w_off), a->w + st.c0, row, (size_t)g->kh * g->kw, row, stride);
    if (a->b != NULL) {
        qlr_copy_1d(job, at(e, s, e->lay.b_off), a->b + st.c0, row);
    }
}

static void dw_issue_out(void *ctx, uint32_t s, qlr_copy_t *job)
{
    const dw_exec_t *e = ctx;
    const qlr_dwconv2d_f32_fw_args_t *a = e->a;
    dw_step_t st = dw_step(e, s);
    const size_t row = 4u * (size_t)st.cw, stride = 4u * (size_t)a->g.c;
    float *y = a->y + (size_t)st.n * e->ho * e->wo * a->g.c + st.c0;
    qlr_copy_2d(job, y, at(e, s, e->lay.y_off), row, (size_t)e->ho * e->wo, stride, row);
}

static void dw_compute(void *ctx, uint32_t s)
{
    const dw_exec_t *e = ctx;
    const qlr_dwconv2d_f32_fw_args_t *a = e->a;
    dw_step_t st = dw_step(e, s);
    qlr_dwconv2d_f32_fw_args_t t;
    t.g = a->g;
    t.g.n = 1u;
    t.g.c = st.cw;
    t.x = at(e, s, e->lay.x_off);
    t.w = at(e, s, e->lay.w_off);
    t.b = a->b != NULL ? at(e, s, e->lay.b_off) : NULL;
    t.y = at(e, s, e->lay.y_off);
    (void)qlr_dwconv2d_f32_fw(&t); /* the geometry was checked before the first step */
}

static int dw_always(void *ctx, uint32_t s)
{
    (void)ctx;
    (void)s;
    return 1;
}

static uint32_t dw_out_buf(void *ctx, uint32_t s)
{
    (void)ctx;
    return s & 1u;
}

qlr_status_t qlr_dwconv2d_f32_fw_tiled(const qlr_dwconv2d_f32_fw_args_t *a, const qlr_tiled_l1_t *l1)
{
    const qlr_f32_window_t *g = &a->g;
    if (a->x == NULL || a->w == NULL || a->y == NULL || g->n == 0u || g->c == 0u || g->sh == 0u || g->sw == 0u ||
        l1->l1 == NULL || l1->tile_budget > l1->l1_size / 2u) {
        return QLR_E_ARG;
    }
    if (((uintptr_t)l1->l1 & 3u) != 0u) {
        return QLR_E_ALIGN;
    }
    qlr_status_t st = qlr_f32_window_check(g); /* the geometry, and QLR_E_SIZE beyond QLR_MAX_ELEMS */
    if (st != QLR_OK) {
        return st;
    }
    dw_exec_t e;
    e.a = a;
    e.ho = qlr_f32_window_ho(g);
    e.wo = qlr_f32_window_wo(g);
    if (e.ho == 0u || e.wo == 0u) {
        return QLR_E_ARG;
    }
    e.cg = qlr_dwconv2d_f32_fw_tile_channels(g, l1);
    if (e.cg == 0u) {
        return QLR_E_NOMEM;
    }
    e.groups = (g->c + e.cg - 1u) / e.cg;
    e.lay = dw_layout(g, e.ho, e.wo, e.cg);
    e.set[0] = l1->l1;
    e.set[1] = l1->l1 + e.lay.bytes;
    const qlr_tiled_pipeline_t pipe = {.ctx = &e, .steps = g->n * e.groups, .issue_in = dw_issue_in,
                                       .compute = dw_compute, .issue_out = dw_issue_out, .first = dw_always,
                                       .last = dw_always, .out_buf = dw_out_buf};
    qlr_tiled_run(&pipe);
    return QLR_OK;
}

/*
 * Tiled FP32 matmul executor (qlr/tiled.h): C = A B (nn, nt, tn) with every operand in L2,
 * tile by tile through L1 with double-buffered copies.
 *
 * Tiles. C is cut into mt x nt tiles and K into kt-deep steps; a step copies the A tile and the
 * B tile (packed in L1: the leading dimension of a tile is its width) and accumulates into the C
 * tile, which stays in L1 for all the K steps of its tile and is copied back once. With
 * accumulate = 1 the C tile is first copied in. The order is C tile by C tile (row-major), K
 * innermost.
 *
 * Plan. Tile sizes are chosen by a small cost model over candidate sizes: per step, the busiest
 * core's 4x4 blocks times their cost (cheaper when the tile matches a fixed-stride fast path of
 * qlr/matmul_f32.h: nt with kt = 64; nn with kt = nt = 64; tn with mt = nt = 32), plus a fixed
 * cost per block (the C store) and per step (barrier, copies). The model only ranks plans; every
 * plan computes the same product.
 *
 * Pipeline (one team): the leader core issues the copies of step s+1 while all cores compute
 * step s, one barrier per step. See qlr/tiled.h.
 */
#include <stddef.h>

#include "f32/matmul_f32_share.h"
#include "qlr/kernel.h"
#include "qlr/tiled.h"
#include "tiled_pipeline.h"

#define ALIGN_BYTES 16u

static size_t round_up(size_t v)
{
    return (v + ALIGN_BYTES - 1u) & ~(size_t)(ALIGN_BYTES - 1u);
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static uint32_t ceil_div(uint32_t a, uint32_t b)
{
    return (a + b - 1u) / b;
}

/* L1 layout of one tile set: A tile, B tile, C tile, each 16-byte aligned. */
typedef struct {
    size_t a_off, b_off, c_off, bytes;
} set_layout_t;

static set_layout_t set_layout(qlr_matmul_kind_t kind, uint32_t mt, uint32_t nt, uint32_t kt)
{
    (void)kind; /* every kind needs mt*kt + kt*nt + mt*nt floats */
    set_layout_t s;
    s.a_off = 0;
    s.b_off = round_up(4u * (size_t)mt * kt);
    s.c_off = s.b_off + round_up(4u * (size_t)kt * nt);
    s.bytes = s.c_off + round_up(4u * (size_t)mt * nt);
    return s;
}

/* ---- the cost model ----------------------------------------------------------------------- */

/* Cost units: 1/8 cycle per MAC on one pulp-open core (measured: fixed-stride blocks 0.51
 * MAC/cycle, generic nt 0.30, nn 0.40, tn 0.45). */
static uint32_t mac_cost(qlr_matmul_kind_t kind, uint32_t mh, uint32_t nw, uint32_t kd)
{
    switch (kind) {
    case QLR_MATMUL_NT:
        return kd == 64u ? 16u : 27u;
    case QLR_MATMUL_NN:
        return kd == 64u && nw == 64u ? 16u : 20u;
    default:
        return mh == 32u && nw == 32u ? 16u : 18u;
    }
}

#define BLOCK_COST (8u * 80u)   /* setup and C store of one 4x4 block */
#define STEP_COST (8u * 600u)   /* barrier, copy programming and waits of one step */
#define KT_MAX 64u              /* deepest K step: the fixed-stride kernels' depth */
#define MAX_CAND 12u
#define KT_LEVELS 2u            /* K depths tried: the deepest that fits, and half of it */

/* A candidate tile extent along M or N and what the cost needs, computed once per plan:
 * [0] the full tiles, [1] the remainder tile. */
typedef struct {
    uint32_t t;
    uint32_t cnt[2], ext[2], blk[2], share[2]; /* count, extent, 4-blocks, 4-blocks per core */
} cand_t;

typedef struct {
    cand_t m[MAX_CAND], n[MAX_CAND];
} plan_scratch_t;

static unsigned add_cand(cand_t *c, unsigned n, uint32_t t, uint32_t dim, unsigned cores)
{
    for (unsigned i = 0; i < n; i++) {
        if (c[i].t == t) {
            return n;
        }
    }
    cand_t *x = &c[n];
    x->t = t;
    x->cnt[0] = dim / t;
    x->cnt[1] = dim % t ? 1u : 0u;
    x->ext[0] = t;
    x->ext[1] = dim % t;
    for (unsigned i = 0; i < 2u; i++) {
        x->blk[i] = ceil_div(x->ext[i], 4u);
        x->share[i] = ceil_div(x->blk[i], cores);
    }
    return n + 1u;
}

/* Candidates along a dimension: powers of two from 4 (from 1 for tiny budgets), the whole
 * dimension, and halves and thirds of it in multiples of 4 (they balance uneven sizes); sorted
 * ascending, so the tile set grows along the list. */
static unsigned make_cands(uint32_t dim, unsigned cores, int tiny, cand_t *c)
{
    unsigned n = 0;
    for (uint32_t t = tiny ? 1u : 4u; t < dim && t <= 256u; t *= 2u) {
        n = add_cand(c, n, t, dim, cores);
    }
    for (uint32_t d = 2u; d <= 3u; d++) {
        uint32_t t = (ceil_div(dim, d) + 3u) & ~3u;
        if (t > 4u && t < dim && t <= 256u) {
            n = add_cand(c, n, t, dim, cores);
        }
    }
    if (dim <= 256u) {
        n = add_cand(c, n, dim, dim, cores);
    }
    for (unsigned i = 1; i < n; i++) { /* insertion sort by extent */
        cand_t x = c[i];
        unsigned j = i;
        for (; j > 0u && c[j - 1u].t > x.t; j--) {
            c[j] = c[j - 1u];
        }
        c[j] = x;
    }
    return n;
}

/* Cost of a plan: for each kind of tile (full or remainder along M, N and K), the count times the
 * busiest core's blocks times their cost, plus the per-step cost. */
static uint64_t plan_cost(qlr_matmul_kind_t kind, const cand_t *m, const cand_t *n, const uint32_t kc[2],
                          const uint32_t kd[2])
{
    uint64_t total = 0;
    for (unsigned i = 0; i < 2u; i++) {
        for (unsigned j = 0; j < 2u; j++) {
            uint32_t tiles = m->cnt[i] * n->cnt[j];
            if (tiles == 0u) {
                continue;
            }
            uint32_t by_rows = m->share[i] * n->blk[j], by_cols = n->share[j] * m->blk[i];
            uint32_t blocks = by_rows < by_cols ? by_rows : by_cols;
            for (unsigned l = 0; l < 2u; l++) {
                if (kc[l] != 0u) {
                    uint32_t step = blocks * (16u * kd[l] * mac_cost(kind, m->ext[i], n->ext[j], kd[l]) + BLOCK_COST) +
                                    STEP_COST;
                    total += (uint64_t)(tiles * kc[l]) * step;
                }
            }
        }
    }
    return total;
}

static size_t budget_of(const qlr_tiled_l1_t *l1)
{
    return l1->tile_budget != 0u ? l1->tile_budget : l1->l1_size / 2u;
}

static qlr_status_t check_l1(const qlr_tiled_l1_t *l1)
{
    if (l1->l1 == NULL || l1->l1_size == 0u || l1->tile_budget > l1->l1_size / 2u) {
        return QLR_E_ARG;
    }
    if (((uintptr_t)l1->l1 & 3u) != 0u) {
        return QLR_E_ALIGN;
    }
    return QLR_OK;
}

size_t qlr_matmul_f32_tiled_min_budget(void)
{
    return set_layout(QLR_MATMUL_NN, 1u, 1u, 1u).bytes;
}

/* Arguments every core checks alike before any copy or barrier. */
static qlr_status_t validate(const qlr_matmul_f32_tiled_args_t *a)
{
    const qlr_matmul_f32_args_t *mm = &a->mm;
    if (a->kind != QLR_MATMUL_NN && a->kind != QLR_MATMUL_NT && a->kind != QLR_MATMUL_TN) {
        return QLR_E_ARG;
    }
    if (mm->m == 0u || mm->n == 0u || mm->k == 0u || mm->a == NULL || mm->b == NULL || mm->c == NULL ||
        (mm->accumulate != 0 && mm->accumulate != 1)) {
        return QLR_E_ARG;
    }
    /* A and B as stored: rows x leading dimension, each at least its row width. */
    const uint32_t a_rows = a->kind == QLR_MATMUL_TN ? mm->k : mm->m, a_cols = a->kind == QLR_MATMUL_TN ? mm->m : mm->k;
    const uint32_t b_rows = a->kind == QLR_MATMUL_NT ? mm->n : mm->k, b_cols = a->kind == QLR_MATMUL_NT ? mm->k : mm->n;
    if (mm->lda < a_cols || mm->ldb < b_cols || mm->ldc < mm->n) {
        return QLR_E_ARG;
    }
    if (qlr_elems2(a_rows, mm->lda) == 0u || qlr_elems2(b_rows, mm->ldb) == 0u || qlr_elems2(mm->m, mm->ldc) == 0u) {
        return QLR_E_SIZE;
    }
    if (a->a_sum != NULL && a->kind != QLR_MATMUL_TN) {
        return QLR_E_UNSUPPORTED;
    }
    qlr_status_t st = check_l1(&a->l1);
    if (st != QLR_OK) {
        return st;
    }
    if (a->l1.l1_size < sizeof(plan_scratch_t)) {
        return QLR_E_NOMEM;
    }
    return QLR_OK;
}

/* The search, with its candidate tables in `scr` (L1: a cluster core's stack is 1 KiB). */
static qlr_status_t plan_with(const qlr_matmul_f32_tiled_args_t *a, unsigned cores, qlr_tiled_plan_t *plan,
                              plan_scratch_t *scr)
{
    const qlr_matmul_f32_args_t *mm = &a->mm;
    if (cores < 1u) {
        cores = 1u;
    }
    const size_t budget = budget_of(&a->l1);
    if (mm->k <= KT_MAX && set_layout(a->kind, mm->m, mm->n, mm->k).bytes <= budget) {
        /* Everything in one step: more steps could not balance the cores better. */
        plan->mt = mm->m;
        plan->nt = mm->n;
        plan->kt = mm->k;
        plan->set_bytes = set_layout(a->kind, mm->m, mm->n, mm->k).bytes;
        plan->steps = 1u;
        return QLR_OK;
    }
    cand_t *mc = scr->m, *nc = scr->n;
    const int tiny = set_layout(a->kind, 4u, 4u, 4u).bytes > budget;
    unsigned nm = make_cands(mm->m, cores, tiny, mc), nn = make_cands(mm->n, cores, tiny, nc);
    uint64_t best = UINT64_MAX;
    unsigned levels = 0;
    for (uint32_t kt = mm->k < KT_MAX ? mm->k : KT_MAX; kt > 0u && levels < KT_LEVELS; kt /= 2u) {
        const uint32_t kc[2] = {mm->k / kt, mm->k % kt ? 1u : 0u}, kd[2] = {kt, mm->k % kt};
        int fits = 0;
        for (unsigned i = 0; i < nm; i++) {
            for (unsigned j = 0; j < nn; j++) {
                size_t bytes = set_layout(a->kind, mc[i].t, nc[j].t, kt).bytes;
                if (bytes > budget) {
                    break; /* the sets grow along the list */
                }
                fits = 1;
                uint64_t cost = plan_cost(a->kind, &mc[i], &nc[j], kc, kd);
                if (cost < best) {
                    best = cost;
                    plan->mt = mc[i].t;
                    plan->nt = nc[j].t;
                    plan->kt = kt;
                    plan->set_bytes = bytes;
                }
            }
        }
        levels += fits ? 1u : 0u;
    }
    if (best == UINT64_MAX) {
        return QLR_E_NOMEM;
    }
    plan->steps = ceil_div(mm->m, plan->mt) * ceil_div(mm->n, plan->nt) * ceil_div(mm->k, plan->kt);
    return QLR_OK;
}

qlr_status_t qlr_matmul_f32_tiled_plan(const qlr_matmul_f32_tiled_args_t *a, unsigned cores, qlr_tiled_plan_t *plan)
{
    qlr_status_t st = validate(a);
    if (st != QLR_OK) {
        return st;
    }
    return plan_with(a, cores, plan, (plan_scratch_t *)(void *)a->l1.l1);
}

/* ---- the executor ------------------------------------------------------------------------ */

typedef struct {
    uint32_t m0, n0, k0, mh, nw, kd;
    uint32_t tile;      /* index of its C tile */
    int first, last;    /* first / last K step of its C tile */
    uint32_t index;     /* the step */
} step_t;

typedef struct {
    const qlr_matmul_f32_tiled_args_t *a;
    qlr_tiled_plan_t plan;
    set_layout_t lay;
    uint32_t tiles_n, steps_k;
    uint8_t *set[2];
    step_t cache[2];    /* steps s and s+1 (slot s & 1): each core walks them in order */
} exec_t;

static void step_extents(const exec_t *e, step_t *st)
{
    const qlr_matmul_f32_args_t *mm = &e->a->mm;
    st->mh = min_u32(e->plan.mt, mm->m - st->m0);
    st->nw = min_u32(e->plan.nt, mm->n - st->n0);
    st->kd = min_u32(e->plan.kt, mm->k - st->k0);
    st->last = st->k0 + st->kd == mm->k;
    st->first = st->k0 == 0u;
}

/* Step s, from the cache, from step s - 1 without divisions, or from scratch. */
static const step_t *step_at(exec_t *e, uint32_t s)
{
    step_t *st = &e->cache[s & 1u];
    if (st->index == s) {
        return st;
    }
    const step_t *prev = &e->cache[(s - 1u) & 1u];
    if (s > 0u && prev->index == s - 1u) {
        st->m0 = prev->m0;
        st->n0 = prev->n0;
        st->k0 = prev->k0;
        st->tile = prev->tile;
        if (!prev->last) {
            st->k0 += e->plan.kt;
        } else {
            st->k0 = 0;
            st->tile++;
            st->n0 += e->plan.nt;
            if (st->n0 >= e->a->mm.n) {
                st->n0 = 0;
                st->m0 += e->plan.mt;
            }
        }
    } else {
        uint32_t ki = s % e->steps_k, t = s / e->steps_k;
        st->tile = t;
        st->m0 = (t / e->tiles_n) * e->plan.mt;
        st->n0 = (t % e->tiles_n) * e->plan.nt;
        st->k0 = ki * e->plan.kt;
    }
    st->index = s;
    step_extents(e, st);
    return st;
}

/* rows x cols floats at src (leading dimension ld) -> packed at dst. */
static void copy_tile(qlr_copy_t *job, float *dst, const float *src, uint32_t rows, uint32_t cols, uint32_t ld)
{
    qlr_copy_2d(job, dst, src, 4u * (size_t)cols, rows, 4u * (size_t)cols, 4u * (size_t)ld);
}

static float *set_a(const exec_t *e, uint32_t s)
{
    return (float *)(void *)(e->set[s & 1u] + e->lay.a_off);
}
static float *set_b(const exec_t *e, uint32_t s)
{
    return (float *)(void *)(e->set[s & 1u] + e->lay.b_off);
}
static float *set_c(const exec_t *e, uint32_t tile)
{
    return (float *)(void *)(e->set[tile & 1u] + e->lay.c_off);
}

/* The leader: copies of step s into its set (and the C tile when accumulating). */
static void issue_inputs(void *ctx, uint32_t s, qlr_copy_t *job)
{
    exec_t *e = ctx;
    const qlr_matmul_f32_args_t *mm = &e->a->mm;
    const step_t *st = step_at(e, s);
    switch (e->a->kind) {
    case QLR_MATMUL_NN:
        copy_tile(job, set_a(e, s), mm->a + (size_t)st->m0 * mm->lda + st->k0, st->mh, st->kd, mm->lda);
        copy_tile(job, set_b(e, s), mm->b + (size_t)st->k0 * mm->ldb + st->n0, st->kd, st->nw, mm->ldb);
        break;
    case QLR_MATMUL_NT:
        copy_tile(job, set_a(e, s), mm->a + (size_t)st->m0 * mm->lda + st->k0, st->mh, st->kd, mm->lda);
        copy_tile(job, set_b(e, s), mm->b + (size_t)st->n0 * mm->ldb + st->k0, st->nw, st->kd, mm->ldb);
        break;
    default:
        copy_tile(job, set_a(e, s), mm->a + (size_t)st->k0 * mm->lda + st->m0, st->kd, st->mh, mm->lda);
        copy_tile(job, set_b(e, s), mm->b + (size_t)st->k0 * mm->ldb + st->n0, st->kd, st->nw, mm->ldb);
        break;
    }
    if (st->first && mm->accumulate) {
        copy_tile(job, set_c(e, st->tile), mm->c + (size_t)st->m0 * mm->ldc + st->n0, st->mh, st->nw, mm->ldc);
    }
}

static void issue_output(void *ctx, uint32_t s, qlr_copy_t *job)
{
    exec_t *e = ctx;
    const qlr_matmul_f32_args_t *mm = &e->a->mm;
    const step_t *st = step_at(e, s);
    float *dst = mm->c + (size_t)st->m0 * mm->ldc + st->n0;
    qlr_copy_2d(job, dst, set_c(e, st->tile), 4u * (size_t)st->nw, st->mh, 4u * (size_t)mm->ldc, 4u * (size_t)st->nw);
}

/* All cores: step s from its set. */
static void compute(void *ctx, uint32_t s)
{
    exec_t *e = ctx;
    const qlr_matmul_f32_tiled_args_t *a = e->a;
    const step_t *st = step_at(e, s);
    qlr_matmul_f32_args_t t;
    t.a = set_a(e, s);
    t.b = set_b(e, s);
    t.c = set_c(e, st->tile);
    t.bias = st->first && !a->mm.accumulate && a->mm.bias != NULL ? a->mm.bias + st->n0 : NULL;
    t.m = st->mh;
    t.n = st->nw;
    t.k = st->kd;
    t.lda = a->kind == QLR_MATMUL_TN ? st->mh : st->kd;
    t.ldb = a->kind == QLR_MATMUL_NT ? st->kd : st->nw;
    t.ldc = st->nw;
    t.accumulate = !st->first || a->mm.accumulate;
    switch (a->kind) {
    case QLR_MATMUL_NN:
        qlr_matmul_f32_nn_share(&t);
        break;
    case QLR_MATMUL_NT:
        qlr_matmul_f32_nt_share(&t);
        break;
    default:
        qlr_matmul_f32_tn_share(&t);
        break;
    }
    if (a->a_sum != NULL && st->n0 == 0u) {
        /* Column sums of the A tile ([kd][mh]) for this core's columns, into a_sum in place. */
        uint32_t i0, i1;
        qlr_share(st->mh, qlr_core_id(), qlr_core_count(), &i0, &i1);
        for (uint32_t i = i0; i < i1; i++) {
            const float *col = t.a + i;
            float s0 = 0.0f;
            for (uint32_t r = 0; r < st->kd; r++) {
                s0 += col[(size_t)r * st->mh];
            }
            float *dst = a->a_sum + st->m0 + i;
            *dst = (st->first && !a->mm.accumulate) ? s0 : *dst + s0;
        }
    }
}

static int step_first(void *ctx, uint32_t s)
{
    return step_at(ctx, s)->first;
}

static int step_last(void *ctx, uint32_t s)
{
    return step_at(ctx, s)->last;
}

static uint32_t step_out_buf(void *ctx, uint32_t s)
{
    return step_at(ctx, s)->tile & 1u;
}

qlr_status_t qlr_matmul_f32_tiled(const qlr_matmul_f32_tiled_args_t *a)
{
    exec_t e;
    qlr_status_t st = validate(a);
    if (st != QLR_OK) {
        return st;
    }
    /* Core 0 plans with its tables in L1 and leaves the result there for the team. */
    typedef struct {
        qlr_status_t st;
        qlr_tiled_plan_t plan;
    } mailbox_t;
    volatile mailbox_t *box = (volatile mailbox_t *)(void *)a->l1.l1;
    if (qlr_core_id() == 0u) {
        mailbox_t m;
        m.st = plan_with(a, qlr_core_count(), &m.plan, (plan_scratch_t *)(void *)a->l1.l1);
        box->st = m.st;
        box->plan = m.plan;
    }
    qlr_team_barrier();
    st = box->st;
    e.plan = box->plan;
    qlr_team_barrier(); /* everyone has the plan: the tiles may overwrite the mailbox */
    if (st != QLR_OK) {
        return st;
    }
    e.a = a;
    e.lay = set_layout(a->kind, e.plan.mt, e.plan.nt, e.plan.kt);
    e.tiles_n = ceil_div(a->mm.n, e.plan.nt);
    e.steps_k = ceil_div(a->mm.k, e.plan.kt);
    e.set[0] = a->l1.l1;
    e.set[1] = a->l1.l1 + e.lay.bytes;
    e.cache[0].index = e.cache[1].index = UINT32_MAX;
    const qlr_tiled_pipeline_t pipe = {.ctx = &e, .steps = e.plan.steps, .issue_in = issue_inputs,
                                       .compute = compute, .issue_out = issue_output, .first = step_first,
                                       .last = step_last, .out_buf = step_out_buf};
    qlr_tiled_run(&pipe);
    return QLR_OK;
}

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
 * Pipeline (one team): core 0 issues the copies of step s+1 while all cores compute step s, one
 * barrier per step. See qlr/tiled.h.
 */
#include <stddef.h>

#include "qlr/runtime.h"
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

/* Cost of one step on an mh x nw x kd tile: the busiest core's blocks (fits 32 bits: at most
 * 64 x 64 blocks of 16 x 64 MACs at cost 27). */
static uint32_t step_cost(qlr_matmul_kind_t kind, uint32_t mh, uint32_t nw, uint32_t kd, unsigned cores)
{
    uint32_t rb = ceil_div(mh, 4u), cb = ceil_div(nw, 4u);
    uint32_t by_rows = ceil_div(rb, cores) * cb, by_cols = ceil_div(cb, cores) * rb;
    uint32_t blocks = by_rows < by_cols ? by_rows : by_cols;
    return blocks * (16u * kd * mac_cost(kind, mh, nw, kd) + BLOCK_COST) + STEP_COST;
}

/* Total cost of a plan: full and remainder tiles along M, N and K. */
static uint64_t plan_cost(qlr_matmul_kind_t kind, uint32_t m, uint32_t n, uint32_t k, uint32_t mt, uint32_t nt,
                          uint32_t kt, unsigned cores)
{
    const uint32_t mh[2] = {mt, m % mt}, mc[2] = {m / mt, m % mt ? 1u : 0u};
    const uint32_t nw[2] = {nt, n % nt}, nc[2] = {n / nt, n % nt ? 1u : 0u};
    const uint32_t kd[2] = {kt, k % kt}, kc[2] = {k / kt, k % kt ? 1u : 0u};
    uint64_t total = 0;
    for (unsigned i = 0; i < 2u; i++) {
        for (unsigned j = 0; j < 2u; j++) {
            uint64_t tiles = (uint64_t)mc[i] * nc[j];
            for (unsigned l = 0; l < 2u && tiles != 0u; l++) {
                if (kc[l] != 0u) {
                    total += tiles * kc[l] * step_cost(kind, mh[i], nw[j], kd[l], cores);
                }
            }
        }
    }
    return total;
}

/* Candidate tile extents along a dimension of size `dim`: the sizes of the list that are below
 * dim, and dim itself when it is not too large. */
static const uint32_t CANDIDATES[] = {1u, 2u, 4u, 8u, 12u, 16u, 20u, 24u, 32u, 40u, 48u, 64u, 96u, 128u, 256u};
#define NCAND (sizeof CANDIDATES / sizeof CANDIDATES[0])

static unsigned candidates(uint32_t dim, uint32_t out[NCAND + 1u])
{
    unsigned n = 0;
    for (unsigned i = 0; i < NCAND && CANDIDATES[i] < dim; i++) {
        out[n++] = CANDIDATES[i];
    }
    if (dim <= 256u) {
        out[n++] = dim;
    }
    return n;
}

/* The deepest K step (<= KT_MAX, <= k) whose set fits the budget with an mt x nt C tile; 0 if
 * none. */
static uint32_t deepest_kt(qlr_matmul_kind_t kind, uint32_t mt, uint32_t nt, uint32_t k, size_t budget)
{
    uint32_t kt = k < KT_MAX ? k : KT_MAX;
    size_t fixed = set_layout(kind, mt, nt, 0u).bytes + 2u * ALIGN_BYTES; /* C tile and rounding */
    if (fixed > budget) {
        return 0;
    }
    size_t fit = (budget - fixed) / (4u * ((size_t)mt + nt));
    if (fit < kt) {
        kt = (uint32_t)fit;
    }
    while (kt > 0u && set_layout(kind, mt, nt, kt).bytes > budget) { /* rounding at the edge */
        kt--;
    }
    return kt;
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

size_t qlr_tiled_matmul_f32_min_budget(void)
{
    return set_layout(QLR_MATMUL_NN, 1u, 1u, 1u).bytes;
}

qlr_status_t qlr_tiled_matmul_f32_plan(const qlr_tiled_matmul_f32_args_t *a, unsigned cores, qlr_tiled_plan_t *plan)
{
    const qlr_matmul_f32_args_t *mm = &a->mm;
    if (a->kind != QLR_MATMUL_NN && a->kind != QLR_MATMUL_NT && a->kind != QLR_MATMUL_TN) {
        return QLR_E_ARG;
    }
    if (mm->m == 0u || mm->n == 0u || mm->k == 0u || mm->a == NULL || mm->b == NULL || mm->c == NULL) {
        return QLR_E_ARG;
    }
    if (a->a_sum != NULL && a->kind != QLR_MATMUL_TN) {
        return QLR_E_UNSUPPORTED;
    }
    qlr_status_t st = check_l1(&a->l1);
    if (st != QLR_OK) {
        return st;
    }
    if (cores < 1u) {
        cores = 1u;
    }
    const size_t budget = budget_of(&a->l1);
    uint32_t mc[NCAND + 1u], nc[NCAND + 1u];
    unsigned nm = candidates(mm->m, mc), nn = candidates(mm->n, nc);
    uint64_t best = UINT64_MAX;
    /* For each C tile, the deepest K step that fits: deeper steps mean fewer steps and C stores. */
    for (unsigned i = 0; i < nm; i++) {
        for (unsigned j = 0; j < nn; j++) {
            uint32_t kt = deepest_kt(a->kind, mc[i], nc[j], mm->k, budget);
            if (kt == 0u) {
                continue;
            }
            uint64_t cost = plan_cost(a->kind, mm->m, mm->n, mm->k, mc[i], nc[j], kt, cores);
            if (cost < best) {
                best = cost;
                plan->mt = mc[i];
                plan->nt = nc[j];
                plan->kt = kt;
                plan->set_bytes = set_layout(a->kind, mc[i], nc[j], kt).bytes;
            }
        }
    }
    if (best == UINT64_MAX) {
        return QLR_E_NOMEM;
    }
    plan->steps = ceil_div(mm->m, plan->mt) * ceil_div(mm->n, plan->nt) * ceil_div(mm->k, plan->kt);
    return QLR_OK;
}

/* ---- the executor ------------------------------------------------------------------------ */

typedef struct {
    uint32_t m0, n0, k0, mh, nw, kd;
    uint32_t tile;      /* index of its C tile */
    int first, last;    /* first / last K step of its C tile */
} step_t;

typedef struct {
    const qlr_tiled_matmul_f32_args_t *a;
    qlr_tiled_plan_t plan;
    set_layout_t lay;
    uint32_t tiles_n, steps_k;
    uint8_t *set[2];
} exec_t;

static step_t step_at(const exec_t *e, uint32_t s)
{
    const qlr_matmul_f32_args_t *mm = &e->a->mm;
    step_t st;
    uint32_t ki = s % e->steps_k, t = s / e->steps_k;
    st.tile = t;
    st.m0 = (t / e->tiles_n) * e->plan.mt;
    st.n0 = (t % e->tiles_n) * e->plan.nt;
    st.k0 = ki * e->plan.kt;
    st.mh = min_u32(e->plan.mt, mm->m - st.m0);
    st.nw = min_u32(e->plan.nt, mm->n - st.n0);
    st.kd = min_u32(e->plan.kt, mm->k - st.k0);
    st.first = ki == 0u;
    st.last = ki + 1u == e->steps_k;
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

/* Core 0: copies of step s into its set (and the C tile when accumulating). */
static void issue_inputs(const void *ctx, uint32_t s, qlr_copy_t *job)
{
    const exec_t *e = ctx;
    const qlr_matmul_f32_args_t *mm = &e->a->mm;
    step_t st = step_at(e, s);
    switch (e->a->kind) {
    case QLR_MATMUL_NN:
        copy_tile(job, set_a(e, s), mm->a + (size_t)st.m0 * mm->lda + st.k0, st.mh, st.kd, mm->lda);
        copy_tile(job, set_b(e, s), mm->b + (size_t)st.k0 * mm->ldb + st.n0, st.kd, st.nw, mm->ldb);
        break;
    case QLR_MATMUL_NT:
        copy_tile(job, set_a(e, s), mm->a + (size_t)st.m0 * mm->lda + st.k0, st.mh, st.kd, mm->lda);
        copy_tile(job, set_b(e, s), mm->b + (size_t)st.n0 * mm->ldb + st.k0, st.nw, st.kd, mm->ldb);
        break;
    default:
        copy_tile(job, set_a(e, s), mm->a + (size_t)st.k0 * mm->lda + st.m0, st.kd, st.mh, mm->lda);
        copy_tile(job, set_b(e, s), mm->b + (size_t)st.k0 * mm->ldb + st.n0, st.kd, st.nw, mm->ldb);
        break;
    }
    if (st.first && mm->accumulate) {
        copy_tile(job, set_c(e, st.tile), mm->c + (size_t)st.m0 * mm->ldc + st.n0, st.mh, st.nw, mm->ldc);
    }
}

static void issue_output(const void *ctx, uint32_t s, qlr_copy_t *job)
{
    const exec_t *e = ctx;
    const qlr_matmul_f32_args_t *mm = &e->a->mm;
    step_t st = step_at(e, s);
    float *dst = mm->c + (size_t)st.m0 * mm->ldc + st.n0;
    qlr_copy_2d(job, dst, set_c(e, st.tile), 4u * (size_t)st.nw, st.mh, 4u * (size_t)mm->ldc, 4u * (size_t)st.nw);
}

/* All cores: step s from its set. */
static void compute(const void *ctx, uint32_t s)
{
    const exec_t *e = ctx;
    const qlr_tiled_matmul_f32_args_t *a = e->a;
    step_t st = step_at(e, s);
    qlr_matmul_f32_args_t t;
    t.a = set_a(e, s);
    t.b = set_b(e, s);
    t.c = set_c(e, st.tile);
    t.bias = st.first && !a->mm.accumulate && a->mm.bias != NULL ? a->mm.bias + st.n0 : NULL;
    t.m = st.mh;
    t.n = st.nw;
    t.k = st.kd;
    t.lda = a->kind == QLR_MATMUL_TN ? st.mh : st.kd;
    t.ldb = a->kind == QLR_MATMUL_NT ? st.kd : st.nw;
    t.ldc = st.nw;
    t.accumulate = !st.first || a->mm.accumulate;
    switch (a->kind) {
    case QLR_MATMUL_NN:
        qlr_matmul_f32_nn(&t);
        break;
    case QLR_MATMUL_NT:
        qlr_matmul_f32_nt(&t);
        break;
    default:
        qlr_matmul_f32_tn(&t);
        break;
    }
    if (a->a_sum != NULL && st.n0 == 0u) {
        /* Column sums of the A tile ([kd][mh]) for this core's columns, into a_sum in place. */
        uint32_t i0, i1;
        qlr_share(st.mh, qlr_core_id(), qlr_core_count(), &i0, &i1);
        for (uint32_t i = i0; i < i1; i++) {
            const float *col = t.a + i;
            float s0 = 0.0f;
            for (uint32_t r = 0; r < st.kd; r++) {
                s0 += col[(size_t)r * st.mh];
            }
            float *dst = a->a_sum + st.m0 + i;
            *dst = (st.first && !a->mm.accumulate) ? s0 : *dst + s0;
        }
    }
}

static int step_first(const void *ctx, uint32_t s)
{
    return step_at(ctx, s).first;
}

static int step_last(const void *ctx, uint32_t s)
{
    return step_at(ctx, s).last;
}

static uint32_t step_out_buf(const void *ctx, uint32_t s)
{
    return step_at(ctx, s).tile & 1u;
}

qlr_status_t qlr_tiled_matmul_f32(const qlr_tiled_matmul_f32_args_t *a)
{
    exec_t e;
    qlr_status_t st = qlr_tiled_matmul_f32_plan(a, qlr_core_count(), &e.plan);
    if (st != QLR_OK) {
        return st;
    }
    e.a = a;
    e.lay = set_layout(a->kind, e.plan.mt, e.plan.nt, e.plan.kt);
    e.tiles_n = ceil_div(a->mm.n, e.plan.nt);
    e.steps_k = ceil_div(a->mm.k, e.plan.kt);
    e.set[0] = a->l1.l1;
    e.set[1] = a->l1.l1 + e.lay.bytes;
    const qlr_tiled_pipeline_t pipe = {&e, e.plan.steps, issue_inputs, compute, issue_output,
                                       step_first, step_last, step_out_buf};
    qlr_tiled_run(&pipe);
    return QLR_OK;
}

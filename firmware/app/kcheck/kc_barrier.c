/*
 * Barrier checks (kcheck.h): a kernel's whole output is in place on every core when it returns.
 *
 * Per case: the kernel runs once on a team of one core for the reference; then on a
 * full team in which every core but core 0 first spins for a while (longer than the whole
 * single-core run), so that core 0 is done with its share before the others start theirs. After
 * the kernel returns, EVERY core compares the whole output with the reference. Inputs are small
 * integers (FP32 sums are then exact in any order, so team and single-core results are equal bit
 * for bit even where the work split changes the order of a sum); outputs start as a sentinel.
 */
#include <string.h>

#include "kcheck/kcheck.h"
#include "qlr/kernels_f32.h"
#include "qlr/kernels_int8.h"
#include "qlr/matmul_f32.h"
#include "qlr/runtime.h"
#include "qlr/tiled.h"

#define MAX_TEAM 64u
#define SENTINEL 0xA5u

static const int32_t g_mult[1] = {1 << 30};
static const uint8_t g_shift[1] = {38};
static const qlr_requant_t RQ = {.mult = g_mult, .shift = g_shift, .n = 1u, .out_zp = 3, .act_min = 0, .act_max = 255};

/* ---- the arena: inputs first, then outputs (compared), then the reference ---------------------- */

static uint8_t *g_base, *g_top, *g_end, *g_out0, *g_out1; /* outputs: [g_out0, g_out1) */
static int g_full; /* an allocation did not fit */

static void *take(size_t bytes)
{
    uint8_t *p = (uint8_t *)(((uintptr_t)g_top + 63u) & ~(uintptr_t)63u);
    if (bytes > (size_t)(g_end - p)) {
        g_full = 1;
        return g_base; /* the case is reported and not run */
    }
    g_top = p + bytes;
    return p;
}

static void *take_in(size_t bytes)
{
    return take(bytes);
}

static void *take_out(size_t bytes)
{
    void *p = take(bytes);
    if (g_out0 == NULL) {
        g_out0 = p;
    }
    return p;
}

/* Element counts of the small cases below: 32 bits, widened here (not at every call). */
static const uint8_t *in8(uint32_t n) { return take_in((size_t)n); }
static const int8_t *w8(uint32_t n) { return take_in((size_t)n); }
static uint8_t *out8(uint32_t n) { return take_out((size_t)n); }
static const float *inf(uint32_t n) { return take_in(4u * (size_t)n); }
static float *outf(uint32_t n) { return take_out(4u * (size_t)n); }

static qlr_tiled_l1_t l1_budget(size_t budget)
{
    qlr_mem_region_t r = qlr_mem_region(QLR_MEM_L1);
    const qlr_tiled_l1_t l1 = {.l1 = (uint8_t *)r.base, .l1_size = r.size, .tile_budget = budget};
    return l1;
}

/* ---- the cases: setup != 0 lays the arguments out in the arena, setup == 0 runs the kernel ----- */

typedef qlr_status_t (*bar_case_fn)(int setup);

static qlr_status_t conv2d_u8s8(int setup)
{
    static qlr_conv2d_u8s8_args_t a;
    if (setup) {
        a = (qlr_conv2d_u8s8_args_t){.x = in8(10 * 10 * 8), .w = w8(12 * 3 * 3 * 8), .n = 1, .in_h = 10, .in_w = 10,
                                     .in_c = 8, .out_c = 12, .k_h = 3, .k_w = 3, .stride_h = 1, .stride_w = 1,
                                     .pad_top = 1, .pad_left = 1, .in_zp = 7, .w_zp = 1, .rq = RQ};
        a.scratch_size = qlr_conv2d_u8s8_scratch_size(&a, qlr_team_max());
        a.scratch = take_in(a.scratch_size);
        a.y = out8(9 * 9 * 12);
        return QLR_OK;
    }
    return qlr_conv2d_u8s8(&a);
}

static qlr_status_t dwconv2d_u8s8(int setup)
{
    static qlr_dwconv2d_u8s8_args_t a;
    if (setup) {
        a = (qlr_dwconv2d_u8s8_args_t){.x = in8(12 * 12 * 22), .w = w8(3 * 3 * 22), .n = 1, .in_h = 12, .in_w = 12,
                                       .c = 22, .k_h = 3, .k_w = 3, .stride_h = 1, .stride_w = 1, .pad_top = 1,
                                       .pad_bottom = 1, .pad_left = 1, .pad_right = 1, .in_zp = 5, .rq = RQ};
        a.scratch_size = qlr_dwconv2d_u8s8_scratch_size(&a, qlr_team_max());
        a.scratch = take_in(a.scratch_size);
        a.y = out8(12 * 12 * 22);
        return QLR_OK;
    }
    return qlr_dwconv2d_u8s8(&a);
}

static qlr_status_t pwconv_u8s8(int setup)
{
    static qlr_pwconv_u8s8_args_t a;
    if (setup) {
        a = (qlr_pwconv_u8s8_args_t){.x = in8(9 * 9 * 16), .w = w8(24 * 16), .y = out8(9 * 9 * 24), .n = 1,
                                     .in_h = 9, .in_w = 9, .in_c = 16, .out_c = 24, .stride_h = 1, .stride_w = 1,
                                     .rq = RQ};
        return QLR_OK;
    }
    return qlr_pwconv_u8s8(&a);
}

static qlr_status_t linear_u8s8(int setup)
{
    static qlr_linear_u8s8_args_t a;
    if (setup) {
        a = (qlr_linear_u8s8_args_t){.x = in8(6 * 96), .w = w8(70 * 96), .y = out8(6 * 70), .n = 6, .in_f = 96,
                                     .out_f = 70, .rq = RQ};
        return QLR_OK;
    }
    return qlr_linear_u8s8(&a);
}

static qlr_status_t avgpool_u8(int setup)
{
    static qlr_avgpool_u8_args_t a;
    if (setup) {
        a = (qlr_avgpool_u8_args_t){.x = in8(2 * 10 * 10 * 12), .y = out8(2 * 5 * 5 * 12), .n = 2, .in_h = 10,
                                    .in_w = 10, .c = 12, .k_h = 2, .k_w = 2, .stride_h = 2, .stride_w = 2, .rq = RQ};
        return QLR_OK;
    }
    return qlr_avgpool_u8(&a);
}

static qlr_status_t add_u8(int setup)
{
    static qlr_add_u8_args_t a;
    if (setup) {
        a = (qlr_add_u8_args_t){.a = in8(3001), .b = in8(3001), .y = take_out(3001), .count = 3001, .a_zp = 3,
                                .b_zp = 9, .mult_a = 1000, .mult_b = 700, .shift = 10, .out_zp = 4, .act_max = 255};
        return QLR_OK;
    }
    return qlr_add_u8(&a);
}

static qlr_status_t requant_u8(int setup)
{
    static qlr_requant_u8_args_t a;
    if (setup) {
        a = (qlr_requant_u8_args_t){.acc = take_in((size_t)4u * 50u * 24u), .y = out8(50 * 24), .m = 50, .channels = 24,
                                    .rq = RQ};
        return QLR_OK;
    }
    return qlr_requant_u8_run(&a);
}

static qlr_status_t matmul_f32_nt(int setup)
{
    static qlr_matmul_f32_args_t a;
    if (setup) {
        a = (qlr_matmul_f32_args_t){.a = inf(26 * 17), .b = inf(22 * 17), .bias = inf(22), .c = outf(26 * 22),
                                    .m = 26, .n = 22, .k = 17, .lda = 17, .ldb = 17, .ldc = 22};
        return QLR_OK;
    }
    return qlr_matmul_f32_nt(&a);
}

static qlr_status_t pwconv_f32_bw_weight(int setup)
{
    static qlr_pwconv_f32_bw_weight_args_t a;
    if (setup) {
        a = (qlr_pwconv_f32_bw_weight_args_t){.x = inf(70 * 16), .dy = inf(70 * 13), .dw = outf(13 * 16),
                                              .db = outf(13), .pixels = 70, .cin = 16, .cout = 13};
        return QLR_OK;
    }
    return qlr_pwconv_f32_bw_weight(&a);
}

static qlr_status_t linear_f32_bw_input(int setup)
{
    static qlr_linear_f32_bw_input_args_t a;
    if (setup) {
        a = (qlr_linear_f32_bw_input_args_t){.dy = inf(9 * 30), .w = inf(30 * 41), .dx = outf(9 * 41), .n = 9,
                                             .in = 41, .out = 30};
        return QLR_OK;
    }
    return qlr_linear_f32_bw_input(&a);
}

static const qlr_f32_window_t WIN = {.n = 2, .h = 8, .w = 7, .c = 6, .kh = 3, .kw = 3, .sh = 1, .sw = 1,
                                     .pad_top = 1, .pad_bottom = 1, .pad_left = 1, .pad_right = 1};

static qlr_status_t conv2d_f32_fw(int setup)
{
    static qlr_conv2d_f32_fw_args_t a;
    if (setup) {
        a = (qlr_conv2d_f32_fw_args_t){.g = WIN, .cout = 10, .x = inf(2 * 8 * 7 * 6), .w = inf(10 * 3 * 3 * 6),
                                       .b = inf(10), .scratch_bytes = qlr_conv2d_f32_scratch_size(&WIN, 13)};
        a.scratch = take_in(a.scratch_bytes); /* 13 of the 112 im2col rows at a time: 9 chunks */
        a.y = outf(2 * 8 * 7 * 10);
        return QLR_OK;
    }
    return qlr_conv2d_f32_fw(&a);
}

static qlr_status_t conv2d_f32_bw_input(int setup)
{
    static qlr_conv2d_f32_bw_input_args_t a;
    if (setup) {
        a = (qlr_conv2d_f32_bw_input_args_t){.g = WIN, .cout = 10, .dy = inf(2 * 8 * 7 * 10),
                                             .w = inf(10 * 3 * 3 * 6),
                                             .scratch_bytes = qlr_conv2d_f32_scratch_size(&WIN, 13)};
        a.scratch = take_in(a.scratch_bytes);
        a.dx = outf(2 * 8 * 7 * 6);
        return QLR_OK;
    }
    return qlr_conv2d_f32_bw_input(&a);
}

static qlr_status_t dwconv2d_f32_bw_weight(int setup)
{
    static qlr_dwconv2d_f32_bw_weight_args_t a;
    if (setup) {
        a = (qlr_dwconv2d_f32_bw_weight_args_t){.g = WIN, .x = inf(2 * 8 * 7 * 6), .dy = inf(2 * 8 * 7 * 6),
                                                .dw = outf(3 * 3 * 6), .db = outf(6)};
        return QLR_OK;
    }
    return qlr_dwconv2d_f32_bw_weight(&a);
}

static qlr_status_t avgpool_f32_bw(int setup)
{
    static qlr_avgpool_f32_bw_args_t a;
    if (setup) {
        a = (qlr_avgpool_f32_bw_args_t){.g = WIN, .dy = inf(2 * 8 * 7 * 6), .dx = outf(2 * 8 * 7 * 6)};
        return QLR_OK;
    }
    return qlr_avgpool_f32_bw(&a);
}

static qlr_status_t global_avgpool_f32_fw(int setup)
{
    static qlr_global_avgpool_f32_fw_args_t a;
    if (setup) {
        a = (qlr_global_avgpool_f32_fw_args_t){.x = inf(5 * 4 * 4 * 18), .y = outf(5 * 18), .n = 5, .h = 4, .w = 4,
                                               .c = 18};
        return QLR_OK;
    }
    return qlr_global_avgpool_f32_fw(&a);
}

static qlr_status_t relu6_f32_bw(int setup)
{
    static const float *dy, *y;
    static float *dx;
    if (setup) {
        dy = inf(1001);
        y = inf(1001);
        dx = outf(1001);
        return QLR_OK;
    }
    qlr_relu6_f32_bw(dy, y, dx, 1001);
    return QLR_OK;
}

static qlr_status_t softmax_xent_f32(int setup)
{
    static const int32_t labels[12] = {0, 3, 9, 1, 1, 4, 8, 2, 0, 5, 6, 7};
    static qlr_softmax_xent_f32_args_t a;
    if (setup) {
        a = (qlr_softmax_xent_f32_args_t){.n = 12, .k = 10, .logits = inf(12 * 10), .labels = labels,
                                          .dlogits = outf(12 * 10), .row_loss = outf(12), .loss = outf(1)};
        return QLR_OK;
    }
    return qlr_softmax_xent_f32(&a);
}

static qlr_status_t sgd_f32(int setup) /* in place: w and v start from the input pattern */
{
    static qlr_sgd_f32_args_t a;
    if (setup) {
        a = (qlr_sgd_f32_args_t){.g = inf(999), .w = outf(999), .v = outf(999), .count = 999, .lr = 0.5f,
                                 .momentum = 0.5f, .weight_decay = 0.25f};
        return QLR_OK;
    }
    qlr_sgd_f32(&a);
    return QLR_OK;
}

static qlr_status_t pwconv_f32_fw_tiled(int setup)
{
    static qlr_pwconv_f32_fw_args_t a;
    static qlr_tiled_l1_t l1;
    if (setup) {
        a = (qlr_pwconv_f32_fw_args_t){.x = inf(50 * 40), .w = inf(24 * 40), .b = inf(24), .y = outf(50 * 24),
                                       .pixels = 50, .cin = 40, .cout = 24};
        l1 = l1_budget(4096u); /* far below the 14 KB of one step: many tiles */
        return QLR_OK;
    }
    return qlr_pwconv_f32_fw_tiled(&a, &l1);
}

static qlr_status_t dwconv2d_f32_fw_tiled(int setup)
{
    static qlr_dwconv2d_f32_fw_args_t a;
    static qlr_tiled_l1_t l1;
    if (setup) {
        a = (qlr_dwconv2d_f32_fw_args_t){.g = WIN, .x = inf(2 * 8 * 7 * 6), .w = inf(3 * 3 * 6), .b = inf(6),
                                         .y = outf(2 * 8 * 7 * 6)};
        l1 = l1_budget(2048u); /* a few channels per step */
        return QLR_OK;
    }
    return qlr_dwconv2d_f32_fw_tiled(&a, &l1);
}

static qlr_status_t linear_f32_bw_weight_tiled(int setup)
{
    static qlr_linear_f32_bw_weight_args_t a;
    static qlr_tiled_l1_t l1;
    if (setup) {
        a = (qlr_linear_f32_bw_weight_args_t){.x = inf(33 * 20), .dy = inf(33 * 14), .dw = outf(14 * 20),
                                              .db = outf(14), .n = 33, .in = 20, .out = 14};
        l1 = l1_budget(1024u);
        return QLR_OK;
    }
    return qlr_linear_f32_bw_weight_tiled(&a, &l1);
}

/* ---- the runner ----------------------------------------------------------------------------- */

typedef struct {
    bar_case_fn fn;
    const uint8_t *out, *ref;
    size_t bytes;
    uint64_t spin; /* counter ticks the other cores wait before the kernel */
    qlr_status_t status[MAX_TEAM];
    int differs[MAX_TEAM];
} bar_job_t;

static void bar_task(void *arg)
{
    bar_job_t *j = arg;
    unsigned id = qlr_core_id();
    if (id != 0u) {
        uint64_t t0 = qlr_counter();
        while (qlr_counter() - t0 < j->spin) {
        }
    }
    j->status[id] = j->fn(0);
    j->differs[id] = memcmp(j->out, j->ref, j->bytes) != 0;
}

static void fill(int in_place, int floats)
{
    float *f = (float *)(void *)g_base;
    const size_t words = (size_t)(g_out0 - g_base) / 4u;
    for (size_t i = 0; i < words; i++) { /* small integers: exact FP32 sums, any int8 bytes */
        int32_t v = (int32_t)((i * 7u + 3u) % 9u) - 4;
        if (floats) {
            f[i] = (float)v;
        } else {
            memcpy(g_base + 4u * i, &(uint32_t){(uint32_t)(i * 2654435761u)}, 4u);
        }
    }
    if (in_place) {
        float *o = (float *)(void *)g_out0;
        for (size_t i = 0; i < (size_t)(g_out1 - g_out0) / 4u; i++) {
            o[i] = (float)((int32_t)(i % 5u) - 2);
        }
    } else {
        memset(g_out0, SENTINEL, (size_t)(g_out1 - g_out0));
    }
}

static void check_case(qlr_selftest_ctx_t *ctx, const char *name, bar_case_fn fn, int floats, int in_place)
{
    qlr_mem_region_t l2 = qlr_mem_region(QLR_MEM_L2);
    g_base = g_top = (uint8_t *)(((uintptr_t)l2.base + 63u) & ~(uintptr_t)63u);
    g_end = (uint8_t *)l2.base + l2.size;
    g_out0 = NULL;
    g_full = 0;
    (void)fn(1);
    if (g_out0 == NULL) {
        st_check(ctx, 0, "%s: the case has no output", name);
        return;
    }
    g_out1 = g_top;
    const size_t bytes = (size_t)(g_out1 - g_out0);
    uint8_t *ref = take(bytes);
    if (g_full) {
        st_check(ctx, 0, "%s: the case does not fit the free L2", name);
        return;
    }
    fill(in_place, floats);
    bar_job_t one = {.fn = fn, .out = g_out0, .ref = g_out0, .bytes = 0, .spin = 0}; /* the reference */
    uint64_t t0 = qlr_counter();
    qlr_team_fork(1, bar_task, &one);
    uint64_t single = qlr_counter() - t0;
    st_check(ctx, one.status[0] == QLR_OK, "%s on one core: status %d", name, (int)one.status[0]);
    memcpy(ref, g_out0, bytes);
    fill(in_place, floats);
    unsigned cores = qlr_team_max() < MAX_TEAM ? qlr_team_max() : MAX_TEAM;
    bar_job_t job = {.fn = fn, .out = g_out0, .ref = ref, .bytes = bytes, .spin = 2u * single + 1000u};
    qlr_team_fork(cores, bar_task, &job);
    for (unsigned c = 0; c < cores; c++) {
        st_check(ctx, job.status[c] == QLR_OK, "%s on core %u of %u: status %d", name, c, cores, (int)job.status[c]);
        st_check(ctx, !job.differs[c], "%s: core %u of %u saw an incomplete output when the kernel returned", name, c,
                 cores);
    }
}

#define CHECK_U8(ctx, fn) check_case((ctx), #fn, fn, 0, 0)
#define CHECK_F32(ctx, fn) check_case((ctx), #fn, fn, 1, 0)

void kc_barrier_int8(qlr_selftest_ctx_t *ctx)
{
    CHECK_U8(ctx, conv2d_u8s8);
    CHECK_U8(ctx, dwconv2d_u8s8);
    CHECK_U8(ctx, pwconv_u8s8);
    CHECK_U8(ctx, linear_u8s8);
    CHECK_U8(ctx, avgpool_u8);
    CHECK_U8(ctx, add_u8);
    CHECK_U8(ctx, requant_u8);
}

void kc_barrier_f32(qlr_selftest_ctx_t *ctx)
{
    CHECK_F32(ctx, matmul_f32_nt);
    CHECK_F32(ctx, pwconv_f32_bw_weight);
    CHECK_F32(ctx, linear_f32_bw_input);
    CHECK_F32(ctx, conv2d_f32_fw);
    CHECK_F32(ctx, conv2d_f32_bw_input);
    CHECK_F32(ctx, dwconv2d_f32_bw_weight);
    CHECK_F32(ctx, avgpool_f32_bw);
    CHECK_F32(ctx, global_avgpool_f32_fw);
    CHECK_F32(ctx, relu6_f32_bw);
    CHECK_F32(ctx, softmax_xent_f32);
    check_case(ctx, "sgd_f32", sgd_f32, 1, 1);
}

void kc_barrier_tiled(qlr_selftest_ctx_t *ctx)
{
    CHECK_F32(ctx, pwconv_f32_fw_tiled);
    CHECK_F32(ctx, dwconv2d_f32_fw_tiled);
    CHECK_F32(ctx, linear_f32_bw_weight_tiled);
}

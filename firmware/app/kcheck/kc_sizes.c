/*
 * Size checks (kcheck.h): shapes beyond QLR_MAX_ELEMS get QLR_E_SIZE and leave the outputs alone.
 *
 * Each case calls one kernel with a shape of 2^32 elements or more (a product that wraps to a
 * small number, or to zero, in 32 bits) and small, valid buffers; it runs on the controller
 * (a team of one) and then on every core of a full team.
 */
#include <string.h>

#include "kcheck/kcheck.h"
#include "qlr/kernels_f32.h"
#include "qlr/kernels_int8.h"
#include "qlr/matmul_f32.h"
#include "qlr/runtime.h"
#include "qlr/tiled.h"

#define BUF 256u
#define SENTINEL 0xA5u
#define MAX_TEAM 64u
#define BIG 65536u /* 2^16: two of them make 2^32 */

static uint8_t g_in[BUF] __attribute__((aligned(16)));
static uint8_t g_out[BUF] __attribute__((aligned(16)));
static uint8_t g_scratch[BUF] __attribute__((aligned(16)));
static const int32_t g_mult[1] = {1 << 30};
static const uint8_t g_shift[1] = {40};

static const qlr_requant_t RQ = {.mult = g_mult, .shift = g_shift, .n = 1u, .out_zp = 0, .act_min = 0, .act_max = 255};

#define IN8 ((const uint8_t *)g_in)
#define W8 ((const int8_t *)(const void *)g_in)
#define OUT8 (g_out)
#define INF ((const float *)(const void *)g_in)
#define OUTF ((float *)(void *)g_out)

typedef qlr_status_t (*size_case_fn)(void);

/* ---- int8 ------------------------------------------------------------------------------------ */

static qlr_status_t conv_taps(void) /* k_h * k_w * in_c = 2^33: the im2col row wraps to 0 */
{
    const qlr_conv2d_u8s8_args_t a = {
        .x = IN8, .w = W8, .y = OUT8, .n = 1, .in_h = BIG, .in_w = BIG, .in_c = 2, .out_c = 1, .k_h = BIG,
        .k_w = BIG, .stride_h = 1, .stride_w = 1, .in_zp = 0, .w_zp = 0, .rq = RQ, .scratch = g_scratch,
        .scratch_size = BUF};
    return qlr_conv2d_u8s8(&a);
}

static qlr_status_t conv_pixels(void) /* n * out_h * out_w = 2^32 */
{
    const qlr_conv2d_u8s8_args_t a = {
        .x = IN8, .w = W8, .y = OUT8, .n = BIG, .in_h = BIG, .in_w = 1, .in_c = 1, .out_c = 1, .k_h = 1, .k_w = 1,
        .stride_h = 1, .stride_w = 1, .rq = RQ, .scratch = g_scratch, .scratch_size = BUF};
    return qlr_conv2d_u8s8(&a);
}

static qlr_status_t dwconv_pixels(void)
{
    const qlr_dwconv2d_u8s8_args_t a = {
        .x = IN8, .w = W8, .y = OUT8, .n = BIG, .in_h = BIG, .in_w = 1, .c = 1, .k_h = 1, .k_w = 1, .stride_h = 1,
        .stride_w = 1, .rq = RQ, .scratch = g_scratch, .scratch_size = BUF};
    return qlr_dwconv2d_u8s8(&a);
}

static qlr_status_t pwconv_pixels(void)
{
    const qlr_pwconv_u8s8_args_t a = {.x = IN8, .w = W8, .y = OUT8, .n = BIG, .in_h = BIG, .in_w = 1, .in_c = 1,
                                      .out_c = 1, .stride_h = 1, .stride_w = 1, .rq = RQ};
    return qlr_pwconv_u8s8(&a);
}

static qlr_status_t linear_rows(void) /* n * in_f = 2^32 */
{
    const qlr_linear_u8s8_args_t a = {.x = IN8, .w = W8, .y = OUT8, .n = BIG, .in_f = BIG, .out_f = 1, .rq = RQ};
    return qlr_linear_u8s8(&a);
}

static qlr_status_t avgpool_pixels(void)
{
    const qlr_avgpool_u8_args_t a = {.x = IN8, .y = OUT8, .n = BIG, .in_h = BIG, .in_w = 1, .c = 1, .k_h = 1,
                                     .k_w = 1, .stride_h = 1, .stride_w = 1, .rq = RQ};
    return qlr_avgpool_u8(&a);
}

static qlr_status_t add_count(void) /* 2^31 elements */
{
    const qlr_add_u8_args_t a = {.a = IN8, .b = IN8, .y = OUT8, .count = 0x80000000u, .mult_a = 1, .mult_b = 1,
                                 .shift = 1, .act_max = 255};
    return qlr_add_u8(&a);
}

static qlr_status_t requant_rows(void) /* m * channels = 2^32 */
{
    const qlr_requant_u8_args_t a = {.acc = (const int32_t *)(const void *)g_in, .y = OUT8, .m = BIG,
                                     .channels = BIG, .rq = RQ};
    return qlr_requant_u8_run(&a);
}

/* ---- FP32 -------------------------------------------------------------------------------------- */

static const qlr_f32_window_t BIG_WINDOW = {.n = BIG, .h = BIG, .w = 1, .c = 1, .kh = 1, .kw = 1, .sh = 1, .sw = 1};

static qlr_status_t conv2d_f32_input(void)
{
    const qlr_conv2d_f32_fw_args_t a = {.g = BIG_WINDOW, .cout = 1, .x = INF, .w = INF, .y = OUTF,
                                        .scratch = (float *)(void *)g_scratch, .scratch_bytes = BUF};
    return qlr_conv2d_f32_fw(&a);
}

static qlr_status_t conv2d_f32_weights(void) /* cout * k_h*k_w*cin = 2^32 with a small window */
{
    const qlr_f32_window_t g = {.n = 1, .h = 4, .w = 4, .c = BIG, .kh = 1, .kw = 1, .sh = 1, .sw = 1};
    const qlr_conv2d_f32_fw_args_t a = {.g = g, .cout = BIG, .x = INF, .w = INF, .y = OUTF,
                                        .scratch = (float *)(void *)g_scratch, .scratch_bytes = BUF};
    return qlr_conv2d_f32_fw(&a);
}

static qlr_status_t dwconv_f32(void)
{
    const qlr_dwconv2d_f32_fw_args_t a = {.g = BIG_WINDOW, .x = INF, .w = INF, .y = OUTF};
    return qlr_dwconv2d_f32_fw(&a);
}

static qlr_status_t pwconv_f32(void) /* pixels * cin = 2^32 */
{
    const qlr_pwconv_f32_fw_args_t a = {.pixels = BIG, .cin = BIG, .cout = 1, .x = INF, .w = INF, .y = OUTF};
    return qlr_pwconv_f32_fw(&a);
}

static qlr_status_t linear_f32_weight(void) /* out * in = 2^32 */
{
    const qlr_linear_f32_bw_weight_args_t a = {.n = 1, .in = BIG, .out = BIG, .x = INF, .dy = INF, .dw = OUTF};
    return qlr_linear_f32_bw_weight(&a);
}

static qlr_status_t avgpool_f32(void)
{
    const qlr_avgpool_f32_fw_args_t a = {.g = BIG_WINDOW, .x = INF, .y = OUTF};
    return qlr_avgpool_f32_fw(&a);
}

static qlr_status_t global_avgpool_f32(void)
{
    const qlr_global_avgpool_f32_bw_args_t a = {.n = BIG, .h = BIG, .w = 1, .c = 1, .dy = INF, .dx = OUTF};
    return qlr_global_avgpool_f32_bw(&a);
}

static qlr_status_t softmax_f32(void) /* n * k = 2^32, one label in range */
{
    static const int32_t labels[1] = {0};
    const qlr_softmax_xent_f32_args_t a = {.n = 1, .k = 0xFFFFFFFFu, .logits = INF, .labels = labels,
                                           .dlogits = OUTF, .row_loss = OUTF, .loss = OUTF};
    return qlr_softmax_xent_f32(&a);
}

static qlr_status_t matmul_f32(void) /* A is m x lda = 2^32 */
{
    const qlr_matmul_f32_args_t a = {.a = INF, .b = INF, .c = OUTF, .m = BIG, .n = 1, .k = BIG, .lda = BIG,
                                     .ldb = BIG, .ldc = 1};
    return qlr_matmul_f32_nt(&a);
}

static qlr_status_t matmul_f32_tiled(void)
{
    const qlr_matmul_f32_tiled_args_t a = {
        .kind = QLR_MATMUL_NN,
        .mm = {.a = INF, .b = INF, .c = OUTF, .m = BIG, .n = 1, .k = BIG, .lda = BIG, .ldb = 1, .ldc = 1},
        .l1 = {.l1 = g_scratch, .l1_size = BUF}};
    return qlr_matmul_f32_tiled(&a);
}

static qlr_status_t dwconv_f32_tiled(void)
{
    const qlr_dwconv2d_f32_fw_args_t a = {.g = BIG_WINDOW, .x = INF, .w = INF, .y = OUTF};
    const qlr_tiled_l1_t l1 = {.l1 = g_scratch, .l1_size = BUF};
    return qlr_dwconv2d_f32_fw_tiled(&a, &l1);
}

/* ---- the runner ---------------------------------------------------------------------------- */

typedef struct {
    size_case_fn fn;
    qlr_status_t status[MAX_TEAM];
} team_job_t;

static void team_task(void *arg)
{
    team_job_t *j = arg;
    j->status[qlr_core_id()] = j->fn();
}

static int untouched(void)
{
    for (unsigned i = 0; i < BUF; i++) {
        if (g_out[i] != SENTINEL) {
            return 0;
        }
    }
    return 1;
}

static void check_case(qlr_selftest_ctx_t *ctx, const char *name, size_case_fn fn)
{
    memset(g_out, SENTINEL, BUF);
    qlr_status_t st = fn();
    st_check(ctx, st == QLR_E_SIZE, "%s on one core: status %d, want QLR_E_SIZE (%d)", name, (int)st,
             (int)QLR_E_SIZE);
    unsigned cores = qlr_team_max() < MAX_TEAM ? qlr_team_max() : MAX_TEAM;
    team_job_t job = {.fn = fn};
    qlr_team_fork(cores, team_task, &job);
    for (unsigned c = 0; c < cores; c++) {
        st_check(ctx, job.status[c] == QLR_E_SIZE, "%s on core %u of %u: status %d, want QLR_E_SIZE", name, c, cores,
                 (int)job.status[c]);
    }
    st_check(ctx, untouched(), "%s wrote its output although it refused the shape", name);
}

#define CHECK(ctx, fn) check_case((ctx), #fn, fn)

void kc_sizes_int8(qlr_selftest_ctx_t *ctx)
{
    CHECK(ctx, conv_taps);
    CHECK(ctx, conv_pixels);
    CHECK(ctx, dwconv_pixels);
    CHECK(ctx, pwconv_pixels);
    CHECK(ctx, linear_rows);
    CHECK(ctx, avgpool_pixels);
    CHECK(ctx, add_count);
    CHECK(ctx, requant_rows);
}

void kc_sizes_f32(qlr_selftest_ctx_t *ctx)
{
    CHECK(ctx, conv2d_f32_input);
    CHECK(ctx, conv2d_f32_weights);
    CHECK(ctx, dwconv_f32);
    CHECK(ctx, pwconv_f32);
    CHECK(ctx, linear_f32_weight);
    CHECK(ctx, avgpool_f32);
    CHECK(ctx, global_avgpool_f32);
    CHECK(ctx, softmax_f32);
    CHECK(ctx, matmul_f32);
    CHECK(ctx, matmul_f32_tiled);
    CHECK(ctx, dwconv_f32_tiled);
}

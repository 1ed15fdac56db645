/* Self-tests of the copies between L2 and L1: byte-exact at odd sizes and alignments, in both
 * directions, nothing written outside the destination. */
#include <string.h>

#include "qlr/runtime.h"
#include "selftest/selftest.h"

#define GUARD 16
#define GUARD_BYTE 0xA5
#define BUF 2048

static uint8_t g_l2_src[BUF + 64];
static uint8_t g_l2_dst[BUF + 64];

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t s = seed | 1u;
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)st_rand(&s);
}

/* Checks dst[0..n) == src and that `GUARD` bytes on each side of dst kept GUARD_BYTE. */
static void check_copy(qlr_selftest_ctx_t *ctx, const char *what, const uint8_t *dst_area,
                       size_t doff, const uint8_t *src, size_t n)
{
    size_t bad = (size_t)-1;
    for (size_t i = 0; i < n; i++)
        if (dst_area[doff + i] != src[i]) {
            bad = i;
            break;
        }
    st_check(ctx, bad == (size_t)-1, "%s: %u bytes, dst offset %u: first mismatch at byte %u",
             what, (unsigned)n, (unsigned)doff, (unsigned)bad);
    for (size_t i = 0; i < GUARD; i++) {
        st_check(ctx, dst_area[doff - GUARD + i] == GUARD_BYTE,
                 "%s: %u bytes: wrote before the destination", what, (unsigned)n);
        st_check(ctx, dst_area[doff + n + i] == GUARD_BYTE,
                 "%s: %u bytes: wrote past the destination", what, (unsigned)n);
    }
}

static uint8_t *l1_area(size_t need)
{
    qlr_mem_region_t l1 = qlr_mem_region(QLR_MEM_L1);
    return l1.size >= need ? (uint8_t *)l1.base : 0;
}

void st_copy_1d(qlr_selftest_ctx_t *ctx)
{
    static const size_t sizes[] = {1, 2, 3, 4, 7, 8, 15, 33, 64, 255, 1000, 1023};
    uint8_t *l1 = l1_area(BUF + 2 * GUARD + 8);
    st_check(ctx, l1 != 0, "L1 region too small for the copy test");
    if (!l1)
        return;
    unsigned k = 0;
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        for (size_t soff = 0; soff < 4; soff++) {
            size_t n = sizes[si], doff = GUARD + (soff * 3 + si) % 4;
            const char *what;
            /* L2 -> L1 */
            fill(g_l2_src + soff, n, 0x1234u + k++);
            memset(l1, GUARD_BYTE, n + doff + GUARD);
            qlr_copy_t job = {0};
            qlr_copy_1d(&job, l1 + doff, g_l2_src + soff, n);
            qlr_copy_wait(&job);
            what = "copy_1d L2->L1";
            check_copy(ctx, what, l1, doff, g_l2_src + soff, n);
            /* L1 -> L2 */
            fill(l1 + doff, n, 0x9876u + k++);
            memset(g_l2_dst, GUARD_BYTE, n + doff + GUARD);
            qlr_copy_1d(&job, g_l2_dst + doff, l1 + doff, n);
            qlr_copy_wait(&job);
            what = "copy_1d L1->L2";
            check_copy(ctx, what, g_l2_dst, doff, l1 + doff, n);
        }
    }
    /* Several copies in flight on one job, then one wait. */
    qlr_copy_t job = {0};
    fill(g_l2_src, 600, 77);
    memset(l1, GUARD_BYTE, 700);
    qlr_copy_1d(&job, l1 + GUARD, g_l2_src, 200);
    qlr_copy_1d(&job, l1 + GUARD + 200, g_l2_src + 200, 201);
    qlr_copy_1d(&job, l1 + GUARD + 401, g_l2_src + 401, 199);
    qlr_copy_wait(&job);
    check_copy(ctx, "three copies on one job", l1, GUARD, g_l2_src, 600);
}

void st_copy_2d(qlr_selftest_ctx_t *ctx)
{
    /* {row_bytes, rows, src_stride, dst_stride} */
    static const size_t shapes[][4] = {
        {1, 1, 1, 1},  {3, 5, 7, 3},   {7, 11, 13, 9}, {16, 8, 16, 16},
        {5, 3, 64, 5}, {33, 7, 40, 35}, {1, 17, 3, 2},  {64, 9, 100, 64},
    };
    uint8_t *l1 = l1_area(BUF + 2 * GUARD + 8);
    if (!l1) {
        st_check(ctx, 0, "L1 region too small for the copy test");
        return;
    }
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        size_t rb = shapes[i][0], rows = shapes[i][1], ss = shapes[i][2], ds = shapes[i][3];
        size_t src_span = (rows - 1) * ss + rb, dst_span = (rows - 1) * ds + rb;
        size_t soff = i % 4, doff = GUARD + (i * 5) % 4;
        fill(g_l2_src, src_span + soff, 0x55u + (uint32_t)i);
        memset(l1, GUARD_BYTE, dst_span + doff + GUARD);
        qlr_copy_t job = {0};
        qlr_copy_2d(&job, l1 + doff, g_l2_src + soff, rb, rows, ds, ss);
        qlr_copy_wait(&job);
        /* Rows land where they should; gaps between rows and the guards stay untouched. */
        unsigned bad_rows = 0, bad_gaps = 0;
        for (size_t r = 0; r < rows; r++) {
            if (memcmp(l1 + doff + r * ds, g_l2_src + soff + r * ss, rb) != 0)
                bad_rows++;
            if (r + 1 < rows)
                for (size_t g = rb; g < ds; g++)
                    bad_gaps += l1[doff + r * ds + g] != GUARD_BYTE;
        }
        st_check(ctx, bad_rows == 0, "copy_2d L2->L1 %ux%u (strides %u/%u): %u rows differ",
                 (unsigned)rows, (unsigned)rb, (unsigned)ss, (unsigned)ds, bad_rows);
        st_check(ctx, bad_gaps == 0, "copy_2d %ux%u: %u bytes written between rows", (unsigned)rows,
                 (unsigned)rb, bad_gaps);
        for (size_t g = 0; g < GUARD; g++) {
            st_check(ctx, l1[doff - GUARD + g] == GUARD_BYTE, "copy_2d: wrote before the destination");
            st_check(ctx, l1[doff + dst_span + g] == GUARD_BYTE, "copy_2d: wrote past the destination");
        }
        /* And back: L1 -> L2 with the strides swapped restores the source layout. */
        memset(g_l2_dst, GUARD_BYTE, src_span + soff + GUARD);
        qlr_copy_2d(&job, g_l2_dst + soff, l1 + doff, rb, rows, ss, ds);
        qlr_copy_wait(&job);
        unsigned bad_back = 0;
        for (size_t r = 0; r < rows; r++)
            bad_back += memcmp(g_l2_dst + soff + r * ss, g_l2_src + soff + r * ss, rb) != 0;
        st_check(ctx, bad_back == 0, "copy_2d L1->L2 %ux%u: %u rows differ", (unsigned)rows,
                 (unsigned)rb, bad_back);
    }
}

/* ---- every core of the team copies its own slice, both ways (the DMA per core on PULP) ---- */

#define TEAM_SLICE 256
#define TEAM_MAX_CORES 16
static uint8_t g_team_src[TEAM_MAX_CORES * TEAM_SLICE];
static uint8_t g_team_back[TEAM_MAX_CORES * TEAM_SLICE];
static volatile unsigned g_team_errors[TEAM_MAX_CORES];

static void copy_team_task(void *arg)
{
    uint8_t *l1 = (uint8_t *)arg;
    unsigned id = qlr_core_id();
    if (id >= TEAM_MAX_CORES)
        return;
    size_t n = 100 + 13 * id; /* a different odd-ish size per core */
    uint8_t *mine = l1 + (size_t)id * TEAM_SLICE;
    qlr_copy_t job = {0};
    qlr_copy_1d(&job, mine, g_team_src + (size_t)id * TEAM_SLICE, n);
    qlr_copy_wait(&job);
    unsigned bad = memcmp(mine, g_team_src + (size_t)id * TEAM_SLICE, n) != 0;
    qlr_copy_1d(&job, g_team_back + (size_t)id * TEAM_SLICE, mine, n);
    qlr_copy_wait(&job);
    bad += memcmp(g_team_back + (size_t)id * TEAM_SLICE, g_team_src + (size_t)id * TEAM_SLICE, n) != 0;
    g_team_errors[id] = bad;
}

void st_copy_team(qlr_selftest_ctx_t *ctx)
{
    unsigned n = qlr_team_max() < TEAM_MAX_CORES ? qlr_team_max() : TEAM_MAX_CORES;
    uint8_t *l1 = l1_area((size_t)TEAM_MAX_CORES * TEAM_SLICE);
    if (!l1) {
        st_check(ctx, 0, "L1 region too small for the team copy test");
        return;
    }
    fill(g_team_src, sizeof g_team_src, 4242);
    memset(g_team_back, 0, sizeof g_team_back);
    for (unsigned i = 0; i < TEAM_MAX_CORES; i++)
        g_team_errors[i] = 0;
    qlr_team_fork(n, copy_team_task, l1);
    for (unsigned i = 0; i < n; i++)
        st_check(ctx, g_team_errors[i] == 0, "core %u: its copies L2->L1->L2 differ (%u)", i,
                 g_team_errors[i]);
}

/* Self-tests of L3 beyond single round trips: transfers larger than a DMA's pieces, many
 * asynchronous transfers in flight on one job, buffers at every alignment, and L3 calls made by
 * the team's cores (on pulp-open their buffers are in L1 and the controller serves them). */
#include <string.h>

#include "qlr/runtime.h"
#include "selftest/selftest.h"

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t k = 0; k < n; k++)
        p[k] = (uint8_t)st_rand(&seed);
}

void st_l3_large(qlr_selftest_ctx_t *ctx)
{
    qlr_mem_region_t l2 = qlr_mem_region(QLR_MEM_L2), l3 = qlr_mem_region(QLR_MEM_L3);
    /* 96 KiB + 5 crosses pulp-open's 32 KiB uDMA pieces; smaller boards test what fits. */
    size_t n = (size_t)96 * 1024 + 5;
    if (n > l2.size / 2 - 64)
        n = l2.size / 2 - 64;
    if (n > l3.size / 2)
        n = l3.size / 2;
    uint8_t *out = (uint8_t *)l2.base, *in = (uint8_t *)l2.base + ((n + 64) & ~(size_t)63);
    uint32_t off = (uint32_t)(l3.size / 2 + 3); /* odd, far from the other tests' bytes */

    /* Synchronous: large from a word-aligned buffer, then a few KiB from misaligned ones (on
     * pulp-open they go through the uDMA driver's 1 KiB bounce buffer). */
    for (size_t a = 0; a < 4; a++) {
        size_t m = a == 0 ? n - 4 : (size_t)2 * 1024 + 2 * a + 1;
        fill(out + a, m, 0x1234u + (uint32_t)a);
        memset(in, 0xA5, m + 8);
        int wr = qlr_l3_write(off, out + a, m);
        int rd = qlr_l3_read(in + a, off, m);
        st_check(ctx, wr == 0 && rd == 0, "large L3 round trip (%u bytes, alignment %u) returned %d/%d",
                 (unsigned)m, (unsigned)a, wr, rd);
        st_check(ctx, memcmp(in + a, out + a, m) == 0, "large L3 round trip (%u bytes, alignment %u) differs",
                 (unsigned)m, (unsigned)a);
        st_check(ctx, in[a + m] == 0xA5 && (a == 0 || in[a - 1] == 0xA5),
                 "large L3 read (alignment %u) wrote outside its destination", (unsigned)a);
    }

    /* Asynchronous: a large read is started, the core works, the data is there after the wait;
     * the write that preceded it (same job) is seen by the read. */
    fill(out, n, 0xC0FFEEu);
    memset(in, 0, n);
    qlr_copy_t job = {0};
    int w = qlr_l3_write_async(&job, off, out, n);
    int r = qlr_l3_read_async(&job, in, off, n);
    uint32_t sum = 0;
    for (size_t k = 0; k < 4096; k++)
        sum += out[k] * (uint32_t)k; /* work while the transfers run */
    qlr_copy_wait(&job);
    st_check(ctx, w == 0 && r == 0 && memcmp(in, out, n) == 0 && sum != 1u,
             "async large L3 write+read of %u bytes failed (%d %d)", (unsigned)n, w, r);

    /* Many small asynchronous transfers in flight on one job (more than any DMA queue holds). */
    const size_t pieces = 40, piece = 101, total = pieces * piece;
    fill(out, total, 77u);
    memset(in, 0x5A, total + 4);
    unsigned bad = 0;
    for (size_t i = 0; i < pieces; i++)
        bad += qlr_l3_write_async(&job, off + (uint32_t)(i * piece), out + i * piece, piece) != 0;
    for (size_t i = 0; i < pieces; i++)
        bad += qlr_l3_read_async(&job, in + i * piece, off + (uint32_t)(i * piece), piece) != 0;
    qlr_copy_wait(&job);
    st_check(ctx, bad == 0 && memcmp(in, out, total) == 0 && in[total] == 0x5A,
             "%u asynchronous L3 transfers of %u bytes on one job failed (%u refused)", (unsigned)(2u * pieces),
             (unsigned)piece, bad);
}

#define MAX_CORES 64

/* Each core of the team writes and reads its own L3 slice from a buffer on its own stack. */
typedef struct {
    uint32_t off;
    volatile uint32_t ok[MAX_CORES];
} l3_team_t;

static void l3_team_task(void *arg)
{
    l3_team_t *t = (l3_team_t *)arg;
    unsigned id = qlr_core_id();
    if (id >= MAX_CORES)
        return;
    uint8_t buf[67], back[67 + 2];
    fill(buf, sizeof buf, 1000u + id);
    uint32_t off = t->off + 256u * id + (id & 3u);
    memset(back, 0xEE, sizeof back);
    int wr = qlr_l3_write(off, buf, sizeof buf);
    int rd = qlr_l3_read(back + 1, off, sizeof buf);
    qlr_copy_t job = {0};
    uint8_t again[16];
    int ra = qlr_l3_read_async(&job, again, off + 3u, sizeof again);
    qlr_copy_wait(&job);
    t->ok[id] = wr == 0 && rd == 0 && ra == 0 && memcmp(back + 1, buf, sizeof buf) == 0 && back[0] == 0xEE &&
                back[sizeof buf + 1] == 0xEE && memcmp(again, buf + 3, sizeof again) == 0;
}

void st_l3_team(qlr_selftest_ctx_t *ctx)
{
    static l3_team_t t;
    unsigned n = qlr_team_max() < MAX_CORES ? qlr_team_max() : MAX_CORES;
    t.off = 9000;
    for (unsigned i = 0; i < MAX_CORES; i++)
        t.ok[i] = 0;
    qlr_team_fork(n, l3_team_task, &t);
    for (unsigned i = 0; i < n; i++)
        st_check(ctx, t.ok[i] == 1u, "core %u: L3 round trip from its stack failed", i);
}

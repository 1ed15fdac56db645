/* Self-tests of the memory levels: L1/L2 free regions are usable, L3 round-trips at odd
 * offsets and sizes (synchronously and asynchronously) and rejects out-of-range accesses. */
#include <string.h>

#include "qlr/runtime.h"
#include "selftest/selftest.h"

static void probe_region(qlr_selftest_ctx_t *ctx, const char *name, qlr_mem_region_t r)
{
    st_check(ctx, r.base != 0 && r.size >= 1024, "%s free region: base 0x%lx size %lu", name,
             (unsigned long)r.base, (unsigned long)r.size);
    if (r.base == 0 || r.size < 1024)
        return;
    volatile uint8_t *p = (volatile uint8_t *)r.base;
    /* Sample the region at a prime stride plus its last byte: write, then read back. */
    size_t stride = 4093, n = 0;
    for (size_t off = 0; off < r.size; off += stride, n++)
        p[off] = (uint8_t)(off * 7u + 1u);
    p[r.size - 1] = 0x5A;
    unsigned bad = 0;
    for (size_t off = 0; off < r.size; off += stride)
        bad += p[off] != (uint8_t)(off * 7u + 1u) && off != r.size - 1;
    st_check(ctx, bad == 0, "%s: %u of %u sampled bytes did not read back", name, bad, (unsigned)n);
    st_check(ctx, p[r.size - 1] == 0x5A, "%s: last byte did not read back", name);
}

void st_memory_regions(qlr_selftest_ctx_t *ctx)
{
    probe_region(ctx, "L1", qlr_mem_region(QLR_MEM_L1));
    probe_region(ctx, "L2", qlr_mem_region(QLR_MEM_L2));
    qlr_mem_region_t l3 = qlr_mem_region(QLR_MEM_L3);
    st_check(ctx, l3.size >= 4096, "L3 size %lu", (unsigned long)l3.size);
}

#define L3_BUF 1200
static uint8_t g_out[L3_BUF], g_in[L3_BUF + 32];

void st_l3(qlr_selftest_ctx_t *ctx)
{
    qlr_mem_region_t l3 = qlr_mem_region(QLR_MEM_L3);
    if (l3.size < 8192) {
        st_check(ctx, 0, "L3 too small for the test: %lu bytes", (unsigned long)l3.size);
        return;
    }
    uint32_t size = (uint32_t)l3.size;
    const uint32_t offs[] = {0, 1, 3, 4097, size / 2 + 5, size - 1000, size - 7};
    const size_t lens[] = {1, 7, 64, 1000};
    uint32_t seed = 0xBEEF;
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        for (size_t j = 0; j < sizeof lens / sizeof lens[0]; j++) {
            size_t n = lens[j];
            if ((uint64_t)offs[i] + n > size)
                continue;
            for (size_t k = 0; k < n; k++)
                g_out[k] = (uint8_t)st_rand(&seed);
            memset(g_in, 0xA5, n + 32);
            int wr = qlr_l3_write(offs[i], g_out, n);
            int rd = qlr_l3_read(g_in + 16, offs[i], n);
            st_check(ctx, wr == 0 && rd == 0, "L3 write/read at %u (%u bytes) returned %d/%d",
                     (unsigned)offs[i], (unsigned)n, wr, rd);
            st_check(ctx, memcmp(g_in + 16, g_out, n) == 0, "L3 round trip at %u (%u bytes) differs",
                     (unsigned)offs[i], (unsigned)n);
            st_check(ctx, g_in[15] == 0xA5 && g_in[16 + n] == 0xA5,
                     "L3 read at %u (%u bytes) wrote outside its destination", (unsigned)offs[i], (unsigned)n);
        }
    }
    /* Neighbouring writes do not disturb each other. */
    uint8_t a[5] = {1, 2, 3, 4, 5}, b[3] = {9, 8, 7}, back[8] = {0};
    qlr_l3_write(100, a, 5);
    qlr_l3_write(105, b, 3);
    qlr_l3_read(back, 100, 8);
    st_check(ctx, back[0] == 1 && back[4] == 5 && back[5] == 9 && back[7] == 7,
             "adjacent L3 writes: got %u %u %u %u", back[0], back[4], back[5], back[7]);
    /* Asynchronous forms complete at wait. */
    qlr_copy_t job = {0};
    for (size_t k = 0; k < 300; k++)
        g_out[k] = (uint8_t)(k * 13u + 5u);
    int w1 = qlr_l3_write_async(&job, 2000, g_out, 150);
    int w2 = qlr_l3_write_async(&job, 2150, g_out + 150, 150);
    qlr_copy_wait(&job);
    memset(g_in, 0, 300);
    int r1 = qlr_l3_read_async(&job, g_in, 2000, 300);
    qlr_copy_wait(&job);
    st_check(ctx, w1 == 0 && w2 == 0 && r1 == 0 && memcmp(g_in, g_out, 300) == 0,
             "async L3 round trip failed (%d %d %d)", w1, w2, r1);
    /* Out of range: refused, nothing copied. */
    memset(g_in, 0x3C, 8);
    st_check(ctx, qlr_l3_read(g_in, size - 3, 4) == -1, "read across the end of L3 accepted");
    st_check(ctx, qlr_l3_write(size, g_out, 1) == -1, "write at the end of L3 accepted");
    st_check(ctx, qlr_l3_read(g_in, 0xFFFFFFFFu, 2) == -1, "read at offset 0xFFFFFFFF accepted");
    st_check(ctx, qlr_l3_read(g_in, size, 0) == 0, "empty read at the end of L3 refused");
    st_check(ctx, g_in[0] == 0x3C && g_in[3] == 0x3C, "a refused read wrote its destination");
}

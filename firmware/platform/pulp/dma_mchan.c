/*
 * L2 <-> L1 copies on pulp-open through the cluster DMA (mchan v7, as GVSoC models it).
 *
 * A copy reads the command register to get a transfer counter, then pushes the command words:
 * [0] length (17 bits) | direction (bit 17: 1 = L2 -> L1) | increment (bit 18) | 2-D (bit 19),
 * [1] the L1 (TCDM) address, [2] the L2 address, and for 2-D [3] the row length and [4] the L2
 * row stride. The status register has a bit per busy counter; writing a mask frees counters.
 * The FC reaches the DMA through the cluster peripherals, a cluster core through its own alias.
 * Each copy takes one of the DMA's 16 counters until qlr_copy_wait() frees it, so a core must
 * not have more than 16 copies in flight. A 2-D copy whose L1 rows are not packed is pushed as
 * one 1-D command per row on a single counter; copies that do not cross between L1 and L2 are
 * done by the calling core.
 */
#include "qlr/runtime.h"
#include "../../runtime/platform_hooks.h"
#include "qlr_board_config.h"
#include "pulp_l3.h"

#define DMA_FC_BASE 0x10201800u
#define DMA_CORE_BASE 0x10204400u
#define DMA_CMD 0x0u
#define DMA_STATUS 0x4u
#define CMD_L2_TO_L1 (1u << 17)
#define CMD_INC (1u << 18)
#define CMD_2D (1u << 19)
#define CMD_MAX_LEN 0x1FFFFu

static inline volatile uint32_t *dma_reg(uint32_t off)
{
    unsigned h;
    __asm__ volatile("csrr %0, mhartid" : "=r"(h));
    uint32_t base = (h >> 5) == 31u ? DMA_FC_BASE : DMA_CORE_BASE;
    return (volatile uint32_t *)(base + off);
}

static inline int in_l1(const void *p, size_t n)
{
    uintptr_t a = (uintptr_t)p;
    return a >= QLR_L1_BASE && a + n <= QLR_L1_BASE + QLR_L1_SIZE;
}

static inline int in_l2(const void *p, size_t n)
{
    uintptr_t a = (uintptr_t)p;
    return a >= 0x1C000000u && a + n <= 0x1C190000u;
}

/* Pushes 1-D commands (on the counter last allocated): `bytes` between l1 and l2. */
static void push_1d(uint32_t to_l1, uintptr_t l1, uintptr_t l2, size_t bytes)
{
    volatile uint32_t *cmd = dma_reg(DMA_CMD);
    while (bytes > 0) {
        uint32_t n = bytes > CMD_MAX_LEN ? CMD_MAX_LEN : (uint32_t)bytes;
        *cmd = n | to_l1 | CMD_INC;
        *cmd = (uint32_t)l1;
        *cmd = (uint32_t)l2;
        l1 += n;
        l2 += n;
        bytes -= n;
    }
}

static uint32_t new_counter(void) { return *dma_reg(DMA_CMD) & 0xFu; }

/* Copies `rows` rows between L1 and L2 on one DMA counter (one bit of job->pending), or by the
 * calling core when the copy does not cross between L1 and L2. */
static void copy_rows(qlr_copy_t *job, unsigned char *dst, const unsigned char *src,
                      size_t row_bytes, size_t rows, size_t dst_stride, size_t src_stride)
{
#ifdef QLR_FAULT_COPY_DROP_BYTE
    if (row_bytes > 0)
        row_bytes--; /* fault injected on purpose (scons fault=copy) */
#endif
    if (row_bytes == 0 || rows == 0)
        return;
    size_t dst_span = (rows - 1) * dst_stride + row_bytes;
    size_t src_span = (rows - 1) * src_stride + row_bytes;
    int l2_to_l1 = in_l1(dst, dst_span) && in_l2(src, src_span);
    int l1_to_l2 = in_l2(dst, dst_span) && in_l1(src, src_span);
    if (!l2_to_l1 && !l1_to_l2) {
        qlr_cpu_copy_2d(dst, src, row_bytes, rows, dst_stride, src_stride);
        return;
    }
    uint32_t tid = new_counter();
    size_t l1_stride = l2_to_l1 ? dst_stride : src_stride;
    size_t l2_stride = l2_to_l1 ? src_stride : dst_stride;
    uintptr_t l1 = (uintptr_t)(l2_to_l1 ? dst : src), l2 = (uintptr_t)(l2_to_l1 ? src : dst);
    uint32_t dir = l2_to_l1 ? CMD_L2_TO_L1 : 0u;
    if (rows > 1 && l1_stride == row_bytes && row_bytes * rows <= CMD_MAX_LEN) {
        /* One 2-D command: strided rows on the L2 side, packed rows in L1. */
        volatile uint32_t *cmd = dma_reg(DMA_CMD);
        *cmd = (uint32_t)(row_bytes * rows) | dir | CMD_INC | CMD_2D;
        *cmd = (uint32_t)l1;
        *cmd = (uint32_t)l2;
        *cmd = (uint32_t)row_bytes;
        *cmd = (uint32_t)l2_stride;
    } else {
        for (size_t r = 0; r < rows; r++)
            push_1d(dir, l1 + r * l1_stride, l2 + r * l2_stride, row_bytes);
    }
    job->pending |= 1u << tid;
}

void qlr_copy_1d(qlr_copy_t *job, void *dst, const void *src, size_t bytes)
{
    copy_rows(job, (unsigned char *)dst, (const unsigned char *)src, bytes, 1, bytes, bytes);
}

void qlr_copy_2d(qlr_copy_t *job, void *dst, const void *src, size_t row_bytes, size_t rows,
                 size_t dst_stride, size_t src_stride)
{
    copy_rows(job, (unsigned char *)dst, (const unsigned char *)src, row_bytes, rows, dst_stride,
              src_stride);
}

void qlr_copy_wait(qlr_copy_t *job)
{
    if (job->pending & QLR_PULP_L3_PENDING)
        qlr_pulp_l3_wait(job->pending); /* an L3 transfer on the uDMA (l3_hyper.c) */
    uint32_t mask = job->pending & QLR_PULP_MCHAN_MASK;
    job->pending = 0;
    if (mask == 0)
        return;
    volatile uint32_t *status = dma_reg(DMA_STATUS);
    while (*status & mask)
        ;
    *status = mask; /* free the counters */
}

/*
 * L3 on pulp-open: the HyperRAM on chip select 0 of the uDMA's HyperBus peripheral, reached by
 * byte offset (QLR_L3_BASE + off is the HyperRAM address; the board file puts L3 at 0).
 *
 * The peripheral (uDMA periph 8, registers from 0x1A102480) has 8 transaction ids of 16 registers
 * each (0x80 apart), then the common timing registers at +0x400. A transfer programs one id:
 * RX (HyperRAM -> L2) or TX (L2 -> HyperRAM) start address and size, the HyperRAM address, the
 * command/address setup (bit 0 linear burst, bit 1 register space, bit 2 read) and the enable bit
 * of RX_CFG/TX_CFG, which queues it in the id's 8-deep FIFO. STATUS (+0x24) holds busy (bit 0)
 * and the number of the id's transfers not finished yet (bits 1-8).
 *
 * This driver uses one id, so transfers run in the order they were started (an L3 read always
 * sees every earlier write) and the number still queued says which have finished: each transfer
 * gets a ticket (a count of started transfers), and a ticket is done once fewer transfers are
 * queued than were started after it. A qlr_copy_t keeps the newest ticket of its job.
 *
 * Constraints of the uDMA, and how they are met:
 * - it reaches only L2: a buffer elsewhere (a cluster core's stack or tile in L1) goes through a
 *   bounce buffer in L2, piece by piece, synchronously;
 * - it moves 32-bit words at word addresses, and an RX transfer writes whole words: a read goes
 *   straight to the destination only when that is word aligned and only for a multiple of four
 *   bytes; the rest (a misaligned buffer, the last 1-3 bytes) goes through the bounce buffer.
 *   A write reads whole words but sends exactly `bytes`, so it goes straight from any word
 *   aligned L2 source;
 * - the size registers are 16 bits wide in the RTL: transfers are cut into 32 KiB pieces;
 * - only the fabric controller programs it. A cluster core posts its request in a mailbox in
 *   L1 and waits; the fabric controller serves the mailboxes while it waits for the team
 *   (qlr_pulp_l3_serve, from qlr_team_fork), so a core's L3 call completes before it returns.
 */
#include <string.h>

#include "qlr/runtime.h"
#include "qlr_board_config.h"
#include "pulp_l3.h"

#define UDMA_BASE 0x1A102000u
#define UDMA_CLOCK_ENABLE (*(volatile uint32_t *)UDMA_BASE)
#define HYPER_PERIPH 8u
#define HYPER_BASE (UDMA_BASE + 0x80u + 0x80u * HYPER_PERIPH)
#define HYPER_ID 0u /* the transaction id this driver uses */
#define ID_REG(off) (*(volatile uint32_t *)(HYPER_BASE + 0x80u * HYPER_ID + (off)))
#define COMMON_REG(off) (*(volatile uint32_t *)(HYPER_BASE + 0x400u + (off)))

/* Per-id registers */
#define RX_SADDR 0x00u
#define RX_SIZE 0x04u
#define RX_CFG 0x08u
#define TX_SADDR 0x0Cu
#define TX_SIZE 0x10u
#define TX_CFG 0x14u
#define CA_SETUP 0x18u
#define HYPER_ADDR 0x1Cu
#define STATUS 0x24u
#define CFG_ENABLE (1u << 4)
#define CA_LINEAR_BURST 1u
#define CA_READ 4u
/* Common registers */
#define PAGE_BOUND 0x00u
#define T_LATENCY_ACCESS 0x04u
#define EN_LATENCY_ADD 0x08u
#define T_CS_MAX 0x0Cu
#define T_RW_RECOVERY 0x10u
#define T_VARI_LATENCY 0x18u
#define MEM_SEL 0x20u

#define FIFO_DEPTH 8u
#define PIECE 0x8000u  /* bytes per uDMA transfer (a multiple of 4) */
#define BOUNCE 1024u   /* bytes of the L2 bounce buffer */
#define FC_CLUSTER_ID 31u

static uint32_t g_started;        /* transfers started since boot */
static uint32_t g_bounce_ticket;  /* the last transfer that reads the bounce buffer */
static int g_bounce_busy;
static uint8_t g_bounce[BOUNCE + 4u] __attribute__((aligned(8))); /* .bss: in L2 */

/* A cluster core's request, in L1; `req` is written by the core, `ack` by the controller. */
typedef struct {
    volatile uint32_t req, ack;
    volatile uint32_t write, off, bytes;
    void *volatile buf;
    volatile int32_t rc;
} l3_mailbox_t;

__attribute__((section(".l1"))) static l3_mailbox_t g_mail[QLR_TEAM_MAX];

static int on_fc(void)
{
    unsigned h;
    __asm__ volatile("csrr %0, mhartid" : "=r"(h));
    return (h >> 5) == FC_CLUSTER_ID;
}

static unsigned core_id(void)
{
    unsigned h;
    __asm__ volatile("csrr %0, mhartid" : "=r"(h));
    return h & 0x1fu;
}

void qlr_pulp_l3_init(void)
{
    for (unsigned i = 0; i < QLR_TEAM_MAX; i++) {
        g_mail[i].req = 0;
        g_mail[i].ack = 0;
    }
    UDMA_CLOCK_ENABLE |= 1u << HYPER_PERIPH;
    COMMON_REG(MEM_SEL) = 0;          /* chip select 0: the HyperRAM (1 is the HyperFlash) */
    COMMON_REG(PAGE_BOUND) = 4;       /* no page boundary: linear bursts cross rows */
    /* The S27KS0641's defaults: 6 clocks of initial latency, doubled (fixed 2x latency), 40 ns of
     * read-write recovery, CS# low at most 4 us (200 clocks at the 50 MHz peripheral clock).
     * GVSoC's model uses only the latency pair (a fixed delay before each transfer). */
    COMMON_REG(T_LATENCY_ACCESS) = 6;
    COMMON_REG(EN_LATENCY_ADD) = 1;
    COMMON_REG(T_RW_RECOVERY) = 6;
    COMMON_REG(T_CS_MAX) = 200;
    COMMON_REG(T_VARI_LATENCY) = 3;
    g_started = 0;
    g_bounce_busy = 0;
}

static uint32_t queued(void) { return (ID_REG(STATUS) >> 1) & 0xFFu; }

/* Done once fewer transfers are queued than were started after it (the FIFO runs in order). */
static int ticket_done(uint32_t ticket)
{
    uint32_t after = (g_started - ticket) & QLR_PULP_L3_TICKET_MASK;
    return queued() <= after;
}

static void wait_ticket(uint32_t ticket)
{
    while (!ticket_done(ticket))
        ;
}

void qlr_pulp_l3_wait(uint32_t pending)
{
    wait_ticket((pending >> QLR_PULP_L3_TICKET_SHIFT) & QLR_PULP_L3_TICKET_MASK);
}

/* Queues one transfer of n <= PIECE bytes; returns its ticket. */
static uint32_t start(int read, uintptr_t l2, uint32_t ext, uint32_t n)
{
#ifdef QLR_FAULT_L3_SHORT_READ
    if (read && n > 4u)
        n -= 4u; /* fault injected on purpose (scons fault=l3): the last word is not read */
#endif
    while (queued() >= FIFO_DEPTH)
        ;
    if (read) {
        ID_REG(RX_SADDR) = (uint32_t)l2;
        ID_REG(RX_SIZE) = n;
    } else {
        ID_REG(TX_SADDR) = (uint32_t)l2;
        ID_REG(TX_SIZE) = n;
    }
    ID_REG(HYPER_ADDR) = ext;
    ID_REG(CA_SETUP) = CA_LINEAR_BURST | (read ? CA_READ : 0u);
    if (read)
        ID_REG(RX_CFG) = CFG_ENABLE;
    else
        ID_REG(TX_CFG) = CFG_ENABLE;
    return ++g_started & QLR_PULP_L3_TICKET_MASK;
}

static void mark(qlr_copy_t *job, uint32_t ticket)
{
    if (job != NULL)
        job->pending = (job->pending & QLR_PULP_MCHAN_MASK) | QLR_PULP_L3_PENDING |
                       (ticket << QLR_PULP_L3_TICKET_SHIFT);
}

static void start_pieces(qlr_copy_t *job, int read, uintptr_t l2, uint32_t ext, size_t n)
{
    while (n > 0) {
        uint32_t c = n > PIECE ? PIECE : (uint32_t)n;
        mark(job, start(read, l2, ext, c));
        l2 += c;
        ext += c;
        n -= c;
    }
}

/* The uDMA reaches [p, p + n rounded up to a word) and p is word aligned. */
static int direct(const void *p, size_t n)
{
    uintptr_t a = (uintptr_t)p;
    return (a & 3u) == 0 && a >= QLR_L2_BASE && a <= QLR_L2_BASE + QLR_L2_SIZE &&
           ((n + 3u) & ~(size_t)3u) <= QLR_L2_BASE + QLR_L2_SIZE - a;
}

static int range_ok(uint32_t off, size_t bytes)
{
    return off <= QLR_L3_SIZE && bytes <= QLR_L3_SIZE - off;
}

static void bounce_free(void)
{
    if (g_bounce_busy)
        wait_ticket(g_bounce_ticket);
    g_bounce_busy = 0;
}

static int fc_read(qlr_copy_t *job, uint8_t *dst, uint32_t off, size_t bytes)
{
    if (!range_ok(off, bytes))
        return -1;
    uint32_t ext = QLR_L3_BASE + off;
    if (direct(dst, bytes)) {
        size_t body = bytes & ~(size_t)3u;
        start_pieces(job, 1, (uintptr_t)dst, ext, body);
        dst += body;
        ext += body;
        bytes -= body;
    }
    while (bytes > 0) { /* through the bounce buffer; the uDMA may write up to 3 bytes past c */
        uint32_t c = bytes > BOUNCE ? BOUNCE : (uint32_t)bytes;
        bounce_free();
        wait_ticket(start(1, (uintptr_t)g_bounce, ext, c));
        memcpy(dst, g_bounce, c);
        dst += c;
        ext += c;
        bytes -= c;
    }
    return 0;
}

static int fc_write(qlr_copy_t *job, uint32_t off, const uint8_t *src, size_t bytes)
{
    if (!range_ok(off, bytes))
        return -1;
    uint32_t ext = QLR_L3_BASE + off;
    if (direct(src, bytes)) {
        start_pieces(job, 0, (uintptr_t)src, ext, bytes);
        return 0;
    }
    while (bytes > 0) { /* through the bounce buffer: it is refilled once its last write is out */
        uint32_t c = bytes > BOUNCE ? BOUNCE : (uint32_t)bytes;
        bounce_free();
        memcpy(g_bounce, src, c);
        g_bounce_ticket = start(0, (uintptr_t)g_bounce, ext, c);
        g_bounce_busy = 1;
        mark(job, g_bounce_ticket);
        src += c;
        ext += c;
        bytes -= c;
    }
    return 0;
}

/* A cluster core: post the request to the controller and wait for it to be done. */
static int post(int write, void *buf, uint32_t off, size_t bytes)
{
    l3_mailbox_t *m = &g_mail[core_id()];
    m->write = (uint32_t)write;
    m->buf = buf;
    m->off = off;
    m->bytes = (uint32_t)bytes;
    __asm__ volatile("fence" ::: "memory");
    uint32_t seq = m->req + 1u;
    m->req = seq;
    while (m->ack != seq)
        ;
    __asm__ volatile("fence" ::: "memory");
    return m->rc;
}

void qlr_pulp_l3_serve(void)
{
    for (unsigned i = 0; i < QLR_TEAM_MAX; i++) {
        l3_mailbox_t *m = &g_mail[i];
        uint32_t seq = m->req;
        if (seq == m->ack)
            continue;
        __asm__ volatile("fence" ::: "memory");
        qlr_copy_t job = {0};
        int rc = m->write ? fc_write(&job, m->off, (const uint8_t *)m->buf, m->bytes)
                          : fc_read(&job, (uint8_t *)m->buf, m->off, m->bytes);
        qlr_copy_wait(&job);
        m->rc = rc;
        __asm__ volatile("fence" ::: "memory");
        m->ack = seq;
    }
}

int qlr_l3_read_async(qlr_copy_t *job, void *dst, uint32_t off, size_t bytes)
{
    if (!on_fc())
        return post(0, dst, off, bytes);
    return fc_read(job, (uint8_t *)dst, off, bytes);
}

int qlr_l3_write_async(qlr_copy_t *job, uint32_t off, const void *src, size_t bytes)
{
    if (!on_fc())
        return post(1, (void *)(uintptr_t)src, off, bytes);
    return fc_write(job, off, (const uint8_t *)src, bytes);
}

/*
 * pulp-open on GVSoC: the fabric controller (FC) is the controller; the 8 cluster cores are the
 * team. The cores have no atomics (no A extension), so fork/join and the barrier use per-core
 * flags in L1 that each core writes only for itself.
 *
 * Copies L2<->L1 go through the cluster DMA (dma_mchan.c), L3 is the HyperRAM behind the uDMA
 * (l3_hyper.c: the controller serves the cores' L3 requests while it waits for the team).
 * Known gap (see docs/boards.md): waiting cores poll L1 instead of sleeping on the event unit.
 * Console output and the link use semihosting.
 */
#include <string.h>

#include "qlr/runtime.h"
#include "../../runtime/platform_hooks.h"
#include "qlr_board_config.h"
#include "../riscv-virt/semihost.h"
#include "pulp_l3.h"

#define CLUSTER_CTRL 0x10200000u
#define CL_FETCH_ENABLE (*(volatile uint32_t *)(CLUSTER_CTRL + 0x008u))
#define CL_BOOT_ADDR(i) (*(volatile uint32_t *)(CLUSTER_CTRL + 0x040u + 4u * (i)))
#define CL_ICACHE_ENABLE (*(volatile uint32_t *)(0x10201400u))
#define SOC_STATUS (*(volatile uint32_t *)0x1A1040A0u)
#define FC_CLUSTER_ID 31u
#define CORES QLR_TEAM_MAX

#define SEMIHOST_SYS_OPEN 0x01
#define SEMIHOST_SYS_WRITE 0x05
#define SEMIHOST_SYS_READ 0x06

extern void qlr_pulp_cluster_entry(void);
void qlr_pulp_fc_main(void);
void qlr_pulp_exception(uint32_t mcause, uint32_t mepc, uint32_t mtval, uint32_t hartid);
void qlr_pulp_cluster_main(unsigned core);

/* Shared state in L1, next to the cores. Each flag word is written by one side only. */
typedef struct {
    volatile qlr_task_fn fn;
    void *volatile arg;
    volatile uint32_t team_size;
    volatile uint32_t go[CORES];      /* FC -> core: task sequence number */
    volatile uint32_t done[CORES];    /* core -> FC: last task finished */
    volatile uint32_t arrive[CORES];  /* core -> master: barrier epoch reached */
    volatile uint32_t release;        /* master -> cores: barrier epoch released */
} team_t;

__attribute__((section(".l1"))) static team_t g_team;
static uint32_t g_seq;
static uint32_t g_epoch[CORES]; /* per core, written only by that core */

static inline unsigned hart(void)
{
    unsigned h;
    __asm__ volatile("csrr %0, mhartid" : "=r"(h));
    return h;
}

static inline int on_fc(void) { return (hart() >> 5) == FC_CLUSTER_ID; }

unsigned qlr_team_max(void) { return CORES; }
unsigned qlr_core_id(void) { return on_fc() ? 0 : (hart() & 0x1fu); }
unsigned qlr_core_count(void) { return on_fc() ? 1 : g_team.team_size; }

void qlr_team_fork(unsigned ncores, qlr_task_fn fn, void *arg)
{
    if (ncores < 1)
        ncores = 1;
    if (ncores > CORES)
        ncores = CORES;
    g_team.fn = fn;
    g_team.arg = arg;
    g_team.team_size = ncores;
    g_team.release = 0;
    for (unsigned i = 0; i < CORES; i++)
        g_team.arrive[i] = 0;
    uint32_t seq = ++g_seq;
    __asm__ volatile("fence" ::: "memory");
    for (unsigned i = 0; i < ncores; i++)
        g_team.go[i] = seq;
    for (unsigned i = 0; i < ncores; i++)
        while (g_team.done[i] != seq)
            qlr_pulp_l3_serve();
}

void qlr_pulp_cluster_main(unsigned core)
{
    uint32_t seen = 0;
    for (;;) {
        while (g_team.go[core] == seen)
            ;
        seen = g_team.go[core];
        g_epoch[core] = 0;
        g_team.fn(g_team.arg);
        __asm__ volatile("fence" ::: "memory");
        g_team.done[core] = seen;
    }
}

void qlr_team_barrier(void)
{
#ifdef QLR_FAULT_BARRIER_NOWAIT
    return; /* fault injected on purpose (scons fault=barrier) */
#endif
    if (on_fc())
        return;
    unsigned id = hart() & 0x1fu, n = g_team.team_size;
    if (n <= 1)
        return;
    uint32_t e = ++g_epoch[id];
    __asm__ volatile("fence" ::: "memory");
    if (id == 0) {
        for (unsigned i = 1; i < n; i++)
            while (g_team.arrive[i] != e)
                ;
        g_team.release = e;
    } else {
        g_team.arrive[id] = e;
        while (g_team.release != e)
            ;
    }
}

uint64_t qlr_counter(void)
{
    uint32_t c;
    __asm__ volatile("csrr %0, mcycle" : "=r"(c));
    return c; /* 32 bits: about 10 s of simulated time at 400 MHz */
}

const char *qlr_counter_unit(void) { return QLR_COUNTER_UNIT; }

void qlr_console_write(const char *s, size_t n) { semihost_write_text(s, n); }

/* The link through semihosting files in the simulator's working directory (see
 * docs/link-protocol.md): requests are read from link.in, responses appended to link.out. */
static long g_link_in = -1, g_link_out = -1;

static long sh_open(const char *name, long mode)
{
    long args[3] = {(long)name, mode, (long)strlen(name)};
    return semihost_call(SEMIHOST_SYS_OPEN, args);
}

int qlr_link_read(void *buf, size_t max, int timeout_ms)
{
    if (g_link_in < 0 && (g_link_in = sh_open("link.in", 1 /* rb */)) < 0)
        return -1;
    uint32_t start = (uint32_t)qlr_counter();
    for (;;) {
        long args[3] = {g_link_in, (long)buf, (long)max};
        long not_read = semihost_call(SEMIHOST_SYS_READ, args);
        if (not_read < 0)
            return -1;
        if ((size_t)not_read < max)
            return (int)(max - (size_t)not_read);
        /* Nothing yet: the cycle counter paces the timeout (50 MHz assumed: simulated time). */
        if (timeout_ms >= 0 && (uint32_t)qlr_counter() - start >= (uint32_t)timeout_ms * 50000u)
            return 0;
    }
}

void qlr_link_write(const void *buf, size_t len)
{
    if (g_link_out < 0 && (g_link_out = sh_open("link.out", 9 /* ab */)) < 0)
        return;
    long args[3] = {g_link_out, (long)buf, (long)len};
    semihost_call(SEMIHOST_SYS_WRITE, args);
}

void qlr_exit(int status)
{
    /* GVSoC's own exit status only says zero or not: the runner reads the full one here. */
    qlr_printf("qlr-exit: %d\n", status);
    SOC_STATUS = 0x80000000u | (uint32_t)status;
    for (;;)
        __asm__ volatile("wfi");
}

void qlr_pulp_exception(uint32_t mcause, uint32_t mepc, uint32_t mtval, uint32_t hartid)
{
    qlr_printf("qlr-fatal: exception on hart 0x%03lx: mcause %lu mepc 0x%08lx mtval 0x%08lx\n",
               (unsigned long)hartid, (unsigned long)mcause, (unsigned long)mepc, (unsigned long)mtval);
    qlr_exit(3);
}

void qlr_pulp_fc_main(void)
{
    for (unsigned i = 0; i < CORES; i++) {
        g_team.go[i] = 0;
        g_team.done[i] = 0;
        CL_BOOT_ADDR(i) = (uint32_t)(uintptr_t)qlr_pulp_cluster_entry;
    }
    qlr_pulp_l3_init();
    CL_ICACHE_ENABLE = 0xFFFFFFFFu;
    CL_FETCH_ENABLE = 0xFFu;
    qlr_exit(qlr_app_main());
}

/*
 * The team on QEMU riscv32 virt: hart 0 is the controller, harts 1..N the workers.
 * Nothing here spins on memory: under `-icount` the harts share one instruction counter and a
 * spinning hart would inflate every count. A waiting hart sleeps in `wfi` and is woken by a
 * machine software interrupt (CLINT msip) that the waker raises after publishing its store.
 * The wait loop clears its own msip, re-checks the condition, then sleeps, so a wake-up that
 * arrives between the check and the `wfi` is never lost.
 */
#include "qlr/runtime.h"
#include "qlr_board_config.h"
#include "rv_platform.h"

#define CLINT_MSIP ((volatile uint32_t *)0x02000000u)
#define MAX_HARTS (QLR_TEAM_MAX + 1u)

static unsigned g_workers = QLR_TEAM_MAX; /* set from the device tree at boot */

static struct {
    qlr_task_fn fn;
    void *arg;
} g_job;
static volatile uint32_t g_go[MAX_HARTS];   /* per worker: incremented to start a task */
static volatile uint32_t g_done;            /* workers finished with the current task */
static volatile uint32_t g_team_size = 1;
static volatile uint32_t g_bar_count;
static volatile uint32_t g_bar_sense;
static uint32_t g_local_sense[MAX_HARTS];   /* each written only by its own hart */

static inline unsigned hart_id(void)
{
    unsigned h;
    __asm__ volatile("csrr %0, mhartid" : "=r"(h));
    return h;
}

static inline void wake(unsigned hart)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    CLINT_MSIP[hart] = 1;
}

/* Sleeps until *p == value (eq != 0) or *p != value (eq == 0). */
static void wait_for(const volatile uint32_t *p, uint32_t value, int eq)
{
    unsigned h = hart_id();
    for (;;) {
        if ((__atomic_load_n(p, __ATOMIC_ACQUIRE) == value) == eq)
            return;
        CLINT_MSIP[h] = 0;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if ((__atomic_load_n(p, __ATOMIC_ACQUIRE) == value) == eq)
            return;
        __asm__ volatile("wfi");
    }
}

void qlr_rv_team_init(unsigned workers)
{
    if (workers >= 1 && workers <= QLR_TEAM_MAX)
        g_workers = workers;
}

unsigned qlr_team_max(void) { return g_workers; }

unsigned qlr_core_id(void)
{
    unsigned h = hart_id();
    return h == 0 ? 0 : h - 1;
}

unsigned qlr_core_count(void) { return hart_id() == 0 ? 1 : g_team_size; }

void qlr_team_fork(unsigned ncores, qlr_task_fn fn, void *arg)
{
    if (ncores < 1)
        ncores = 1;
    if (ncores > g_workers)
        ncores = g_workers;
    g_job.fn = fn;
    g_job.arg = arg;
    g_team_size = ncores;
    g_done = 0;
    g_bar_count = 0;
    g_bar_sense = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (unsigned w = 1; w <= ncores; w++)
        __atomic_add_fetch(&g_go[w], 1, __ATOMIC_RELEASE);
    for (unsigned w = 1; w <= ncores; w++)
        wake(w);
    wait_for(&g_done, ncores, 1);
}

void qlr_rv_worker_main(unsigned hart)
{
    if (hart > g_workers) /* a hart beyond the team (more -smp than the board uses) */
        for (;;)
            __asm__ volatile("wfi");
    uint32_t seen = 0;
    for (;;) {
        wait_for(&g_go[hart], seen, 0);
        seen = g_go[hart];
        g_local_sense[hart] = 0;
        g_job.fn(g_job.arg);
        if (__atomic_add_fetch(&g_done, 1, __ATOMIC_ACQ_REL) == g_team_size)
            wake(0);
    }
}

void qlr_team_barrier(void)
{
#ifdef QLR_FAULT_BARRIER_NOWAIT
    return; /* fault injected on purpose (scons fault=barrier) */
#endif
    unsigned h = hart_id();
    uint32_t n = g_team_size;
    if (h == 0 || n <= 1)
        return;
    uint32_t sense = g_local_sense[h] ^= 1u;
    if (__atomic_add_fetch(&g_bar_count, 1, __ATOMIC_ACQ_REL) == n) {
        g_bar_count = 0;
        __atomic_store_n(&g_bar_sense, sense, __ATOMIC_RELEASE);
        for (unsigned w = 1; w <= n; w++)
            if (w != h)
                wake(w);
    } else {
        wait_for(&g_bar_sense, sense, 1);
    }
}

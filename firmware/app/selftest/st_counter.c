/* Self-test of the counter: it advances over work, never goes back, on the controller and on
 * the team's cores. */
#include "qlr/runtime.h"
#include "selftest/selftest.h"

#define MAX_CORES 64
static volatile unsigned g_bad[MAX_CORES];

static unsigned monotonic_over_work(void)
{
    unsigned bad = 0;
    uint64_t prev = qlr_counter();
    for (int i = 0; i < 100; i++) {
        volatile unsigned sink = 0;
        for (unsigned k = 0; k < 50; k++)
            sink += k;
        uint64_t now = qlr_counter();
        bad += now < prev;
        prev = now;
    }
    return bad;
}

static void counter_task(void *arg)
{
    (void)arg;
    unsigned id = qlr_core_id();
    if (id < MAX_CORES)
        g_bad[id] = monotonic_over_work();
}

void st_counter(qlr_selftest_ctx_t *ctx)
{
    uint64_t t0 = qlr_counter();
    volatile unsigned sink = 0;
    for (unsigned k = 0; k < 20000; k++)
        sink += k;
    uint64_t t1 = qlr_counter();
    st_check(ctx, t1 > t0, "counter did not advance over 20000 loop iterations (%lu -> %lu)",
             (unsigned long)t0, (unsigned long)t1);
    st_check(ctx, monotonic_over_work() == 0, "counter went backwards on the controller");
    unsigned n = qlr_team_max();
    for (unsigned i = 0; i < MAX_CORES; i++)
        g_bad[i] = 0;
    qlr_team_fork(n, counter_task, 0);
    for (unsigned i = 0; i < n && i < MAX_CORES; i++)
        st_check(ctx, g_bad[i] == 0, "counter went backwards %u times on core %u", g_bad[i], i);
}

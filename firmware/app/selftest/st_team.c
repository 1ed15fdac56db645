/* Self-tests of the team: fork runs every core with the right id and count, join waits for
 * all, barriers hold under repetition with uneven work. */
#include "qlr/runtime.h"
#include "selftest/selftest.h"

#define MAX_CORES 64
#define BARRIER_ROUNDS 40

typedef struct {
    volatile unsigned ran[MAX_CORES];
    volatile unsigned count_seen[MAX_CORES];
    volatile unsigned calls;
} fork_state_t;

static fork_state_t g_fork;

static void busy(unsigned iterations)
{
    volatile unsigned sink = 0;
    for (unsigned i = 0; i < iterations; i++)
        sink += i;
    (void)sink;
}

static void fork_task(void *arg)
{
    fork_state_t *s = (fork_state_t *)arg;
    unsigned id = qlr_core_id();
    if (id < MAX_CORES) {
        s->ran[id] += 1;
        s->count_seen[id] = qlr_core_count();
    }
}

void st_team_fork(qlr_selftest_ctx_t *ctx)
{
    unsigned max = qlr_team_max();
    st_check(ctx, max >= 1 && max <= MAX_CORES, "team_max %u out of range", max);
    st_check(ctx, qlr_core_id() == 0 && qlr_core_count() == 1,
             "controller outside a fork: id %u count %u (want 0, 1)", qlr_core_id(), qlr_core_count());
    for (unsigned n = 1; n <= max && n <= MAX_CORES; n++) {
        for (unsigned i = 0; i < MAX_CORES; i++)
            g_fork.ran[i] = 0, g_fork.count_seen[i] = 0;
        qlr_team_fork(n, fork_task, &g_fork);
        for (unsigned i = 0; i < MAX_CORES; i++) {
            unsigned want = i < n ? 1u : 0u;
            st_check(ctx, g_fork.ran[i] == want, "team of %u: core %u ran %u times (want %u)", n, i,
                     g_fork.ran[i], want);
            if (i < n)
                st_check(ctx, g_fork.count_seen[i] == n, "team of %u: core %u saw count %u", n, i,
                         g_fork.count_seen[i]);
        }
        if (n == max) {
            unsigned seen = 0;
            for (unsigned i = 0; i < n; i++)
                seen += g_fork.ran[i] == 1;
            ctx->cores_seen = seen;
        }
    }
    /* Asking for more cores than exist clamps to the team. */
    for (unsigned i = 0; i < MAX_CORES; i++)
        g_fork.ran[i] = 0;
    qlr_team_fork(max + 3, fork_task, &g_fork);
    unsigned total = 0;
    for (unsigned i = 0; i < MAX_CORES; i++)
        total += g_fork.ran[i];
    st_check(ctx, total == max, "fork(%u) ran %u cores (want the %u available)", max + 3, total, max);
}

/* ---- join: fork must not return before the slowest core has finished ---- */

static volatile uint32_t g_join_result[MAX_CORES];

static void join_task(void *arg)
{
    (void)arg;
    unsigned id = qlr_core_id();
    busy(2000u * (qlr_core_count() - id)); /* core 0 is the slowest */
    g_join_result[id] = 0xC0DE0000u + id;
}

void st_team_join(qlr_selftest_ctx_t *ctx)
{
    unsigned n = qlr_team_max();
    for (int rep = 0; rep < 3; rep++) {
        for (unsigned i = 0; i < MAX_CORES; i++)
            g_join_result[i] = 0;
        qlr_team_fork(n, join_task, 0);
        for (unsigned i = 0; i < n; i++)
            st_check(ctx, g_join_result[i] == 0xC0DE0000u + i,
                     "rep %d: core %u result 0x%08x not there after join", rep, i,
                     (unsigned)g_join_result[i]);
    }
}

/* ---- barrier: each round every core writes its slot, waits, then reads all slots ---- */

typedef struct {
    volatile unsigned slot[MAX_CORES];
    volatile unsigned errors[MAX_CORES];
} barrier_state_t;

static barrier_state_t g_bar;

static void barrier_task(void *arg)
{
    barrier_state_t *s = (barrier_state_t *)arg;
    unsigned id = qlr_core_id(), n = qlr_core_count();
    for (unsigned r = 1; r <= BARRIER_ROUNDS; r++) {
        /* Uneven work, rotating which core is late, so a barrier that does not wait is caught. */
        busy(300u * ((id + r) % n));
        s->slot[id] = r;
        qlr_team_barrier();
        for (unsigned j = 0; j < n; j++)
            if (s->slot[j] != r)
                s->errors[id]++;
        qlr_team_barrier();
    }
}

void st_barrier(qlr_selftest_ctx_t *ctx)
{
    unsigned max = qlr_team_max();
    unsigned sizes[3] = {max, max > 2 ? max - 1 : max, 2};
    for (unsigned k = 0; k < 3; k++) {
        unsigned n = sizes[k] > max ? max : sizes[k];
        for (unsigned i = 0; i < MAX_CORES; i++)
            g_bar.slot[i] = 0, g_bar.errors[i] = 0;
        qlr_team_fork(n, barrier_task, &g_bar);
        for (unsigned i = 0; i < n; i++)
            st_check(ctx, g_bar.errors[i] == 0,
                     "team of %u: core %u read %u stale slots across %d barrier rounds", n, i,
                     g_bar.errors[i], BARRIER_ROUNDS);
    }
    /* A barrier on the controller outside a fork (team of 1) returns at once. */
    qlr_team_barrier();
}

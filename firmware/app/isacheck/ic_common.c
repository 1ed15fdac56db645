/* isacheck.elf's reporting: one result per core, gathered by the controller (isacheck.h). */
#include "isacheck/isacheck.h"
#include "qlr/runtime.h"

#define MAX_TEAM 16u

void ic_expect(ic_result_t *r, const char *what, uint32_t got, uint32_t want, uint32_t a, uint32_t b)
{
    r->checks++;
    if (got != want && r->bad++ == 0u) {
        r->what = what;
        r->got = got;
        r->want = want;
        r->a = a;
        r->b = b;
    }
}

typedef struct {
    ic_body_fn body;
    ic_result_t res[MAX_TEAM];
} ic_job_t;

static void ic_task(void *arg)
{
    ic_job_t *job = arg;
    unsigned id = qlr_core_id();
    if (id < MAX_TEAM) {
        job->body(&job->res[id], id);
    }
}

void ic_on_every_core(qlr_selftest_ctx_t *ctx, ic_body_fn body)
{
    static ic_job_t job;
    unsigned cores = qlr_team_max();
    job.body = body;
    for (unsigned i = 0; i < MAX_TEAM; i++) {
        job.res[i] = (ic_result_t){.checks = 0, .bad = 0, .what = "", .got = 0, .want = 0, .a = 0, .b = 0};
    }
    qlr_team_fork(cores, ic_task, &job);
    for (unsigned i = 0; i < cores && i < MAX_TEAM; i++) {
        const ic_result_t *r = &job.res[i];
        st_check(ctx, r->checks > 0u, "core %u ran no check", i);
        st_check(ctx, r->bad == 0u, "core %u: %u of %u wrong; first: %s got 0x%08lx want 0x%08lx (0x%08lx, 0x%08lx)", i,
                 r->bad, r->checks, r->what, (unsigned long)r->got, (unsigned long)r->want, (unsigned long)r->a,
                 (unsigned long)r->b);
        if (r->checks > 0u) {
            ctx->cores_seen++;
        }
    }
}
